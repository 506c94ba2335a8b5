"""The subscriptions section: plans from free to highest, the chance per session of moving
up from a plan paying nothing, trials, the chances of the next plan at a paid plan's
renewal (by segment, and once a user stopped using the product), failed payments and the
reasons customers give for cancelling; with the tables those chances make."""

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


class BillingEvents(Strict):
    """Events the billing system sends into the product's event stream (server-side, in
    no session): a renewal paid, a payment that failed, a cancellation taking effect."""

    renewal: Name | None = None
    payment_failed: Name | None = None
    cancellation: Name | None = None


class CancellationReasons(Strict):
    """Why customers cancel, as the cancellation form records it: shares of the reasons
    given by customers still using the product and by those who stopped."""

    active: dict[Name, Probability] = Field(min_length=1, max_length=100)
    inactive: dict[Name, Probability] = Field(min_length=1, max_length=100)


BILLING_REASONS = ("payment_failed", "trial_ended")  # reasons the billing system gives


class Subscriptions(Strict):
    """Plans listed from lowest to highest; the first is the free one everybody can fall
    back to. A user on a plan that pays nothing may move up in any session they open:
    `conversion` gives, per such plan, the chance a session ends with a move to each plan
    (a user action, at the session's end; a move to a paid plan goes through checkout),
    raised by `feature_lift` for every feature the session used. A plan that pays nothing
    other than the first is a trial: it lasts `trial_days`, then falls back to the first
    plan unless the user moved to a paid plan. A paid plan renews on the anniversaries of
    its start (monthly or yearly), where `transitions` gives the chances of the next plan:
    keeping it, changing it, or cancelling (moving to the first plan)."""

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"
    plans: dict[Name, Plan] = Field(min_length=2, max_length=100)
    initial_plan: Name
    conversion: dict[Name, dict[Name, Probability]] = Field(
        description="per plan paying nothing: chance per session of moving to each plan"
    )
    feature_lift: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        0.0, description="relative rise of a session's conversion chance per feature it used"
    )
    trial_days: Annotated[int, Field(ge=1, le=366)] = 14
    transitions: dict[Name, dict[Name, Probability]] = Field(
        description="per paid plan: chances of the next plan at each renewal"
    )
    segment_multipliers: dict[Name, SubscriptionMultipliers] = {}
    inactive_churn_multiplier: Multiplier = Field(
        1.0, description="on cancelling at a renewal with no session in the 30 days before"
    )
    failed_payment_probability: Probability = 0.0
    cancellation_reasons: CancellationReasons | None = None
    billing_events: BillingEvents | None = None


MAX_CONVERSION_PER_SESSION = 0.5  # a session converting more often than this is not a product


def check(world: Scenario) -> None:
    subs = present(world.subscriptions)
    plans = list(subs.plans)
    if subs.plans[plans[0]].price != 0:
        raise at(f"subscriptions.plans.{plans[0]}.price", "the first plan must be free (0)")
    if subs.initial_plan not in subs.plans:
        raise at("subscriptions.initial_plan", f"unknown plan '{subs.initial_plan}'")
    paid = {p for p, spec in subs.plans.items() if spec.price > 0}
    for plan, row in subs.conversion.items():
        base = f"subscriptions.conversion.{plan}"
        if plan not in subs.plans:
            raise at(base, "unknown plan")
        if plan in paid:
            raise at(base, "a paid plan changes at renewal (transitions), not in a session")
        for target in row:
            if target not in subs.plans:
                raise at(f"{base}.{target}", "unknown plan")
            if target == plan or target == plans[0]:
                raise at(f"{base}.{target}", "a session moves a user to another plan, up")
        if sum(row.values()) > MAX_CONVERSION_PER_SESSION:
            raise at(base, f"more than {MAX_CONVERSION_PER_SESSION} per session in all")
    for plan, row in subs.transitions.items():
        if plan not in subs.plans:
            raise at(f"subscriptions.transitions.{plan}", "unknown plan")
        if plan not in paid:
            raise at(
                f"subscriptions.transitions.{plan}",
                "a plan paying nothing has no renewals: give its chances per session in conversion",
            )
        for target in row:
            if target not in subs.plans:
                raise at(f"subscriptions.transitions.{plan}.{target}", "unknown plan")
        check_share(f"subscriptions.transitions.{plan}", row)
    for plan in sorted(paid, key=plans.index):
        if plan not in subs.transitions:
            raise at("subscriptions.transitions", f"missing a row for plan '{plan}'")
    for seg in subs.segment_multipliers:
        if seg not in world.segments:
            raise at(f"subscriptions.segment_multipliers.{seg}", "unknown segment")
    if subs.billing_events is not None:
        taken = {*world.events.catalog, *world.funnel_events()}
        names = [
            (k, getattr(subs.billing_events, k))
            for k in ("renewal", "payment_failed", "cancellation")
        ]
        for key, name in names:
            if name is None:
                continue
            if name in taken:
                raise at(f"subscriptions.billing_events.{key}", f"'{name}' is logged already")
            taken.add(name)
    if subs.cancellation_reasons is not None:
        for state in ("active", "inactive"):
            shares = getattr(subs.cancellation_reasons, state)
            for reason in shares:
                if reason in BILLING_REASONS:
                    raise at(
                        f"subscriptions.cancellation_reasons.{state}.{reason}",
                        "the billing system gives this reason itself",
                    )
            check_share(f"subscriptions.cancellation_reasons.{state}", shares)
    try:
        transition_tables(world)
        worst = (conversion_tables(world).sum(axis=2) * session_ceiling(world)).max()
    except ValueError as exc:
        raise at("subscriptions.segment_multipliers", str(exc)) from None
    if worst > 1:
        raise at(
            "subscriptions.conversion",
            f"a session's chance of moving up reaches {worst:.3g} with every multiplier",
        )


def session_ceiling(world: Scenario) -> float:
    """The most a session's features can raise its conversion chance."""
    features = {e.feature for e in world.events.catalog.values() if e.feature is not None}
    return 1.0 + present(world.subscriptions).feature_lift * len(features)


def conversion_tables(world: Scenario) -> np.ndarray:
    """(segment, plan, next plan) chance per session of moving from a plan paying nothing,
    the segment's `upgrade` multiplier applied (rows of paid plans are zero)."""
    subs = present(world.subscriptions)
    plans = list(subs.plans)
    out = np.zeros((len(world.segments), len(plans), len(plans)))
    for s, seg in enumerate(world.segments):
        mult = subs.segment_multipliers.get(seg)
        up = mult.upgrade if mult else 1.0
        for plan, row in subs.conversion.items():
            for target, p in row.items():
                out[s, plans.index(plan), plans.index(target)] = p * up
    return out


def trial_plans(world: Scenario) -> np.ndarray:
    """Per plan: whether it is a trial (pays nothing, and is not the first plan)."""
    subs = present(world.subscriptions)
    return np.array([spec.price == 0 and i > 0 for i, spec in enumerate(subs.plans.values())])


def transition_tables(world: Scenario) -> np.ndarray:
    """(segment, is_inactive, plan, next plan) probabilities at a paid plan's renewal with
    the multipliers applied: `upgrade` scales moves to later plans, `churn` (and, for
    inactive users, the inactive multiplier) scales moves from a paid plan to the free
    one; the chance of staying takes up the difference. A row with no planted chance of
    staying is rescaled. Rows of plans paying nothing are zero."""
    subs = present(world.subscriptions)
    plans = list(subs.plans)
    n = len(plans)
    base = np.zeros((n, n))
    for i, plan in enumerate(plans):
        for target, p in subs.transitions.get(plan, {}).items():
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
