"""What every scenario section is built from: strict models, bounded numbers, names and
dates, the one-line error naming a key path, and the checks sections share (shares that
sum to 1, event-chain rows). A behaviour's own section lives with the behaviour."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
SESSION_END = "end"
SHARE_TOLERANCE = 1e-6

# Upper bounds: every number must be finite and within what a product could plant and
# one machine can simulate; a value outside gets one line naming its key.
MAX_USERS = 50_000_000
EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(2199, 12, 31)
MAX_TIMEFRAME_DAYS = 7305  # 20 years
MAX_MULTIPLIER = 100.0
MAX_WEIGHT = 1e6  # relative weights, normalised where they are used
MAX_SIGMA = 2.0  # a log-normal spread of 2 already spans e^(+-12) at six sigma
MAX_DAYS = 3650.0
MAX_PER_YEAR = 10.0  # continuous growth or trend per year (e^10 a year)
MAX_NAME_LENGTH = 64

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Multiplier = Annotated[float, Field(ge=0.0, le=MAX_MULTIPLIER)]
PositiveMultiplier = Annotated[float, Field(gt=0.0, le=MAX_MULTIPLIER)]
Weight = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)]
Sigma = Annotated[float, Field(ge=0.0, le=MAX_SIGMA)]
Days = Annotated[float, Field(gt=0.0, le=MAX_DAYS)]
PerYear = Annotated[float, Field(ge=-MAX_PER_YEAR, le=MAX_PER_YEAR)]
Lift = Annotated[float, Field(gt=-1.0, le=MAX_MULTIPLIER)]
# Names end up as values in raw tables, in dbt vars and in SQL literals: letters, digits
# and _ . - only.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=MAX_NAME_LENGTH)]


def _date(value: object) -> object:
    """A calendar date, written as one (2024-03-01) or as its ISO string; not a time, a
    number or anything else."""
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a time")
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a date (YYYY-MM-DD)") from None
    if not isinstance(value, dt.date):
        raise ValueError("must be a date (YYYY-MM-DD)")
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must lie between {EARLIEST} and {LATEST}")
    return value


Date = Annotated[dt.date, BeforeValidator(_date)]


class ScenarioError(ValueError):
    """A scenario that cannot be simulated; the message is one line naming the key path."""


SectionT = TypeVar("SectionT")


def present(section: SectionT | None) -> SectionT:
    """An optional part of the scenario, for code that runs only when the scenario has it
    (each dynamic is simulated only for the sections present, and validation makes sure
    the parts a section needs are there)."""
    if section is None:
        raise ScenarioError("a dynamic ran without a part of the scenario it needs")
    return section


class Strict(BaseModel):
    # strict: no `true` read as 1, no number read as a name; no inf or nan anywhere
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class GapDays(Strict):
    """A log-normal number of days."""

    median: Days
    sigma: Sigma


class Seasonal(Strict):
    """Relative weights by weekday and by calendar month (normalised to mean 1 when used)."""

    weekday_weights: dict[Literal[WEEKDAYS], Weight]  # type: ignore[valid-type]
    month_seasonality: dict[Literal[MONTHS], Weight]  # type: ignore[valid-type]

    @field_validator("weekday_weights")
    @classmethod
    def _all_weekdays(cls, v: dict[str, float]) -> dict[str, float]:
        missing = [d for d in WEEKDAYS if d not in v]
        if missing:
            raise ValueError(f"missing weekdays {missing}")
        if sum(v.values()) <= 0:
            raise ValueError("at least one weekday needs a positive weight")
        return v

    @field_validator("month_seasonality")
    @classmethod
    def _all_months(cls, v: dict[str, float]) -> dict[str, float]:
        missing = [m for m in MONTHS if m not in v]
        if missing:
            raise ValueError(f"missing months {missing}")
        if sum(v.values()) <= 0:
            raise ValueError("at least one month needs a positive weight")
        return v


@functools.cache
def sql_keywords() -> frozenset[str]:
    """SQL's reserved words (DuckDB's list): no column may be named after one."""
    import duckdb  # noqa: PLC0415

    rows = duckdb.execute(
        "select keyword_name from duckdb_keywords() where keyword_category <> 'unreserved'"
    ).fetchall()
    return frozenset(r[0] for r in rows)


def states_without_exit(table: dict[str, dict[str, float]], exits: set[str]) -> list[str]:
    """States of a chain from which no exit can be reached."""
    reaches_end = set(exits)
    changed = True
    while changed:
        changed = False
        for s, row in table.items():
            if s not in reaches_end and any(p > 0 and t in reaches_end for t, p in row.items()):
                reaches_end.add(s)
                changed = True
    return sorted(set(table) - reaches_end)


def check_chain_rows(base: str, table: dict[str, dict[str, float]], known: set[str]) -> None:
    """Rows of an event chain: known events, known targets (or the session end), and
    chances summing to 1."""
    for state, row in table.items():
        if state not in known:
            raise at(f"{base}.{state}", "unknown event")
        for target in row:
            if target != SESSION_END and target not in known:
                raise at(f"{base}.{state}.{target}", "unknown event")
        check_share(f"{base}.{state}", row)


def check_share(path: str, values: dict[str, float] | list[float]) -> None:
    total = sum(values.values()) if isinstance(values, dict) else sum(values)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise at(path, f"shares must sum to 1 (got {total:.6g})")


def at(path: str, reason: str) -> ScenarioError:
    return ScenarioError(f"{path}: {reason}")
