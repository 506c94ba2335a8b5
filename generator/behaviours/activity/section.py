"""The activity section: each user's daily session rate (the baseline, how users differ,
how it decays with account age, how cohorts drift, weekday and month seasonality) and
the bound that keeps one user's sessions within one machine."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from generator.section import MAX_MULTIPLIER, Multiplier, PerYear, Seasonal, Strict, at

if TYPE_CHECKING:
    from generator.scenario import Scenario


MAX_SESSIONS_PER_USER = 50_000  # at the peak planted rates over the whole timeframe


class AgeDecay(Strict):
    unit: Literal["day", "week", "month"]
    curve: list[Multiplier] = Field(min_length=1, max_length=1000)


class Activity(Seasonal):
    sessions_per_day: Annotated[float, Field(ge=0.0, le=MAX_MULTIPLIER)]
    heterogeneity_shape: Annotated[float, Field(ge=0.1, le=1e4)] = Field(
        description="gamma shape of each user's own multiplier (mean 1); larger is more alike"
    )
    age_decay: AgeDecay
    cohort_trend_per_year: PerYear = Field(
        description="log change of a cohort's baseline session rate per year of signup"
    )


def peak_sessions_per_user(world: Scenario) -> float:
    """Sessions a user would open over the whole timeframe at the highest planted rates
    (segment, lifecycle stage, age curve, cohort, weekday and month all at their peak):
    a bound on a user's rows that keeps a shard within one machine's memory."""
    act = world.activity
    years = world.days / 365.25
    stage = (
        max((s.activity for s in world.lifecycle.stages.values()), default=1.0)
        if (world.lifecycle is not None)
        else 1.0
    )
    peak = (
        act.sessions_per_day
        * max(s.activity for s in world.segments.values())
        * stage
        * max(act.age_decay.curve)
        * math.exp(max(act.cohort_trend_per_year, 0.0) * years)
        * max(act.weekday_weights.values())
        * 7
        / sum(act.weekday_weights.values())
        * max(act.month_seasonality.values())
        * 12
        / sum(act.month_seasonality.values())
    )
    return peak * world.days


def check(world: Scenario) -> None:
    peak = peak_sessions_per_user(world)
    if peak > MAX_SESSIONS_PER_USER:
        raise at(
            "activity.sessions_per_day",
            f"a user could open {peak:,.0f} sessions over the timeframe at the planted peak "
            f"rates (at most {MAX_SESSIONS_PER_USER:,}: one machine could not hold them)",
        )
