"""The segments section: hidden groups of users (share, role, how active, how deep their
sessions, how likely to churn and come back) and the attributes each segment's users
carry, which become columns of raw.users."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Annotated

from pydantic import Discriminator, Field, Tag

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


class CategoricalAttribute(Strict):
    values: list[Name] = Field(min_length=1, max_length=1000)
    shares: dict[Name, list[Probability]] = Field(description="per segment, one share per value")


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
