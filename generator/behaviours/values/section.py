"""The values section: events that carry a number, as an order carries its basket value
or a meditation its length. Each value is log-normal around a median, scaled by the
user's segment (value multiplier), by the account's age (value growth curve) and by the
calendar (trend, month seasonality, anomalies over single days or ranges)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from generator.section import (
    MONTHS,
    Date,
    Name,
    PerYear,
    PositiveMultiplier,
    Strict,
    at,
)

if TYPE_CHECKING:
    from generator.scenario import Scenario

MAX_VALUE = 1e9  # the largest median times the largest multipliers, in the value's unit
MAX_VALUE_SIGMA = 1.5  # a wider spread makes values span nine orders of magnitude
MAX_VALUED_EVENTS = 20
CURRENCY_PATTERN = r"^[A-Z]{3}$"  # ISO 4217
UNIT_PATTERN = r"^[a-z][a-z_]*$"


class ValueGrowth(Strict):
    """Multiplier by account age: the curve's k-th value holds from k units after the
    signup date (whole days between the dates); the last value holds after it ends."""

    unit: Literal["day", "week", "month"]
    curve: list[PositiveMultiplier] = Field(min_length=1, max_length=1000)


class ValueAnomaly(Strict):
    name: Name
    start: Date
    end: Date | None = Field(None, description="last day of the range (default: start)")
    multiplier: PositiveMultiplier

    @property
    def last(self):
        return self.end if self.end is not None else self.start


class EventValue(Strict):
    currency: Annotated[str, Field(pattern=CURRENCY_PATTERN)] | None = Field(
        None, description="ISO 4217 code: the value is money"
    )
    unit: Annotated[str, Field(pattern=UNIT_PATTERN, max_length=32)] | None = Field(
        None, description="the value is a quantity in this unit (minutes, items, ...)"
    )
    median: Annotated[float, Field(gt=0.0, le=MAX_VALUE)] = Field(
        description="median value for a multiplier of 1"
    )
    sigma: Annotated[float, Field(ge=0.0, le=MAX_VALUE_SIGMA)] = Field(
        description="log-normal spread of a value around its median"
    )
    decimals: Annotated[int, Field(ge=0, le=4)] = 2
    segments: dict[Name, PositiveMultiplier] = Field(
        {}, description="value multiplier per segment (1 where not given)"
    )
    account_age: ValueGrowth | None = None
    trend_per_year: PerYear = Field(0.0, description="log change of values per year")
    month_seasonality: dict[Literal[MONTHS], PositiveMultiplier] = {}  # type: ignore[valid-type]
    anomalies: list[ValueAnomaly] = []

    @model_validator(mode="after")
    def _one_unit(self) -> EventValue:
        if (self.currency is None) == (self.unit is None):
            raise ValueError("give either a currency (money) or a unit (a quantity)")
        return self

    @property
    def kind(self) -> str:
        return "money" if self.currency is not None else "quantity"

    @property
    def value_unit(self) -> str:
        return self.currency if self.currency is not None else str(self.unit)


def check(world: Scenario) -> None:
    if len(world.values) > MAX_VALUED_EVENTS:
        raise at("values", f"at most {MAX_VALUED_EVENTS} events carry values")
    for event, value in world.values.items():
        base = f"values.{event}"
        if event not in world.events.catalog:
            raise at(base, f"unknown event '{event}' (values go on the catalogue's events)")
        # Rounding must stay far below the values, or it would bias what the marts recover:
        # the smallest planted value, four spreads below, keeps ten units of its last decimal.
        smallest = (
            value.median
            * math.exp(-4 * value.sigma)
            * min(value.segments.values(), default=1.0)
            * min(value.account_age.curve if value.account_age else [1.0])
            * math.exp(min(value.trend_per_year, 0.0) * world.days / 365.25)
            * min(value.month_seasonality.values(), default=1.0)
            * math.prod(a.multiplier for a in value.anomalies if a.multiplier < 1)
        )
        unit = 10.0**-value.decimals
        if smallest < 10 * unit:
            raise at(
                f"{base}.median",
                f"the smallest planted value, four spreads below the median, is {smallest:.3g}:"
                f" it must keep ten units of the last decimal ({10 * unit:g}); raise the median"
                " or the decimals",
            )
        for segment in value.segments:
            if segment not in world.segments:
                raise at(f"{base}.segments.{segment}", "unknown segment")
        for i, anomaly in enumerate(value.anomalies):
            if not world.start <= anomaly.start <= world.end:
                raise at(f"{base}.anomalies.{i}.start", "lies outside start..end")
            if not anomaly.start <= anomaly.last <= world.end:
                raise at(f"{base}.anomalies.{i}.end", "must lie between its start and the end")
        years = world.days / 365.25
        peak = (
            value.median
            * math.exp(value.sigma * 6)
            * max(value.segments.values(), default=1.0)
            * max(value.account_age.curve if value.account_age else [1.0])
            * math.exp(max(value.trend_per_year, 0.0) * years)
            * max(value.month_seasonality.values(), default=1.0)
            * math.prod(a.multiplier for a in value.anomalies if a.multiplier > 1)
        )
        if peak > MAX_VALUE:
            raise at(
                f"{base}.median",
                f"values could reach {peak:.3g} at the planted peaks (at most {MAX_VALUE:g})",
            )
