"""The generator on Spark: every shard a Spark task, simulated and written into the lake
by the executor that runs it (generator/lake.py); the driver adds up the shards' truth
sums and writes the tables no shard makes. The same scenario and seed give the same rows
as a local run, whatever the cluster (tests/python/test_lake.py).

Locally the master is `local[N]`. On a cluster, give its master URL (or run under
spark-submit, which sets it): the executors need Python with this project installed and
the lake folder on a file system every node mounts at the same path."""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

import pyarrow as pa

from generator import lake, outputs, simulate
from generator.scenario import Scenario


def session(master: str, progress: bool = True):
    """A Spark session for the run (`local[N]`, or a cluster's master URL)."""
    with warnings.catch_warnings():  # its pandas check warns of pandas 3, which we use
        warnings.simplefilter("ignore", FutureWarning)
        from pyspark.sql import SparkSession  # noqa: PLC0415 (a JVM starts: only when asked)

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName("proving-ground-generate")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", str(progress).lower())
        .config("spark.python.worker.reuse", "true")
    )
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # no Java, a master that does not answer: one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise outputs.OutputError(
            f"--spark: Spark did not start on {master} ({first}); it needs Java 17"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def generate_on_spark(
    scenario: Scenario,
    seed: int,
    folder: str | Path,
    master: str = "local[2]",
    progress: bool = True,
    overrides: pa.Table | None = None,
) -> simulate.RunSummary:
    """Simulate `scenario` into a new lake at `folder`, one Spark task per shard; the
    folder is claimed and swapped in as a local lake is (outputs.claim_folder)."""
    started = time.perf_counter()
    with outputs.claim_folder(folder) as run:
        staging, tables = run.staging.resolve(), lake.declared(scenario)
        staging.mkdir()
        args = simulate.shard_args(scenario, seed)
        spark = session(master, progress)
        try:
            context = spark.sparkContext
            shared = context.broadcast((str(staging), tables))

            def task(shard: tuple) -> lake.Written:
                where, declared = shared.value
                return lake.simulate_and_write(shard, Path(where), declared)

            if progress:
                print(f"simulate {len(args)} shards as Spark tasks on {master}", file=sys.stderr)
            parts = context.parallelize(args, max(len(args), 1)).map(task).collect()
        finally:
            spark.stop()
        summary = lake.finish(scenario, seed, parts, staging, tables, overrides)
        run.commit({"scenario": scenario.name, "seed": seed, "format": "lake", "engine": master})
    summary.seconds = time.perf_counter() - started
    return summary
