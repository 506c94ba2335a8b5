"""The only code that touches storage: a DuckDB warehouse written to a new file and swapped
in on success, and the optional export of the raw tables."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.ipc  # noqa: F401  (pa.ipc)

from generator.schema import RAW_TABLES, TRUTH_TABLES, cast_select, create_sql

MEMORY_LIMIT = "512MB"
# The journeys of the JSON export: per user and funnel that starts at the signup, each
# step as first logged, with the check-ins answered at it, nested.
JOURNEYS = """
with journeys as (
    select steps.funnel_name
    from raw.funnel_steps as steps
    inner join raw.event_catalog as catalog on steps.event_name = catalog.event_name
    where steps.step_number = 1 and catalog.is_signup
),
steps as (
    select funnel_name, step_number, event_name
    from raw.funnel_steps
    where funnel_name in (select funnel_name from journeys)
),
reached as (
    select events.user_id, steps.funnel_name, steps.step_number, steps.event_name,
        min(events.event_at) as reached_at
    from raw.events as events
    inner join steps on events.event_name = steps.event_name
    group by all
),
answers as (
    select user_id, event_name,
        list({'question': question, 'answer': answer, 'answered_at': answered_at}
            order by answered_at, check_in_id) as check_ins
    from raw.check_ins
    group by all
)
select reached.user_id, reached.funnel_name,
    list({
        'step_number': reached.step_number,
        'event_name': reached.event_name,
        'reached_at': reached.reached_at,
        'check_ins': answers.check_ins
    } order by reached.step_number) as steps
from reached
left join answers
    on reached.user_id = answers.user_id and reached.event_name = answers.event_name
group by reached.user_id, reached.funnel_name
order by reached.user_id, reached.funnel_name
"""


def spool(table: pa.Table, path: Path) -> Path:
    """Hand a table from a worker process to the writer through an uncompressed Arrow file:
    the writer maps it without copying, which beats pickling it through a pipe."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
        out.write_table(table)
    return path


def unspool(path: Path) -> pa.Table:
    """The spooled table, memory-mapped; the file is unlinked (the mapping stays valid)."""
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    path.unlink()
    return table


class WarehouseWriter:
    """Writes a new warehouse into the run's scratch file; `commit()` swaps it in place of
    the target, `abort()` closes it (the run removes it). The previous warehouse is never
    opened for writing, so a failed run cannot change it.

    With `existing`, the run adds to the warehouse at that path instead, in one transaction
    that `commit()` commits and anything else (an error, a kill) rolls back."""

    def __init__(
        self, scratch: Path, raw: dict[str, dict[str, str]] = RAW_TABLES, existing: bool = False
    ):
        self.tmp = scratch
        self.existing = existing
        self.tables = {"raw": raw, "truth": TRUTH_TABLES}
        # Bounded, so memory does not grow with the scale: DuckDB spills to disk instead.
        self.con = duckdb.connect(str(self.tmp), config={"memory_limit": MEMORY_LIMIT})
        if existing:
            self.con.execute("begin transaction")
            return
        for schema, tables in self.tables.items():
            self.con.execute(f"create schema {schema}")
            for table, columns in tables.items():
                self.con.execute(create_sql(schema, table, columns))

    def append(self, schema: str, table: str, data: pa.Table) -> None:
        """Insert an Arrow table, casting each column to the declared type."""
        select = cast_select(self.tables[schema][table])
        self.con.register("_batch", data)
        try:
            self.con.execute(f"insert into {schema}.{table} select {select} from _batch")
        finally:
            self.con.unregister("_batch")

    def export(self, staging: Path, fmt: str) -> None:
        """Every raw table into a new folder (the caller swaps it in): as Parquet (one file
        per table, events partitioned by event date), CSV with a header, or JSON lines (one
        object per row). Paths go to DuckDB as arguments or as quoted string literals."""
        staging.mkdir(parents=True)
        for table in self.tables["raw"]:
            relation = self.con.table(f"raw.{table}")
            if fmt == "parquet" and table == "events":
                self.con.sql(
                    "select *, cast(event_at as date) as event_date from raw.events"
                ).write_parquet(str(staging / "events"), partition_by=["event_date"])
            elif fmt == "parquet":
                relation.write_parquet(str(staging / f"{table}.parquet"))
            elif fmt == "csv":
                relation.write_csv(str(staging / f"{table}.csv"), header=True)
            elif fmt == "json":
                target = str(staging / f"{table}.jsonl").replace("'", "''")
                self.con.execute(
                    f"copy raw.{table} to '{target}' (format json)"  # noqa: S608 (quoted)
                )
            else:
                raise ValueError(f"unknown export format {fmt!r}")
        if fmt == "json":
            target = str(staging / "journeys.jsonl").replace("'", "''")
            self.con.execute(f"copy ({JOURNEYS}) to '{target}' (format json)")  # noqa: S608

    def close(self) -> None:
        """Finish the file (checkpointed, no WAL left) ready to be swapped in; an addition
        to an existing warehouse waits for `commit()`."""
        if self.existing:
            return
        self.con.execute("checkpoint")
        self.con.close()

    def commit(self, target: Path) -> None:
        if self.existing:
            self.con.execute("commit")
            self.con.execute("checkpoint")
            self.con.close()
            return
        os.replace(self.tmp, target)
        Path(str(target) + ".wal").unlink(missing_ok=True)

    def abort(self) -> None:
        """Close the scratch file, the run's claim removes it (outputs.Claim); an addition to
        an existing warehouse is rolled back."""
        self.con.close()
