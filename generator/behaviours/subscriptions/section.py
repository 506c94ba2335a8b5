"""The subscriptions section: plans from free to highest, the monthly chances of moving
between them (by segment, and once a user stopped using the product), and failed
payments; with the transition tables those chances make."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field, StringConstraints

from generator.section import Multiplier, Name, Probability, Strict, at, check_share, present

if TYPE_CHECKING:
    from generator.scenario import Scenario


class Plan(Strict):
    price: Annotated[float, Field(ge=0.0, le=1e6)] = Field(
        description="list price per billing interval, in currency units"
    )
    interval: Literal["month", "year"]


class SubscriptionMultipliers(Strict):
    upgrade: Multiplier = Field(1.0, description="on moves to a later (higher) plan")
    churn: Multiplier = Field(1.0, description="on moves from a paid plan to the first plan")


class Subscriptions(Strict):
    """A monthly state machine over plans, listed from lowest to highest; the first plan is
    the free one everybody can fall back to. A row gives the chances of each plan at the
    next monthly anniversary (annual plans decide at renewal only)."""

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"
    plans: dict[Name, Plan] = Field(min_length=2, max_length=100)
    initial_plan: Name
    transitions: dict[Name, dict[Name, Probability]]
    segment_multipliers: dict[Name, SubscriptionMultipliers] = {}
    inactive_churn_multiplier: Multiplier = Field(
        1.0, description="on churn once the user has stopped using the product"
    )
    failed_payment_probability: Probability = 0.0


def check(world: Scenario) -> None:
    subs = present(world.subscriptions)
    plans = list(subs.plans)
    if subs.plans[plans[0]].price != 0:
        raise at(f"subscriptions.plans.{plans[0]}.price", "the first plan must be free (0)")
    if subs.initial_plan not in subs.plans:
        raise at("subscriptions.initial_plan", f"unknown plan '{subs.initial_plan}'")
    for plan, row in subs.transitions.items():
        if plan not in subs.plans:
            raise at(f"subscriptions.transitions.{plan}", "unknown plan")
        for target in row:
            if target not in subs.plans:
                raise at(f"subscriptions.transitions.{plan}.{target}", "unknown plan")
        check_share(f"subscriptions.transitions.{plan}", row)
    for plan in plans:
        if plan not in subs.transitions:
            raise at("subscriptions.transitions", f"missing a row for plan '{plan}'")
    for seg in subs.segment_multipliers:
        if seg not in world.segments:
            raise at(f"subscriptions.segment_multipliers.{seg}", "unknown segment")
    try:
        transition_tables(world)
    except ValueError as exc:
        raise at("subscriptions.segment_multipliers", str(exc)) from None


def transition_tables(world: Scenario) -> np.ndarray:
    """(segment, is_inactive, plan, next plan) probabilities with the multipliers applied:
    `upgrade` scales moves to later plans, `churn` (and, for inactive users, the inactive
    multiplier) scales moves from a paid plan to the free one; the chance of staying takes
    up the difference. A row with no planted chance of staying (a trial) is rescaled."""
    subs = present(world.subscriptions)
    plans = list(subs.plans)
    n = len(plans)
    base = np.zeros((n, n))
    for i, plan in enumerate(plans):
        for target, p in subs.transitions[plan].items():
            base[i, plans.index(target)] = p
    later = np.triu(np.ones((n, n), dtype=bool), k=1)
    paid = np.array([subs.plans[p].price > 0 for p in plans])
    to_free = np.zeros((n, n), dtype=bool)
    to_free[paid, 0] = True
    out = np.zeros((len(world.segments), 2, n, n))
    for s, seg in enumerate(world.segments):
        mult = subs.segment_multipliers.get(seg)
        up, down = (mult.upgrade, mult.churn) if mult else (1.0, 1.0)
        for inactive in (0, 1):
            scale = np.ones((n, n))
            scale[later] = up
            scale[to_free] = down * (subs.inactive_churn_multiplier if inactive else 1.0)
            table = base * scale
            off = table.sum(axis=1) - np.diag(table)
            stays = np.diag(base) > 0
            for i in range(n):
                if stays[i]:
                    if off[i] > 1 + 1e-12:
                        raise ValueError(
                            f"'{seg}' makes leaving plan '{plans[i]}' more likely than 1"
                        )
                    table[i, i] = max(0.0, 1.0 - off[i])
                elif table[i].sum() > 0:
                    table[i] /= table[i].sum()
            out[s, inactive] = table
    return out
