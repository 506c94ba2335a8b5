"""The arrivals section: how many sign up each day (growth, weekday, month, hour of day)
and the days the world marks out (anomalies)."""

from __future__ import annotations

import datetime as dt
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
    date: Date = Field(description="the day, or the first day of a range")
    end: Date | None = Field(None, description="the range's last day (default: date)")
    signups: Multiplier = Field(1.0, description="multiplier on each day's signups")
    activity: Multiplier = Field(1.0, description="multiplier on each day's session rate")

    @property
    def last(self) -> dt.date:
        return self.end if self.end is not None else self.date

    def days(self) -> list[dt.date]:
        return [self.date + dt.timedelta(days=i) for i in range((self.last - self.date).days + 1)]


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
    taken: dict[dt.date, str] = {}
    for i, anomaly in enumerate(world.arrivals.anomalies):
        if not world.start <= anomaly.date <= world.end:
            raise at(f"arrivals.anomalies.{i}.date", "lies outside start..end")
        if not anomaly.date <= anomaly.last <= world.end:
            raise at(f"arrivals.anomalies.{i}.end", "must lie between its date and the end")
        for day in anomaly.days():
            if day in taken:
                raise at(
                    f"arrivals.anomalies.{i}",
                    f"{day} is already a day of anomaly '{taken[day]}' (they may not overlap)",
                )
            taken[day] = anomaly.name
    growth = world.arrivals.growth
    if isinstance(growth, LogisticGrowth) and not math.isfinite(growth.steepness_per_year):
        raise at("arrivals.growth.steepness_per_year", "must be finite")
