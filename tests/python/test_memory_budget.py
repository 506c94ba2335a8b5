"""The warehouse's build keeps to the memory budget profiles.yml sets from the machine
(DUCKDB_MEMORY_LIMIT, spilling into DUCKDB_TEMP_DIRECTORY): under a budget far below what
its sorts and joins hold, a `dbt run` on two threads spills and finishes. A budget set
per thread's cursor fails there as soon as one model has spilled (DuckDB refuses to set
its spill folder again), which is how a 500,000-user build once stopped."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import copy_project, run_dbt, run_generator

# Enough for every model of a 2,000-user world to finish by spilling; half of it is not
# (some operators cannot spill), so the budget is the one that binds.
BUDGET_MB = 128
BUDGET = f"{BUDGET_MB}MB"
# as DuckDB shows it: MiB, cut to one decimal
SHOWN = f"{int(BUDGET_MB * 1e6 / 2**20 * 10) / 10:.1f} MiB"


@pytest.fixture(scope="module")
def small_raw(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("budget") / "world.duckdb"
    made = run_generator("--users", "2000", "--seed", "5", "--db", str(db))
    assert made.returncode == 0, made.stderr
    return db


def _run(raw: Path, base: Path, budget: str, monkeypatch, *args: str):
    """dbt with `args` on a copy of the raw world in `base`, under `budget`."""
    base.mkdir(exist_ok=True)
    db = base / "warehouse.duckdb"
    shutil.copy(raw, db)
    monkeypatch.setenv("DUCKDB_MEMORY_LIMIT", budget)
    monkeypatch.setenv("DUCKDB_TEMP_DIRECTORY", str(base / "spill"))
    return run_dbt(copy_project(base / "project"), db, *args)


def test_budget_reaches_the_database(small_raw, tmp_path, monkeypatch):
    shown = _run(
        small_raw,
        tmp_path,
        BUDGET,
        monkeypatch,
        "show",
        "--inline",
        "select current_setting('memory_limit') as memory_limit,"
        f" current_setting('temp_directory') = '{tmp_path / 'spill'}' as spills_there",
    )
    assert shown.returncode == 0, shown.stdout[-3000:]
    assert re.search(rf"\| {re.escape(SHOWN)} +\| +True \|", shown.stdout), shown.stdout[-2000:]


def test_build_spills_within_the_budget(small_raw, tmp_path, monkeypatch):
    built = _run(small_raw, tmp_path / "enough", BUDGET, monkeypatch, "run", "--threads", "2")
    assert built.returncode == 0, built.stdout[-3000:]
    assert "Cannot switch temporary directory" not in built.stdout


def test_half_the_budget_is_too_little(small_raw, tmp_path, monkeypatch):
    starved = _run(
        small_raw,
        tmp_path / "starved",
        f"{BUDGET_MB // 2}MB",
        monkeypatch,
        "run",
        "--threads",
        "2",
        "--fail-fast",
    )
    assert starved.returncode != 0
    assert "Out of Memory" in starved.stdout, starved.stdout[-3000:]
