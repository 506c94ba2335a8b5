"""A whole run: arrivals drawn once, fixed-size shards simulated (in worker processes if
asked) and written in shard order, truth written last, the file swapped in on success."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
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

from generator import outputs, truth, writer
from generator.calendar import Calendar
from generator.dynamics import arrivals
from generator.dynamics.events import event_catalog
from generator.dynamics.funnels import funnel_steps
from generator.identity import handle_pool
from generator.scenario import Scenario
from generator.schema import RAW_TABLES, raw_tables
from generator.shard import ShardResult, simulate_shard
from generator.writer import WarehouseWriter

SHARD_SIZE = 5000  # fixed, so the tables do not depend on the number of workers
PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


@dataclass
class RunSummary:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def event_rows_per_second(self) -> float:
        return self.rows.get("raw.events", 0) / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        total = sum(self.rows.values())
        out = [f"{name:<34}{n:>12,} rows" for name, n in self.rows.items()]
        out.append(
            f"wrote {total:,} rows in {self.seconds:.1f} s "
            f"({total / self.seconds:,.0f} rows/s; raw.events {self.event_rows_per_second:,.0f}"
            " rows/s)"
        )
        return out


def _shard_args(scenario: Scenario, seed: int, signup_day: np.ndarray, pool: list[str]):
    for index, first in enumerate(range(0, len(signup_day), SHARD_SIZE)):
        yield (scenario, seed, index, first + 1, signup_day[first : first + SHARD_SIZE], pool)


def _run_shard(args, spool_dir: Path | None = None) -> ShardResult:
    result = simulate_shard(*args)
    if spool_dir is not None:  # in a worker: hand the big table over through a file
        result.events = writer.spool(result.events, spool_dir / f"events-{result.index}.arrow")
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
        if isinstance(result.events, Path):
            result.events = writer.unspool(result.events)
        nxt = next(queue, None)
        if nxt is not None:
            pending.append(pool.apply_async(_run_shard, (nxt, spool_dir)))
        yield result


def _numbered(data: pa.Table, table: str, last_ids: dict[str, int]) -> pa.Table:
    """Prepend the table's id column, numbering on from the previous shard's last id."""
    first = last_ids[table] + 1
    last_ids[table] += data.num_rows
    id_column = next(iter(RAW_TABLES[table]))
    return data.add_column(0, id_column, pa.array(np.arange(first, first + data.num_rows)))


def _experiment_registry(scenario: Scenario) -> pa.Table:
    """The feature-flag system's experiment definitions: every variant and its weight."""
    rows = [
        (name, i, variant, weight, exp.start, exp.end)
        for name, exp in scenario.experiments.items()
        for i, (variant, weight) in enumerate(exp.variants.items())
    ]
    cols = list(zip(*rows, strict=True))
    return pa.table(
        {
            "experiment_key": list(cols[0]),
            "variant_index": pa.array(cols[1], type=pa.int32()),
            "variant": list(cols[2]),
            "weight": pa.array(cols[3], type=pa.float64()),
            "starts_on": pa.array(cols[4], type=pa.date32()),
            "ends_on": pa.array(cols[5], type=pa.date32()),
        }
    )


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
    parquet_dir: str | Path | None = None,
    progress: bool = True,
    scenario_path: str | Path | None = None,
) -> RunSummary:
    """Simulate `scenario` into a new warehouse at `db_path` (and a Parquet export), after
    claiming the outputs: refused at once if they are not ours to replace or another run
    writes them. Raises outputs.OutputError for that; anything else leaves them as they were."""
    started = time.perf_counter()
    with outputs.claim(db_path, parquet_dir, scenario_path) as run:
        if run.swept and progress:
            print(
                f"removed {len(run.swept)} leftovers of a stopped run beside {run.db}",
                file=sys.stderr,
            )
        cal = Calendar.of(scenario)
        arrivals_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
        signup_day = arrivals.draw_signup_days(scenario, cal, arrivals_rng)
        args = list(_shard_args(scenario, seed, signup_day, handle_pool(seed)))

        # pyarrow imports pandas on its first numpy conversion: pay that once, before the
        # workers fork, so none of them pays it again inside its first shard.
        pa.array(np.zeros(1))
        spool_dir = None
        if workers > 1:  # workers hand their events over through files here
            spool_dir = run.spool_dir
            spool_dir.mkdir()
        with _pool(workers) as pool:
            summary = _write_run(scenario, cal, seed, run, progress, args, pool, workers, spool_dir)
    summary.seconds = time.perf_counter() - started
    return summary


def _write_run(
    scenario, cal, seed, run: outputs.Claim, progress, args, pool, workers, spool_dir
) -> RunSummary:
    summary = RunSummary()
    warehouse = WarehouseWriter(run.scratch_db, raw_tables(list(scenario.attributes)))
    try:
        daily: dict = {}
        retention: dict = {}
        session_offset = 0
        transitions: dict = {}
        experiment_sums: dict = {}
        adoption: dict = {}
        marketing_sums: dict = {}
        rating_sums: dict = {}
        last_ids = {
            "events": 0,
            "subscription_changes": 0,
            "invoices": 0,
            "llm_responses": 0,
            "experiment_exposures": 0,
            "marketing_touches": 0,
        }
        bar = tqdm(
            total=scenario.users,
            desc="simulate users",
            unit="user",
            disable=not progress,
            file=sys.stderr,
        )
        for result in _results(args, pool, 2 * workers, spool_dir):
            events = _numbered(result.events, "events", last_ids).add_column(
                2, "session_id", pa.array(result.event_session + np.int64(session_offset + 1))
            )
            session_offset += result.n_sessions
            warehouse.append("raw", "users", result.users)
            warehouse.append("raw", "events", events)
            warehouse.append("truth", "users", result.truth_users)
            warehouse.append("truth", "funnel_users", result.funnel_truth)
            if result.lifecycle_truth.num_columns:
                warehouse.append("truth", "lifecycle_paths", result.lifecycle_truth)
            if result.llm_responses is not None:
                warehouse.append(
                    "raw",
                    "llm_responses",
                    _numbered(result.llm_responses, "llm_responses", last_ids),
                )
            if result.exposures is not None:
                warehouse.append(
                    "raw",
                    "experiment_exposures",
                    _numbered(result.exposures, "experiment_exposures", last_ids),
                )
                warehouse.append("truth", "experiment_assignments", result.assignments)
            _add(experiment_sums, result.experiment_sums)
            _add(adoption, result.adoption)
            _add(rating_sums, result.llm_rating_sums)
            if result.touches is not None:
                warehouse.append(
                    "raw",
                    "marketing_touches",
                    _numbered(result.touches, "marketing_touches", last_ids),
                )
            _add(marketing_sums, result.marketing)
            for table, data in result.billing.items():
                warehouse.append("raw", table, _numbered(data, table, last_ids))
            _add(transitions, result.transitions)
            _add(daily, result.daily)
            _add(retention, result.retention)
            bar.update(result.users.num_rows)
            bar.set_postfix(events=f"{last_ids['events']:,}")
        bar.close()

        steps = [
            ("truth.parameters", truth.parameters(scenario, seed)),
            ("truth.anomalies", truth.anomalies(scenario)),
            ("truth.signup_curve", truth.signup_curve(scenario, cal)),
            ("truth.daily_activity", truth.daily_activity(cal, daily)),
            ("truth.expected_retention", truth.expected_retention(cal, retention)),
        ]
        if scenario.subscriptions is not None:
            steps += [
                ("truth.plans", truth.plans(scenario)),
                ("truth.expected_plan_transitions", truth.plan_transitions(scenario, transitions)),
                (
                    "truth.expected_billed_transitions",
                    truth.billed_transitions(scenario, transitions),
                ),
            ]
        if scenario.llm is not None:
            steps += [
                ("truth.llm_ratings", truth.llm_ratings(scenario)),
                ("truth.llm_rating_sums", truth.llm_rating_sums(scenario, rating_sums)),
            ]
        if scenario.marketing is not None:
            warehouse.append("raw", "marketing_spend", truth.marketing_spend(scenario, cal))
            steps += [
                ("truth.marketing_daily", truth.marketing_daily(scenario, cal, marketing_sums)),
                ("truth.marketing_response", truth.marketing_response(scenario, marketing_sums)),
            ]
        if scenario.adoption:
            steps += [("truth.feature_adoption", truth.feature_adoption(scenario, cal, adoption))]
        warehouse.append("raw", "event_catalog", event_catalog(scenario))
        warehouse.append("raw", "funnel_steps", funnel_steps(scenario))
        if scenario.experiments:
            warehouse.append("raw", "experiments", _experiment_registry(scenario))
            steps += [
                ("truth.experiment_metrics", truth.experiment_metrics(scenario, experiment_sums))
            ]
        for name, table in tqdm(steps, desc="write truth", disable=not progress, file=sys.stderr):
            warehouse.append("truth", name.split(".")[1], table)
        if run.export is not None:
            if progress:
                print(f"export parquet to {run.export}", file=sys.stderr)
            warehouse.export_parquet(run.export_staging)
            outputs.write_manifest(run.export_staging, {"scenario": scenario.name, "seed": seed})
        for schema_table in [*(f"raw.{t}" for t in RAW_TABLES), "truth.users"]:
            counted = warehouse.con.execute(f"select count(*) from {schema_table}").fetchone()
            summary.rows[schema_table] = counted[0] if counted else 0
        for name, table in steps:
            summary.rows[name] = table.num_rows
        warehouse.close()
    except BaseException:
        warehouse.abort()
        raise
    with outputs.signals_held():  # the swap is not cut short half way
        run.check_unchanged()
        warehouse.commit(run.db)
        if run.export is not None:
            outputs.swap_folder(run.export_staging, run.export, run.token)
    return summary
