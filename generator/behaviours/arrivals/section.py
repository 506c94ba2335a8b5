"""The arrivals section: how many sign up each day (growth, weekday, month, hour of day)
and the days the world marks out (anomalies)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator

from generator.section import Date, Multiplier, Name, PerYear, Seasonal, Strict, Weight, at

if TYPE_CHECKING:
    from generator.scenario import Scenario


class ExponentialGrowth(Strict):
    kind: Literal["exponential"]
    annual_rate: PerYear = Field(description="continuous growth rate of daily signups per year")


class LogisticGrowth(Strict):
    kind: Literal["logistic"]
    midpoint: Date = Field(description="date at which signups reach half their ceiling")
    steepness_per_year: Annotated[float, Field(gt=0.0, le=365.0)]


class Anomaly(Strict):
    name: Name
    date: Date
    signups: Multiplier = Field(1.0, description="multiplier on that day's signups")
    activity: Multiplier = Field(1.0, description="multiplier on that day's session rate")


class Arrivals(Seasonal):
    growth: Annotated[ExponentialGrowth | LogisticGrowth, Field(discriminator="kind")]
    hour_weights: list[Weight] = Field(min_length=24, max_length=24)
    anomalies: list[Anomaly] = []

    @field_validator("hour_weights")
    @classmethod
    def _some_hour(cls, v: list[float]) -> list[float]:
        if sum(v) <= 0:
            raise ValueError("at least one hour needs a positive weight")
        return v


def check(world: Scenario) -> None:
    for i, anomaly in enumerate(world.arrivals.anomalies):
        if not world.start <= anomaly.date <= world.end:
            raise at(f"arrivals.anomalies.{i}.date", "lies outside start..end")
    growth = world.arrivals.growth
    if isinstance(growth, LogisticGrowth) and not math.isfinite(growth.steepness_per_year):
        raise at("arrivals.growth.steepness_per_year", "must be finite")
