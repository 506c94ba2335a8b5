"""The funnels section: ordered steps after signup or after a free-plan decision, each
with its rate and delay, within a window; and the chance of step 1 a plan-conversion
funnel needs to match the planted conversion."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from generator.behaviours.subscriptions.section import conversion_tables, session_ceiling
from generator.section import (
    MAX_DAYS,
    Days,
    Multiplier,
    Name,
    Probability,
    Sigma,
    Strict,
    at,
    check_share,
    present,
)

if TYPE_CHECKING:
    from generator.scenario import Scenario


DEFAULT_FUNNEL_WINDOW_DAYS = 14  # the funnel() macro's default too


class Hours(Strict):
    median: Annotated[float, Field(gt=0.0, le=24 * MAX_DAYS)]
    sigma: Sigma


EVENT_TYPES = ("user_action", "system", "billing")


class FunnelStep(Strict):
    """A step's event is a user action (done in the app, inside a session) unless its
    `type` says the product's systems log it (an email address confirmed from a link)."""

    event: Name
    rate: Probability = Field(1.0, description="chance of this step given the previous one")
    hours: Hours | None = Field(None, description="log-normal delay after the previous step")
    type: Literal["user_action", "system"] = "user_action"


ALL_SEGMENTS = "all"


class StepState(Strict):
    """A question asked at steps of a signup funnel (an in-app check-in: how does the
    member feel?), answered by a share of those who reach the step, a few minutes after
    it, with an answer drawn from the step's shares for the user's segment (`all` for
    every segment without its own)."""

    values: list[Name] = Field(min_length=1, max_length=100)
    response_rate: Probability = 1.0
    shares: dict[Name, dict[Name, list[Probability]]] = Field(
        description="per step event, per segment (or all): one share per value"
    )


class Funnel(Strict):
    """Ordered steps, each reached with its rate (times the segment's multiplier, capped at
    1) after a log-normal delay, all within the window from step 1. A `signup` funnel
    starts at the signup event; a `plan_conversion` funnel is tried in every session on a
    plan paying nothing (at its end) and its last step is the move to a paid plan, so the
    chance of step 1 follows from the session's conversion chance. Step events other than the signup
    are the funnel's own. In a signup funnel, a step that is a user action is taken in the
    first session the user opens once its delay has passed (at that session's end, so the
    wait for a session adds to the delay and a user who opens none in the window does not
    reach it); a system step happens at its drawn time, outside any session."""

    entry: Literal["signup", "plan_conversion"] = "signup"
    window_days: Days = Field(
        DEFAULT_FUNNEL_WINDOW_DAYS, description="days from step 1 within which steps count"
    )
    steps: list[FunnelStep] = Field(min_length=2, max_length=100)
    segment_multipliers: dict[Name, Multiplier] = {}
    states: dict[Name, StepState] = Field(
        {}, description="questions members answer at its steps (a signup funnel's only)"
    )
    irregular: Irregular = Field(
        default_factory=lambda: Irregular(), description="steps done again, skipped, early"
    )


class Irregular(Strict):
    """How people stray from a signup funnel's order, none of which moves what an ordered
    funnel counts (each step is the first of its event after the previous step): a user
    who reached a step does it again later (`repeat`); one who reached the previous step
    but not this one does the next step's action anyway (`skip`); one who will reach a
    step does its action once before the previous step (`early`)."""

    repeat: Probability = 0.0
    skip: Probability = 0.0
    early: Probability = 0.0


def check(world: Scenario) -> None:
    seen: set[str] = set(world.events.catalog)
    for name, funnel in world.funnels.items():
        base = f"funnels.{name}"
        first_own = 1  # a signup funnel's step 1 is the signup itself
        if funnel.entry == "signup" and funnel.steps[0].event != world.events.signup:
            raise at(f"{base}.steps.0.event", f"must be the signup event '{world.events.signup}'")
        if funnel.entry == "plan_conversion":
            if world.subscriptions is None:
                raise at(f"{base}.entry", "plan_conversion needs a subscriptions block")
            first_own = 0
        for i, step in enumerate(funnel.steps[first_own:], start=first_own):
            if i > 0 and step.hours is None:
                raise at(f"{base}.steps.{i}.hours", "required key is missing")
            if step.event in seen:
                raise at(f"{base}.steps.{i}.event", f"'{step.event}' is already logged elsewhere")
            seen.add(step.event)
        for seg in funnel.segment_multipliers:
            if seg not in world.segments:
                raise at(f"{base}.segment_multipliers.{seg}", "unknown segment")
        _check_states(world, base, funnel)
    for name, funnel in world.funnels.items():
        if funnel.entry == "plan_conversion":
            worst = conversion_entry_chances(world, funnel).max()
            if worst > 1 + 1e-12:
                raise at(
                    f"funnels.{name}.steps",
                    f"step rates too low for the planted per-session conversion "
                    f"(step 1 would need a chance of {worst:.3f})",
                )


def _check_states(world: Scenario, base: str, funnel: Funnel) -> None:
    if funnel.states and funnel.entry != "signup":
        raise at(f"{base}.states", "only a signup funnel's steps ask questions")
    events = [s.event for s in funnel.steps]
    for question, state in funnel.states.items():
        path = f"{base}.states.{question}"
        if len(set(state.values)) != len(state.values):
            raise at(f"{path}.values", "a value is listed twice")
        if not state.shares:
            raise at(f"{path}.shares", "give the answers' shares at one step at least")
        for event, by_segment in state.shares.items():
            if event not in events:
                raise at(f"{path}.shares.{event}", "not a step of the funnel")
            for seg, shares in by_segment.items():
                if seg != ALL_SEGMENTS and seg not in world.segments:
                    raise at(f"{path}.shares.{event}.{seg}", "unknown segment")
                if len(shares) != len(state.values):
                    raise at(
                        f"{path}.shares.{event}.{seg}",
                        f"needs {len(state.values)} shares, one per value",
                    )
                check_share(f"{path}.shares.{event}.{seg}", shares)
            missing = [s for s in world.segments if s not in by_segment]
            if missing and ALL_SEGMENTS not in by_segment:
                raise at(f"{path}.shares.{event}", f"missing segment '{missing[0]}' (or all)")


def answer_shares(world: Scenario, state: StepState, event: str) -> np.ndarray:
    """(segment, value) shares of the answers at a step."""
    by_segment = state.shares[event]
    return np.array(
        [by_segment.get(s, by_segment.get(ALL_SEGMENTS)) for s in world.segment_names()],
        dtype=float,
    )


ATTEMPT_STEP_CAP_MS = 25 * 60 * 1000  # a checkout attempt's steps stay in their session


def attempt_step_cap(funnel: Funnel) -> float:
    """The longest delay between two steps of a plan-conversion attempt (ms): the window
    over the steps, and never long enough for the session to time out."""
    return min(funnel.window_days * 86_400_000 / len(funnel.steps), ATTEMPT_STEP_CAP_MS)


def step_rates(world: Scenario, funnel: Funnel, cap: bool = True) -> np.ndarray:
    """(segment, step >= 2) chances of each step given the previous one, capped at 1."""
    mult = np.array([funnel.segment_multipliers.get(s, 1.0) for s in world.segment_names()])
    rates = np.array([step.rate for step in funnel.steps[1:]])
    return np.minimum(rates[None, :] * mult[:, None], 1.0 if cap else np.inf)


def conversion_entry_chances(world: Scenario, funnel: Funnel, ceiling: bool = True) -> np.ndarray:
    """(segment, plan) the chance of step 1 in a session on a plan paying nothing: the
    session's chance of moving to a paid plan divided by the chance of going from step 1
    to the last step; with `ceiling`, the highest (every feature the session could use
    counted), otherwise for a session using no feature."""
    subs = present(world.subscriptions)
    paid = np.array([plan.price > 0 for plan in subs.plans.values()])
    lift = session_ceiling(world) if ceiling else 1.0
    p_convert = conversion_tables(world)[:, :, paid].sum(axis=2) * lift
    through = step_rates(world, funnel).prod(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p_convert > 0, p_convert / through[:, None], 0.0)


def check_conversion_lift(world: Scenario, path: str, multiplier: float) -> None:
    """The lifted chance of a session moving a user up, and of it starting a
    plan-conversion funnel, must stay a probability."""
    tables = conversion_tables(world) * session_ceiling(world)
    paid = [plan.price > 0 for plan in present(world.subscriptions).plans.values()]
    leaving = tables.sum(axis=2) + (multiplier - 1) * tables[:, :, paid].sum(axis=2)
    if leaving.max() > 1 + 1e-12:
        raise at(path, f"lifts a session's chance of moving up to {leaving.max():.3g}")
    for name, funnel in world.funnels.items():
        if funnel.entry == "plan_conversion":
            entry = conversion_entry_chances(world, funnel).max() * multiplier
            if entry > 1:
                raise at(path, f"lifts funnel '{name}' step 1's chance to {entry:.3g}")
