"""Shared helpers: the default scenario as a dict, small runs of the simulator, dbt, and
headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO = ROOT / "scenarios" / "study_assistant.yml"
DBT = Path(sys.executable).with_name("dbt")
PROJECT_FILES = (
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "macros",
    "tests",
    "analyses",
    "seeds",
)


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing outside the file can load
    "--virtual-time-budget=20000",
)


def chromium_dom(url: str, profile: Path) -> str:
    """The DOM headless Chromium holds after loading `url` and running its scripts."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make browser` installs it"
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture
def scenario_dict() -> dict:
    return yaml.safe_load(DEFAULT_SCENARIO.read_text())


def run_generator(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator", "generate", "--quiet", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def table_checksums(db: Path) -> dict[str, tuple[int, int]]:
    """Row count and an order-sensitive hash sum of every raw and truth table."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'truth') order by 1, 2"
        ).fetchall()
        out = {}
        for schema, table in tables:
            out[f"{schema}.{table}"] = con.execute(
                f"select count(*), sum(hash(t, rn)::hugeint) from "
                f"(select *, row_number() over () as rn from {schema}.{table}) as t"
            ).fetchone()
        return out
    finally:
        con.close()


def table_contents(db: Path, names: list[str] | None = None) -> dict[str, tuple[int, int]]:
    """Row count and an order-free hash sum of each table named (schema.table), by default
    every raw, truth and meta table: an append or an incremental run adds its rows after
    the earlier ones, so the same rows may lie in another order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        if names is None:
            names = [
                f"{schema}.{table}"
                for schema, table in con.execute(
                    "select table_schema, table_name from information_schema.tables "
                    "where table_schema in ('raw', 'truth', 'meta') order by 1, 2"
                ).fetchall()
            ]
        query = "select count(*), sum(hash(t)::hugeint) from {} as t"
        return {name: con.execute(query.format(name)).fetchall()[0] for name in names}
    finally:
        con.close()


def differing_rows(
    con: duckdb.DuckDBPyConnection, a: str, b: str, decimals: int = 6
) -> tuple[int, int]:
    """Rows of relation a not in b and of b not in a (multisets), doubles compared to
    `decimals` decimals: the same rows summed in another order differ in the last bits.
    Rounded on one grid, two such values can straddle a rounding boundary (a ratio ending
    in 5 at the next decimal does); on a grid shifted by an irrational share of a step no
    value with a short decimal expansion lies on a boundary, while values that truly differ
    by a step differ on both grids: the relations differ only when they do on both."""
    kinds = con.execute(f"describe {a}").fetchall()
    step = 10**decimals
    counts = []
    for grid in (f"round({{}} * {step})", f"round({{}} * {step} + 1 / pi())"):
        columns = ", ".join(
            grid.format(f'"{name}"') if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
            for name, kind, *_ in kinds
        )
        left, right = f"select {columns} from {a}", f"select {columns} from {b}"
        counts.append(
            con.execute(
                f"select (select count(*) from ({left} except all {right})),"
                f" (select count(*) from ({right} except all {left}))"
            ).fetchone()
        )
    return min(counts, key=sum)


def copy_project(target: Path) -> Path:
    """The dbt project alone (no Python tests), so it can be changed without touching ours."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, target / name, ignore=shutil.ignore_patterns("python"))
        elif src.exists():
            shutil.copy(src, target / name)
    return target


def run_dbt(project: Path, db: Path, *args: str) -> subprocess.CompletedProcess:
    """dbt in `project` on the warehouse `db`, named relative to the project: a copy of a
    project and its warehouse side by side then has the same profile, so dbt's parse of
    the original (target/partial_parse.msgpack) serves the copy."""
    path = os.path.relpath(db, project)
    return subprocess.run(
        [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "DUCKDB_PATH": path, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )


def assert_break_fails(world: Path, tmp_path: Path, broken: tuple[str, ...]) -> None:
    """On a copy of a built world and of the project, replace one line of a model (file,
    line, broken line), rebuild the models named and run the test named: it must fail
    with rows returned, not with an error running it."""
    path, old, new, models, test = broken
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(world, db)
    project = copy_project(tmp_path / "project")
    parsed = world.parent / "project" / "target" / "partial_parse.msgpack"
    if parsed.exists():  # the world's project beside it, as build_world leaves it
        (project / "target").mkdir()
        shutil.copy(parsed, project / "target" / parsed.name)
    source = project / path
    text = source.read_text()
    assert old in text, f"{path} no longer contains the line this test breaks"
    source.write_text(text.replace(old, new))
    # one dbt invocation: the models rebuilt in full (an incremental run would rebuild only
    # the users with new arrivals, none here), then the one test (the models' own tests
    # left out, so none of them can skip it)
    result = run_dbt(
        project,
        db,
        "build",
        "--full-refresh",
        "--select",
        *models.split(),
        test,
        "--indirect-selection",
        "empty",
    )
    assert "ERROR creating" not in result.stdout, result.stdout[-3000:]
    assert re.search(r"SKIP=0 ", result.stdout), result.stdout[-3000:]
    assert result.returncode != 0, result.stdout[-3000:]
    assert re.search(rf"FAIL \d+ {test} ", result.stdout), result.stdout[-3000:]


def build_world(base: Path, *generator_args: str) -> tuple[Path, str]:
    """Simulate a world into base/warehouse.duckdb (the generator's arguments as given) and
    build it with plain `dbt build` on a copy of the project, every test included; a
    failure names each failing node. Returns the warehouse and dbt's output."""
    db = base / "warehouse.duckdb"
    generated = run_generator(*generator_args, "--db", str(db))
    assert generated.returncode == 0, generated.stderr
    built = run_dbt(copy_project(base / "project"), db, "build")
    failed = [line for line in built.stdout.splitlines() if " FAIL " in line or " ERROR " in line]
    assert built.returncode == 0, "\n".join(failed) or built.stdout[-3000:]
    return db, built.stdout


@pytest.fixture(scope="session")
def built_world(tmp_path_factory) -> Path:
    """A small world (6,000 users, seed 11) built with dbt, every test passing; the
    project copy sits beside it in `project`."""
    base = tmp_path_factory.mktemp("world")
    db = base / "warehouse.duckdb"
    result = run_generator("--users", "6000", "--seed", "11", "--db", str(db))
    assert result.returncode == 0, result.stderr
    project = copy_project(base / "project")
    built = run_dbt(project, db, "build", "--exclude", "test_type:unit")
    assert built.returncode == 0, built.stdout[-3000:]
    return db


LARGE_USERS = 20_000


@pytest.fixture(scope="session")
def large_raw_world(tmp_path_factory) -> Path:
    """The default world at LARGE_USERS (seed 11), raw and truth only, for the checks that
    cannot judge at 6,000 users; each copies it and builds what it judges."""
    db = tmp_path_factory.mktemp("large") / "warehouse.duckdb"
    made = run_generator("--users", str(LARGE_USERS), "--seed", "11", "--db", str(db))
    assert made.returncode == 0, made.stderr
    return db


def build_copy(raw: Path, base: Path, *dbt_args: str) -> Path:
    """A copy of the world at `raw` in `base`, with dbt run as given on a copy of the
    project beside it."""
    base.mkdir(parents=True, exist_ok=True)
    db = base / "warehouse.duckdb"
    shutil.copy(raw, db)
    built = run_dbt(copy_project(base / "project"), db, "run", *dbt_args)
    assert built.returncode == 0, built.stdout[-3000:]
    return db
