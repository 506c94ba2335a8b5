"""`make bench`: the simulator's event rows/s at a stated scale, into a DuckDB warehouse
and into a lake of Parquet files (each worker writing its own shards), and in the same
run the rows/s of DuckDB making as many rows of the same column types in SQL (range() and
random()) into a new database file, and their ratios; with the share of the warehouse
run spent inserting the finished rows into DuckDB, one process's work that bounds its
ratio whatever the simulation costs. With --dbt, also a dbt build of the world through
its second-last day, one day appended, and the incremental `dbt run` after it as a share
of the full one."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from generator.cli import DEFAULT_SCENARIO
from generator.lake import generate_lake
from generator.scenario import load_scenario
from generator.simulate import append_days, generate

ROOT = Path(__file__).resolve().parents[1]
BASELINE_SQL = """
create table events as
select
    i as event_id,
    cast(random() * {users} as bigint) as user_id,
    cast(random() * {sessions} as bigint) as session_id,
    ['app_open', 'sign_up', 'search', 'summary_requested', 'summary_viewed',
     'quiz_generated', 'quiz_question_answered', 'quiz_completed',
     'explanation_requested', 'explanation_viewed', 'answer_rated'
    ][cast(floor(random() * 11) as integer) + 1] as event_name,
    ['summarize', 'quiz', 'explain', null][cast(floor(random() * 4) as integer) + 1] as feature,
    timestamp '2023-01-01' + to_seconds(cast(random() * 94608000 as bigint)) as event_at,
    cast(random() * 60000 as integer) as duration_ms
from range({rows}) as t(i)
"""


def duckdb_baseline(rows: int, users: int, sessions: int, directory: Path) -> float:
    """Seconds for DuckDB to create `rows` event-like rows in a new database file."""
    path = directory / "baseline.duckdb"
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(path))
    con.execute(BASELINE_SQL.format(rows=rows, users=users, sessions=sessions))
    con.execute("checkpoint")
    con.close()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator.bench", description=__doc__)
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved pairs of runs")
    parser.add_argument(
        "--dbt", action="store_true", help="also time a full and an incremental dbt run"
    )
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario, users=args.users)
    print(f"scale: {args.users:,} users, {args.workers} worker(s), {args.repeats} pairs of runs")
    ratios: dict[str, list[float]] = {"warehouse": [], "lake": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            summary = generate(
                scenario, args.seed, Path(tmp) / "bench.duckdb", args.workers, progress=False
            )
            lake = generate_lake(
                scenario, args.seed, Path(tmp) / f"lake-{i}", args.workers, progress=False
            )
            events = summary.rows["raw.events"]
            base_rate = events / duckdb_baseline(events, args.users, events // 7, Path(tmp))
            for kind, run in (("warehouse", summary), ("lake", lake)):
                ratios[kind].append(events / run.seconds / base_rate)
            print(
                f"run {i + 1}: {events:,} event rows; duckdb sql {base_rate:>11,.0f} rows/s; "
                f"warehouse {events / summary.seconds:>11,.0f} rows/s "
                f"({ratios['warehouse'][-1]:.2f}x, inserting {summary.write_seconds:.1f} of "
                f"{summary.seconds:.1f} s); lake {events / lake.seconds:>11,.0f} rows/s "
                f"({ratios['lake'][-1]:.2f}x)"
            )
    for kind, found in ratios.items():
        print(f"median ratio {kind} / baseline: {statistics.median(found):.2f}x")
    if args.dbt:
        dbt_share(scenario, args.seed, args.workers)
    return 0


def _dbt_run(db: Path, target: Path) -> tuple[float, dict[str, float]]:
    """Seconds of a `dbt run` on `db`, and each model's own."""
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "run", "-q", "--target-path", str(target)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DUCKDB_PATH": str(db)},
    )
    seconds = time.perf_counter() - started
    results = json.loads((target / "run_results.json").read_text())["results"]
    return seconds, {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results}


def _incremental_models(target: Path) -> list[str]:
    """The models the project materializes incrementally, from the run's manifest."""
    nodes = json.loads((target / "manifest.json").read_text())["nodes"].values()
    return sorted(
        node["name"]
        for node in nodes
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    )


def dbt_share(scenario, seed: int, workers: int) -> None:
    """The world through its second-last day built by `dbt run`, its last day appended and
    built again: the incremental run's time as a share of the full one, in all and for the
    models that are incremental."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "warehouse.duckdb"
        generate(
            scenario, seed, db, workers, progress=False, through=scenario.end - dt.timedelta(1)
        )
        full, full_models = _dbt_run(db, Path(tmp) / "target")
        append_days(db, 1, workers, progress=False)
        step, step_models = _dbt_run(db, Path(tmp) / "target")
        incremental = _incremental_models(Path(tmp) / "target")
    layer_full = sum(full_models[m] for m in incremental)
    layer_step = sum(step_models[m] for m in incremental)
    print(
        f"dbt run, full: {full:.1f} s; after one appended day: {step:.1f} s "
        f"({step / full:.0%} of the full run)"
    )
    print(
        f"the {len(incremental)} incremental models: {layer_full:.1f} s full, "
        f"{layer_step:.1f} s after one appended day ({layer_step / layer_full:.0%})"
    )


if __name__ == "__main__":
    raise SystemExit(main())
