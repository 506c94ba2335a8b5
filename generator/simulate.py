"""A whole run: arrivals drawn once, fixed-size shards simulated (in worker processes if
asked) and written in shard order, truth written last, the file swapped in on success."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import itertools
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from generator import outputs, params, truth, window, writer
from generator.behaviours.actors.simulate import actor_columns
from generator.behaviours.actors.simulate import tables as actor_tables
from generator.behaviours.arrivals.simulate import draw_signup_days
from generator.behaviours.events.simulate import reference_tables as tracking_plan
from generator.behaviours.experiments.simulate import reference_tables as flag_registry
from generator.behaviours.faults import simulate as faults
from generator.behaviours.funnels.simulate import reference_tables as funnel_plan
from generator.behaviours.marketing.simulate import reference_tables as ad_spend
from generator.behaviours.segments.simulate import reference_tables as attribute_plan
from generator.behaviours.segments.simulate import user_columns
from generator.calendar import Calendar
from generator.identity import handle_pool
from generator.scenario import Scenario
from generator.schema import RAW_TABLES, raw_tables
from generator.shard import ShardResult, simulate_shard
from generator.window import Window
from generator.writer import WarehouseWriter

SHARD_SIZE = 5000  # fixed, so the tables do not depend on the number of workers
ID_BITS = faults.EVENT_ID_BITS  # every id: the shard in the high bits, its own rows below
PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


@dataclass
class RunSummary:
    rows: dict[str, int] = field(default_factory=dict)  # rows written, per table
    seconds: float = 0.0
    appended: bool = False  # rows added to a warehouse, not a new one
    write_seconds: float = 0.0  # of `seconds`, spent inserting rows into DuckDB

    @property
    def event_rows_per_second(self) -> float:
        return self.rows.get("raw.events", 0) / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        total = sum(self.rows.values())
        out = [f"{name:<34}{n:>12,} rows" for name, n in self.rows.items()]
        out.append(
            f"{'appended' if self.appended else 'wrote'} {total:,} rows in {self.seconds:.1f} s "
            f"({total / self.seconds:,.0f} rows/s; raw.events {self.event_rows_per_second:,.0f}"
            " rows/s)"
        )
        return out


def shard_args(scenario: Scenario, seed: int) -> list[tuple]:
    """Every shard's arguments to simulate_shard: the arrivals drawn once, cut into
    fixed-size shards (a local run, the lake's workers and Spark tasks take the same)."""
    cal = Calendar.of(scenario)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    signup_day, pool = draw_signup_days(scenario, cal, rng), handle_pool(seed)
    return [
        (scenario, seed, index, first + 1, signup_day[first : first + SHARD_SIZE], pool)
        for index, first in enumerate(range(0, len(signup_day), SHARD_SIZE))
    ]


def _run_shard(args, spool_dir: Path | None = None) -> ShardResult:
    result = simulate_shard(*args)
    if spool_dir is not None:  # in a worker: hand the big table over through a file
        result.raw["events"] = writer.spool(
            result.raw["events"], spool_dir / f"events-{result.index}.arrow"
        )
    return result


def _pool(workers: int):
    """Worker processes, started before any database connection or thread exists."""
    if workers <= 1:
        return contextlib.nullcontext(None)
    methods = mp.get_all_start_methods()
    context = mp.get_context("fork" if "fork" in methods else "spawn")
    return context.Pool(workers, initializer=_worker_start)


def _worker_start() -> None:
    """Writing is the critical path: simulating workers yield the CPU to the writer. Ctrl-C
    is the main process's to handle; a worker simply ends when the pool terminates it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _end_with_parent()
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)


def _end_with_parent() -> None:
    """A worker whose main process is killed (SIGKILL) ends too, instead of simulating on
    for nobody (Linux: the parent-death signal)."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the signal was set
        os._exit(1)


def _results(
    args: list[tuple], pool, in_flight: int, spool_dir: Path | None
) -> Iterator[ShardResult]:
    """Shard results in shard order, with at most `in_flight` shards pending at once so
    memory stays bounded when writing is slower than simulating."""
    if pool is None:
        yield from map(_run_shard, args)
        return
    queue = iter(args)
    pending: deque = deque(
        pool.apply_async(_run_shard, (a, spool_dir)) for a in itertools.islice(queue, in_flight)
    )
    while pending:
        result = pending.popleft().get()
        if isinstance(result.raw["events"], Path):
            result.raw["events"] = writer.unspool(result.raw["events"])
        nxt = next(queue, None)
        if nxt is not None:
            pending.append(pool.apply_async(_run_shard, (nxt, spool_dir)))
        yield result


def accounts(scenario: Scenario, cal: Calendar, seed: int, shards: int) -> ShardResult:
    """The scripted and staff accounts, numbered after the last of `shards` shards."""
    users, events, labels, session, n_sessions = faults.accounts(
        scenario, cal, seed, scenario.users + 1, shards, handle_pool(seed) if shards else []
    )
    return ShardResult(
        shards, {"users": users, "events": events}, {"faults": labels}, {}, session, n_sessions
    )


def _numbered(data: pa.Table, table: str, index: int) -> pa.Table:
    """Prepend the table's id column when the rows come without it: the shard's index in
    the high bits and the row's place below, so a shard is numbered without knowing how
    many rows the others made (a worker, or a Spark task, writes its own)."""
    id_column = next(iter(RAW_TABLES[table]))
    if id_column in data.column_names:
        return data
    first = (np.int64(index) << ID_BITS) + 1
    return data.add_column(0, id_column, pa.array(np.arange(first, first + data.num_rows)))


def shard_rows(result: ShardResult) -> Iterator[tuple[str, str, pa.Table]]:
    """A shard's (schema, table, rows) as the warehouse holds them: the raw tables with
    their ids and the events' session ids, then the truth rows."""
    for table, data in result.raw.items():
        data = _numbered(data, table, result.index)
        if table == "events":
            none = result.event_session < 0  # a system event is in no session
            sessions = (np.int64(result.index) << ID_BITS) + result.event_session + 1
            data = data.add_column(2, "session_id", pa.array(sessions, mask=none))
        yield "raw", table, data
    for table, data in result.truth.items():
        yield "truth", table, data


def driver_rows(
    scenario: Scenario, cal: Calendar, seed: int, sums: dict | None, overrides: pa.Table | None
) -> Iterator[tuple[str, str, pa.Table]]:
    """The (schema, table, rows) no shard makes: the tracking plan and the other reference
    tables, the ad spend, the actors, and (given the shards' `sums`) truth summed over
    the users."""
    for reference in (
        tracking_plan,
        attribute_plan,
        funnel_plan,
        flag_registry,
        faults.reference_tables,
    ):
        for table, data in reference(scenario, cal).items():
            yield "raw", table, data
    for table, data in ad_spend(scenario, cal, seed).items():
        yield "raw", table, data
    for (schema, table), data in actor_tables(scenario, cal, seed).items():
        yield schema, table, data
    if sums is not None:
        steps = truth.tables(scenario, cal, seed, sums)
        steps["scenario_overrides"] = overrides if overrides is not None else params.table([], {})
        for name, table in steps.items():
            yield "truth", name, table


def _add(total: dict, part: dict) -> None:
    for k, v in part.items():
        if isinstance(v, dict):
            _add(total.setdefault(k, {}), v)
        else:
            total[k] = total[k] + v if k in total else v.copy()


def generate(
    scenario: Scenario,
    seed: int,
    db_path: str | Path,
    workers: int = 1,
    export_dir: str | Path | None = None,
    progress: bool = True,
    scenario_path: str | Path | None = None,
    export_format: str = "parquet",
    overrides: pa.Table | None = None,
    through: dt.date | None = None,
) -> RunSummary:
    """Simulate `scenario` into a new warehouse at `db_path` (and an export of its raw
    tables as Parquet, CSV or JSON lines), after claiming the outputs: refused at once if
    they are not ours to replace or another run writes them. Raises outputs.OutputError for
    that; anything else leaves them as they were. `overrides` is truth.scenario_overrides:
    the numbers given with --params or --set (none by default). With `through`, only the
    raw rows that arrived by the end of that day are written (window.py)."""
    started = time.perf_counter()
    with outputs.claim(db_path, export_dir, scenario_path) as run:
        summary = _simulate(
            run,
            scenario,
            seed,
            Window(through=through),
            workers,
            progress,
            (export_format, overrides if overrides is not None else params.table([], {})),
        )
    summary.seconds = time.perf_counter() - started
    return summary


def append_days(
    db_path: str | Path, days: int, workers: int = 1, progress: bool = True
) -> RunSummary:
    """Add the next `days` days of arrivals to a warehouse written with `through`: the
    world it records is simulated again and the rows that arrived in those days are
    inserted, in one transaction (nothing changes unless all of them are in)."""
    started = time.perf_counter()
    db = Path(db_path)
    if not db.is_file():
        raise outputs.OutputError(f"{db}: no such warehouse to append to")
    with outputs.claim(db) as run:
        generation = window.read(db)
        days_window = window.extend(generation, days, db)
        summary = _simulate(
            run, generation.scenario, generation.seed, days_window, workers, progress, None
        )
    summary.seconds = time.perf_counter() - started
    return summary


def _simulate(run, scenario, seed, days_window, workers, progress, extra) -> RunSummary:
    if run.swept and progress:
        print(
            f"removed {len(run.swept)} leftovers of a stopped run beside {run.db}",
            file=sys.stderr,
        )
    cal = Calendar.of(scenario)
    args = shard_args(scenario, seed)

    # pyarrow imports pandas on its first numpy conversion: pay that once, before the
    # workers fork, so none of them pays it again inside its first shard.
    pa.array(np.zeros(1))
    spool_dir = None
    if workers > 1:  # workers hand their events over through files here
        spool_dir = run.spool_dir
        spool_dir.mkdir()
    with _pool(workers) as pool:
        return _write_run(
            scenario, cal, seed, run, progress, args, pool, workers, spool_dir, days_window, extra
        )


def _write_run(
    scenario,
    cal,
    seed,
    run: outputs.Claim,
    progress,
    args,
    pool,
    workers,
    spool_dir,
    days: Window,
    extra,
) -> RunSummary:
    """Write the run's rows: every table of a new warehouse, or (`days.is_append`, `extra`
    None) the raw rows that arrived in the appended days."""
    summary = RunSummary()
    warehouse = WarehouseWriter(
        run.db if days.is_append else run.scratch_db,
        raw_tables(user_columns(scenario), actor_columns(scenario)),
        existing=days.is_append,
    )
    written = summary.rows
    written.update({f"raw.{t}": 0 for t in RAW_TABLES})

    def write(schema: str, table: str, data: pa.Table, signups: pa.Table | None = None) -> None:
        if schema == "raw":
            data = days.rows(table, data, signups)
        elif days.is_append:  # truth is the whole world's: written once
            return
        started = time.perf_counter()
        warehouse.append(schema, table, data)
        summary.write_seconds += time.perf_counter() - started
        written[f"{schema}.{table}"] = written.get(f"{schema}.{table}", 0) + data.num_rows

    try:
        sums: dict = {}
        events_simulated = 0
        staff = accounts(scenario, cal, seed, len(args))  # the staff and scripted ones, last
        bar = tqdm(
            total=scenario.users + staff.raw["users"].num_rows,
            desc="simulate users",
            unit="user",
            disable=not progress,
            file=sys.stderr,
        )
        for result in itertools.chain(_results(args, pool, 2 * workers, spool_dir), [staff]):
            signups = result.raw["users"].select(["user_id", "signed_up_at"])
            for schema, table, data in shard_rows(result):
                write(schema, table, data, signups)
            _add(sums, result.sums)
            events_simulated += result.raw["events"].num_rows
            bar.update(result.raw["users"].num_rows)
            bar.set_postfix(events=f"{events_simulated:,}")
        bar.close()

        export_format, overrides = extra if extra is not None else ("parquet", None)
        rows = driver_rows(scenario, cal, seed, None if days.is_append else sums, overrides)
        if progress:
            print("write the reference tables and truth", file=sys.stderr)
        for schema, table, data in rows:
            write(schema, table, data)
        if not days.is_append:
            if run.export is not None:
                if progress:
                    print(f"export {export_format} to {run.export}", file=sys.stderr)
                warehouse.export(run.export_staging, export_format)
                outputs.write_manifest(
                    run.export_staging,
                    {"scenario": scenario.name, "seed": seed, "format": export_format},
                )
        window.record(warehouse.con, scenario, seed, days)
        warehouse.close()
    except BaseException:
        warehouse.abort()
        raise
    with outputs.signals_held():  # the swap is not cut short half way
        if not days.is_append:
            run.check_unchanged()
        warehouse.commit(run.db)
        if run.export is not None:
            outputs.swap_folder(run.export_staging, run.export, run.token)
    summary.appended = days.is_append
    return summary
