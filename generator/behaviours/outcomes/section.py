"""The outcomes section: what becomes of a user, following from what they did. An outcome
reached by behaviour happens at a user's Nth event of a kind within a window after signup
(a programme completed after eight sessions within eight weeks); an outcome of chance
follows another, with one chance when that one happened and another when it did not, a
multiplier per segment, and a delay before it is recorded (healed, reported by the doctor
weeks after the programme)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Discriminator, Field, Tag

from generator.section import MAX_DAYS, Days, Multiplier, Name, Probability, Strict, at

if TYPE_CHECKING:
    from generator.scenario import Scenario

DelayDays = Annotated[float, Field(ge=0.0, le=MAX_DAYS)]


class AfterEvents(Strict):
    event: Name
    count: Annotated[int, Field(ge=1, le=10_000)]
    within_days: Days


class BehaviourOutcome(Strict):
    after: AfterEvents


class Delay(Strict):
    min_days: DelayDays
    max_days: DelayDays


class ChanceOutcome(Strict):
    after_outcome: Name
    probability: Probability = Field(description="chance once the outcome it follows happened")
    otherwise: Probability = Field(
        0.0, description="chance when that outcome did not happen within its window"
    )
    segments: dict[Name, Multiplier] = Field({}, description="multiplier on both chances")
    delay_days: Delay


def _outcome_kind(value: object) -> str:
    return "<chance>" if isinstance(value, dict) and "after_outcome" in value else "<behaviour>"


Outcome = Annotated[
    Annotated[BehaviourOutcome, Tag("<behaviour>")] | Annotated[ChanceOutcome, Tag("<chance>")],
    Discriminator(_outcome_kind),
]


def check(world: Scenario) -> None:
    for name, o in world.outcomes.items():
        base = f"outcomes.{name}"
        if isinstance(o, BehaviourOutcome):
            if o.after.event not in world.events.catalog:
                raise at(f"{base}.after.event", f"unknown event '{o.after.event}'")
            continue
        parent = world.outcomes.get(o.after_outcome)
        if not isinstance(parent, BehaviourOutcome):
            raise at(
                f"{base}.after_outcome",
                f"'{o.after_outcome}' is not an outcome reached by behaviour (one with `after`)",
            )
        for seg in o.segments:
            if seg not in world.segments:
                raise at(f"{base}.segments.{seg}", "unknown segment")
        top = max(o.probability, o.otherwise) * max(
            (o.segments.get(s, 1.0) for s in world.segments), default=1.0
        )
        if top > 1.0:
            raise at(f"{base}.segments", f"a chance times its multiplier reaches {top:g} (above 1)")
        if o.delay_days.max_days < o.delay_days.min_days:
            raise at(f"{base}.delay_days.max_days", "must not be below min_days")
