"""The segments section: hidden groups of users (share, role, how active, how deep their
sessions, how likely to churn and come back) and the attributes each segment's users
carry, which become columns of raw.users."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import Field

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


class Attribute(Strict):
    values: list[Name] = Field(min_length=1, max_length=1000)
    shares: dict[Name, list[Probability]] = Field(description="per segment, one share per value")


def check(world: Scenario) -> None:
    check_share("segments", {k: s.share for k, s in world.segments.items()})
    _check_attribute_columns(world)
    for attr_name, attr in world.attributes.items():
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


def _check_attribute_columns(world: Scenario) -> None:
    """Attributes become columns of raw.users and dim_users: plain lower-case names
    that no column of those tables already has."""
    for name in world.attributes:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise at(f"attributes.{name}", "a column name: lower-case letters, digits and _")
        if name in RESERVED_USER_COLUMNS:
            raise at(f"attributes.{name}", "the users' tables already have a column so named")
        if name in sql_keywords():
            raise at(f"attributes.{name}", "a reserved word of SQL")
