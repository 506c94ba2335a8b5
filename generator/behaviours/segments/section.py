"""The segments section: hidden groups of users (share, role, how active, how deep their
sessions, how likely to churn and come back) and the attributes each segment's users
carry, which become columns of raw.users."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Discriminator, Field, StringConstraints, Tag

from generator.behaviours.segments.tables import RESERVED_USER_COLUMNS
from generator.section import (
    Multiplier,
    Name,
    PositiveMultiplier,
    Probability,
    Strict,
    at,
    check_share,
    sql_keywords,
)

if TYPE_CHECKING:
    from generator.scenario import Scenario


class Segment(Strict):
    share: Probability
    role: Name
    activity: Multiplier = Field(description="multiplier on the session rate")
    session_depth: PositiveMultiplier = Field(description="multiplier on events per session")
    churn: Multiplier = Field(description="multiplier on the churn hazard")
    reengagement: Probability = Field(description="probability a churned user comes back once")


MAX_DRIFT_PER_YEAR = 3.0
ZoneName = Annotated[str, StringConstraints(max_length=64)]
Drift = Annotated[float, Field(ge=-MAX_DRIFT_PER_YEAR, le=MAX_DRIFT_PER_YEAR)]


class CategoricalAttribute(Strict):
    """Values drawn from the user's segment's shares at signup; `drift_per_year` moves a
    value's share over the years (its log-odds against the others change by that much a
    year from the start, so a share can grow and another shrink); `time_zones` gives
    each value the zones its users live in, with their shares (a country's zones)."""

    values: list[Name] = Field(min_length=1, max_length=1000)
    shares: dict[Name, list[Probability]] = Field(description="per segment, one share per value")
    drift_per_year: dict[Name, Drift] = Field(
        default_factory=dict, description="per value, change of its log-odds per year"
    )
    time_zones: dict[Name, dict[ZoneName, Probability]] | None = Field(
        default=None, description="per value, the IANA time zones of its users and their shares"
    )


MAX_NUMBER = 1e9
MAX_GRID = 1_000_000  # values a numeric attribute can take at its decimals, per segment
Number = Annotated[float, Field(ge=-MAX_NUMBER, le=MAX_NUMBER)]


class UniformValues(Strict):
    """Every value from low to high (at the attribute's decimals) equally likely."""

    low: Number
    high: Number


class NormalValues(Strict):
    """A normal around the mean, kept within low..high (truncated)."""

    mean: Number
    sd: Annotated[float, Field(gt=0.0, le=MAX_NUMBER)]
    low: Number
    high: Number


class NumericAttribute(Strict):
    """A number per user (an age), drawn from its segment's distribution and rounded to
    `decimals`; `bands` are the edges the warehouse reports it by (a band holds values
    from its lower edge up to, not including, the next)."""

    distribution: dict[Name, UniformValues | NormalValues] = Field(
        description="per segment, how the value is drawn"
    )
    decimals: Annotated[int, Field(ge=0, le=4)] = 0
    bands: list[Number] = Field(min_length=1, max_length=100)


def _attribute_kind(value: object) -> str:
    return "<numeric>" if isinstance(value, dict) and "distribution" in value else "<categorical>"


Attribute = Annotated[
    Annotated[CategoricalAttribute, Tag("<categorical>")]
    | Annotated[NumericAttribute, Tag("<numeric>")],
    Discriminator(_attribute_kind),
]


def band_column(name: str) -> str:
    """The column reporting a numeric attribute by its bands."""
    return f"{name}_band"


def check(world: Scenario) -> None:
    check_share("segments", {k: s.share for k, s in world.segments.items()})
    _check_attribute_columns(world)
    zoned = [n for n, a in world.attributes.items() if getattr(a, "time_zones", None)]
    if len(zoned) > 1:
        raise at(
            f"attributes.{zoned[1]}.time_zones",
            f"only one attribute places users in zones ({zoned[0]} does)",
        )
    for attr_name, attr in world.attributes.items():
        if isinstance(attr, NumericAttribute):
            _check_numeric(world, attr_name, attr)
            continue
        if len(set(attr.values)) != len(attr.values):
            raise at(f"attributes.{attr_name}.values", "a value is listed twice")
        for seg in world.segments:
            if seg not in attr.shares:
                raise at(f"attributes.{attr_name}.shares", f"missing segment '{seg}'")
        for seg, shares in attr.shares.items():
            path = f"attributes.{attr_name}.shares.{seg}"
            if seg not in world.segments:
                raise at(path, "unknown segment")
            if len(shares) != len(attr.values):
                raise at(path, f"needs {len(attr.values)} shares, one per value")
            check_share(path, shares)
        for value in attr.drift_per_year:
            if value not in attr.values:
                raise at(f"attributes.{attr_name}.drift_per_year.{value}", "not one of the values")
        if attr.time_zones is not None:
            _check_time_zones(f"attributes.{attr_name}.time_zones", attr)


def _check_time_zones(base: str, attr: CategoricalAttribute) -> None:
    zones = attr.time_zones or {}
    for value in zones:
        if value not in attr.values:
            raise at(f"{base}.{value}", "not one of the values")
    for value in attr.values:
        if value not in zones:
            raise at(base, f"missing value '{value}': every value needs its zones")
        if not zones[value]:
            raise at(f"{base}.{value}", "needs at least one zone")
        for zone in zones[value]:
            if not known_zone(zone):
                raise at(f"{base}.{value}.{zone}", "not an IANA time zone (like Europe/Berlin)")
        check_share(f"{base}.{value}", list(zones[value].values()))


def known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_numeric(world: Scenario, name: str, attr: NumericAttribute) -> None:
    base = f"attributes.{name}"
    for seg in world.segments:
        if seg not in attr.distribution:
            raise at(f"{base}.distribution", f"missing segment '{seg}'")
    step = 10.0**-attr.decimals
    for seg, spec in attr.distribution.items():
        path = f"{base}.distribution.{seg}"
        if seg not in world.segments:
            raise at(path, "unknown segment")
        if spec.high < spec.low:
            raise at(f"{path}.high", f"must not be below low ({spec.low:g})")
        if (spec.high - spec.low) / step > MAX_GRID:
            raise at(path, f"spans more than {MAX_GRID:,} values at {attr.decimals} decimals")
        if math.floor(spec.high / step + 1e-9) < math.ceil(spec.low / step - 1e-9):
            raise at(path, f"no value at {attr.decimals} decimals lies between low and high")
        if isinstance(spec, NormalValues) and not spec.low <= spec.mean <= spec.high:
            raise at(f"{path}.mean", "must lie between low and high")
    if any(b >= c for b, c in zip(attr.bands, attr.bands[1:], strict=False)):
        raise at(f"{base}.bands", "band edges must increase")


def _check_attribute_columns(world: Scenario) -> None:
    """Attributes become columns of raw.users and dim_users: plain lower-case names
    that no column of those tables already has (a numeric one brings its band column)."""
    columns = [
        column
        for name, attr in world.attributes.items()
        for column in ([name, band_column(name)] if isinstance(attr, NumericAttribute) else [name])
    ]
    for column in columns:
        name = column if column in world.attributes else column.removesuffix("_band")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", column):
            raise at(f"attributes.{name}", "a column name: lower-case letters, digits and _")
        if column in RESERVED_USER_COLUMNS:
            raise at(f"attributes.{name}", "the users' tables already have a column so named")
        if column in sql_keywords():
            raise at(f"attributes.{name}", "a reserved word of SQL")
        if columns.count(column) > 1:
            raise at(f"attributes.{name}", f"two attributes would make the column {column}")
