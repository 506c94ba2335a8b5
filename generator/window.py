"""A warehouse that grows a day at a time. `generate --through DAY` writes the raw rows that
had arrived by the end of that day (each table's arrival column: an event's received_at,
a user row's loaded_at, ...); `generate --append-days N` simulates the same world again and
adds the rows that arrived in the N days after. The world is drawn whole each time, so the
rows, their ids and truth do not depend on how the days were split: a world written
through D and appended to D + N equals the world written through D + N at once.

Truth is the whole world's answer key whatever the day reached; meta.generation records
the scenario, seed and day reached, from which an append re-reads the world."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generator.outputs import OutputError
from generator.scenario import Scenario, ScenarioError, parse_scenario
from generator.schema import ARRIVES_AT

SCHEMA = "meta"
GENERATION = {
    "scenario_json": "VARCHAR",
    "seed": "BIGINT",
    "first_date": "DATE",
    "last_date": "DATE",  # the world's last day
    "through_date": "DATE",  # the last day whose arrivals are in; the last day when whole
    "is_whole": "BOOLEAN",  # every row, those arriving after the last day too
}


@dataclass(frozen=True)
class Window:
    """The arrival days a run writes: after `after` (none: from the start) through `through`
    (none: every row, arrivals after the world's last day too)."""

    after: dt.date | None = None
    through: dt.date | None = None

    @property
    def is_append(self) -> bool:
        return self.after is not None

    def rows(self, table: str, data: pa.Table, signups: pa.Table | None = None) -> pa.Table:
        """The rows of a raw table this run writes. A row naming a user arrives no earlier
        than the user signed up (an ad platform's touch is tied to the account made after
        it); `signups` holds the users of the rows (user_id, signed_up_at). A table with no
        arrival column (a plan, a catalogue) is written whole by the first run and never
        appended."""
        column = ARRIVES_AT.get(table)
        if column is None:
            return data.slice(0, 0) if self.is_append else data
        if self.after is None and self.through is None:
            return data
        arrived = _not_before_signup(data, column, signups)
        keep = None
        if self.through is not None:
            keep = pc.less(arrived, _bound(arrived.type, self.through))
        if self.after is not None:
            later = pc.greater_equal(arrived, _bound(arrived.type, self.after))
            keep = later if keep is None else pc.and_(keep, later)
        return data.filter(keep)


def _not_before_signup(data: pa.Table, column: str, signups: pa.Table | None) -> pa.Array:
    arrived = data.column(column).combine_chunks()
    if signups is None or "user_id" not in data.column_names or signups.num_rows == 0:
        return arrived
    ids = np.asarray(signups.column("user_id"))
    order = np.argsort(ids, kind="stable")
    user = np.asarray(data.column("user_id").fill_null(-1))
    at = order[np.clip(np.searchsorted(ids, user, sorter=order), 0, len(ids) - 1)]
    known = ids[at] == user
    signed = signups.column("signed_up_at").combine_chunks().cast(arrived.type).take(pa.array(at))
    return pc.if_else(pa.array(known), pc.max_element_wise(arrived, signed), arrived)


def _bound(kind: pa.DataType, day: dt.date) -> pa.Scalar:
    """The start of the day after `day`, as a scalar of the column's type."""
    after = day + dt.timedelta(days=1)
    if pa.types.is_timestamp(kind):
        return pa.scalar(dt.datetime.combine(after, dt.time()), type=kind)
    return pa.scalar(after, type=kind)


@dataclass(frozen=True)
class Generation:
    """How a warehouse was made and how far it has got."""

    scenario: Scenario
    seed: int
    through: dt.date
    is_whole: bool


def record(con: duckdb.DuckDBPyConnection, scenario: Scenario, seed: int, window: Window) -> None:
    """Write meta.generation (replacing an earlier row) on the run's connection."""
    con.execute(f"create schema if not exists {SCHEMA}")
    columns = ", ".join(f"{name} {kind}" for name, kind in GENERATION.items())
    con.execute(f"create table if not exists {SCHEMA}.generation ({columns})")
    con.execute(f"delete from {SCHEMA}.generation")
    last = scenario.end
    con.execute(
        f"insert into {SCHEMA}.generation values (?, ?, ?, ?, ?, ?)",
        [
            scenario_json(scenario),
            seed,
            scenario.start,
            last,
            window.through or last,
            window.through is None,
        ],
    )


def scenario_json(scenario: Scenario) -> str:
    """The scenario in full as JSON, its mappings in their order (which orders the draws)."""
    return json.dumps(scenario.model_dump(mode="json", by_alias=True, warnings=False))


def read(db: Path) -> Generation:
    """The generation a warehouse records; OutputError when it is not one that can grow."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise OutputError(f"{db}: cannot open it ({str(exc).splitlines()[0]})") from None
    try:
        found = con.execute(
            "select count(*) from information_schema.tables "
            f"where table_schema = '{SCHEMA}' and table_name = 'generation'"
        ).fetchall()[0][0]
        if not found:
            raise OutputError(
                f"{db}: records no generation to extend (it was written before days could "
                "be appended); generate it again with --through DAY"
            )
        text, seed, through, whole = con.execute(
            f"select scenario_json, seed, through_date, is_whole from {SCHEMA}.generation"
        ).fetchall()[0]
    finally:
        con.close()
    try:
        data = json.loads(text)
        scenario = parse_scenario(data, users=data.get("users"))
    except (ValueError, ScenarioError) as exc:
        raise OutputError(f"{db}: its recorded scenario does not read back ({exc})") from None
    return Generation(scenario, int(seed), through, bool(whole))


def extend(generation: Generation, days: int, db: Path) -> Window:
    """The window of an append of `days` days; OutputError when the world cannot grow."""
    last = generation.scenario.end
    if generation.is_whole:
        raise OutputError(f"{db}: holds the whole world through {last}; nothing is left to append")
    if days < 1:
        raise OutputError(f"--append-days: must be at least 1 (got {days})")
    through = generation.through + dt.timedelta(days=days)
    if through > last:
        left = (last - generation.through).days
        raise OutputError(
            f"--append-days: {db} is through {generation.through} and the world ends on "
            f"{last}: at most {left} more day(s)"
        )
    return Window(after=generation.through, through=through)
