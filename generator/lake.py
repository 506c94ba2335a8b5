"""The world as a lake of Parquet files instead of a DuckDB warehouse, for engines that
read files (Spark) and for sizes one DuckDB file should not hold.

`<dir>/raw/<table>/` and `<dir>/truth/<table>/` hold one file per shard
(`part-<shard>.parquet`), written by whoever simulated the shard: a worker process here,
a Spark task on a cluster (generator/spark.py); the tables no shard makes (the tracking
plan, the ad spend, truth summed over the users) are `part-driver.parquet`. Each file's
columns are cast to the declared types by DuckDB, as the warehouse casts them, so a lake
holds the same rows as the warehouse of the same scenario and seed
(tests/python/test_lake.py). No shard waits for another: every id carries its shard."""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from tqdm import tqdm

from generator import outputs, simulate
from generator.behaviours.actors.simulate import actor_columns
from generator.behaviours.segments.simulate import user_columns
from generator.calendar import Calendar
from generator.scenario import Scenario
from generator.schema import TRUTH_TABLES, cast_select, raw_tables

Declared = dict[str, dict[str, dict[str, str]]]  # schema -> table -> column -> DuckDB type


def declared(scenario: Scenario) -> Declared:
    return {
        "raw": raw_tables(user_columns(scenario), actor_columns(scenario)),
        "truth": TRUTH_TABLES,
    }


def write_part(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    tables: Declared,
    where: tuple[str, str],
    data: pa.Table,
    part: str,
) -> int:
    """One table's rows as `<folder>/<schema>/<table>/part-<part>.parquet`, each column
    cast to its declared type; the rows written."""
    schema, table = where
    target = folder / schema / table
    target.mkdir(parents=True, exist_ok=True)
    select = cast_select(tables[schema][table])
    path = str(target / f"part-{part}.parquet").replace("'", "''")
    con.register("_batch", data)
    try:
        con.execute(
            f"copy (select {select} from _batch) to '{path}' "  # noqa: S608 (quoted)
            "(format parquet, compression snappy)"
        )
    finally:
        con.unregister("_batch")
    return data.num_rows


def _connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that casts and writes Parquet: one thread, since every worker
    (or task) has its own, and quiet."""
    con = duckdb.connect(config={"threads": 1})
    con.execute("set enable_progress_bar = false")
    return con


@dataclass
class Written:
    """What writing one shard (or the driver's tables) left to add up."""

    index: int
    users: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    sums: dict = field(default_factory=dict)
    seconds: float = 0.0  # spent writing Parquet


def write_shard(result: simulate.ShardResult, folder: Path, tables: Declared) -> Written:
    """A simulated shard's tables into the lake, by the process that simulated it."""
    written = Written(result.index, result.raw["users"].num_rows, sums=result.sums)
    started = time.perf_counter()
    con = _connect()
    try:
        for schema, table, data in simulate.shard_rows(result):
            part = f"{result.index:05d}"
            written.rows[f"{schema}.{table}"] = write_part(
                con, folder, tables, (schema, table), data, part
            )
    finally:
        con.close()
    written.seconds = time.perf_counter() - started
    return written


def simulate_and_write(args: tuple, folder: Path, tables: Declared) -> Written:
    """A shard simulated and written: what a worker process or a Spark task runs."""
    return write_shard(simulate.simulate_shard(*args), folder, tables)


def finish(
    scenario: Scenario,
    seed: int,
    parts: list[Written],
    folder: Path,
    tables: Declared,
    overrides: pa.Table | None,
) -> simulate.RunSummary:
    """The driver's part: the staff and scripted accounts, the tables no shard makes,
    truth from the shards' sums (added in shard order, as a local run adds them), and an
    empty file for each table no part wrote, so every table has its columns."""
    cal = Calendar.of(scenario)
    parts = sorted(parts, key=lambda p: p.index)
    parts.append(write_shard(simulate.accounts(scenario, cal, seed, len(parts)), folder, tables))
    sums: dict = {}
    for part in parts:
        simulate._add(sums, part.sums)
    summary = simulate.RunSummary()
    for part in parts:
        for name, n in part.rows.items():
            summary.rows[name] = summary.rows.get(name, 0) + n
        summary.write_seconds += part.seconds
    started = time.perf_counter()
    con = _connect()
    try:
        for schema, table, data in simulate.driver_rows(scenario, cal, seed, sums, overrides):
            n = write_part(con, folder, tables, (schema, table), data, "driver")
            summary.rows[f"{schema}.{table}"] = summary.rows.get(f"{schema}.{table}", 0) + n
        for schema, names in tables.items():
            for table, columns in names.items():
                if not (folder / schema / table).is_dir():
                    empty = pa.table({c: pa.nulls(0) for c in columns})
                    write_part(con, folder, tables, (schema, table), empty, "driver")
                    summary.rows.setdefault(f"{schema}.{table}", 0)
    finally:
        con.close()
    summary.write_seconds += time.perf_counter() - started
    return summary


def _run_part(job: tuple[tuple, Path, Declared]) -> Written:
    return simulate_and_write(*job)


def generate_lake(
    scenario: Scenario,
    seed: int,
    folder: str | Path,
    workers: int = 1,
    progress: bool = True,
    overrides: pa.Table | None = None,
) -> simulate.RunSummary:
    """Simulate `scenario` into a new lake at `folder` with local worker processes (each
    writes the shards it simulates), swapped in when complete; a folder that is not a lake
    or export of ours is refused (outputs.OutputError)."""
    started = time.perf_counter()
    with outputs.claim_folder(folder) as run:
        staging, tables = run.staging, declared(scenario)
        staging.mkdir()
        args = simulate.shard_args(scenario, seed)
        pa.array(np.zeros(1))  # pyarrow's pandas import, paid once before the fork
        bar = tqdm(
            total=scenario.users,
            desc="simulate users",
            unit="user",
            disable=not progress,
            file=sys.stderr,
        )
        parts = []
        jobs = zip(args, itertools.repeat(staging), itertools.repeat(tables), strict=False)
        with simulate._pool(workers) as pool:
            done = map(_run_part, jobs) if pool is None else pool.imap(_run_part, jobs)
            for part in done:
                parts.append(part)
                bar.update(part.users)
        bar.close()
        summary = finish(scenario, seed, parts, staging, tables, overrides)
        run.commit({"scenario": scenario.name, "seed": seed, "format": "lake"})
    summary.seconds = time.perf_counter() - started
    return summary
