"""The same dbt project on Spark: the built world's scenario and seed generated as a lake
(generate --lake), registered (run-operation register_lake) and built by dbt-spark in
session mode, hold the same tables as the DuckDB warehouse of that world: every table the
Spark build makes has the same rows (counts exact; every number within 1e-9 of its size,
which a different order of summing stays far inside), and the recovery tests pass on
Spark too. The dbt Python models (the churn model, forecasts, personas) are not built on
Spark, which runs them only on Databricks: the test checks that they are the only tables
Spark leaves out."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import DBT, ROOT, copy_project, run_generator

# the built_world fixture's world (conftest.py)
USERS, SEED = "6000", "11"
RELATIVE = 1e-9
PYTHON_MODEL_FOLDERS = ("churn", "forecasts", "personas")


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    """The built world's lake, built on Spark: (its warehouse folder, a dbt runner)."""
    base = tmp_path_factory.mktemp("spark")
    lake, warehouse = base / "lake", base / "warehouse"
    made = run_generator("--users", USERS, "--seed", SEED, "--lake", str(lake))
    assert made.returncode == 0, made.stderr
    project = copy_project(base / "project")

    def dbt(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(DBT), *args, "--target", "spark"]
            + ["--project-dir", str(project), "--profiles-dir", str(project)],
            cwd=project,
            capture_output=True,
            text=True,
            env={**os.environ, "SPARK_WAREHOUSE": str(warehouse)}
            | {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        )

    registered = dbt("run-operation", "register_lake", "--args", json.dumps({"path": str(lake)}))
    assert registered.returncode == 0, registered.stdout[-3000:]
    built = dbt("run")
    assert built.returncode == 0, built.stdout[-3000:]
    return warehouse, dbt


def _spark_tables(warehouse: Path) -> dict[str, str]:
    """schema.table -> a DuckDB relation over its Parquet files, for every table the Spark
    build made (not the lake's raw and truth tables)."""
    return {
        f"{schema.name[:-3]}.{table.name}": f"read_parquet('{table}/*.parquet')"
        for schema in sorted(warehouse.glob("*.db"))
        if schema.name not in ("raw.db", "truth.db")
        for table in sorted(schema.iterdir())
        if table.is_dir()
    }


def _differences(con: duckdb.DuckDBPyConnection, ours: str, theirs: str) -> list[str]:
    """What differs between two relations of the same rows, keyed by their first column
    (each mart's id): rows on one side only, and per column the rows whose values differ
    (numbers: by more than RELATIVE of their size, at least 1)."""
    columns = con.execute(f"describe select * from {ours}").fetchall()
    described = con.execute(f"describe select * from {theirs}").fetchall()
    kinds = {name: kind for name, kind, *_ in described}
    key = columns[0][0]
    unique = con.execute(f'select count(*) = count(distinct "{key}") from {ours}').fetchone()[0]
    if not unique:
        return [f"first column {key} is not a key"]
    found = []
    only = con.execute(
        f'select (select count(*) from {ours} a anti join {theirs} b using ("{key}")),'
        f' (select count(*) from {theirs} b anti join {ours} a using ("{key}"))'
    ).fetchone()
    if only != (0, 0):
        found.append(f"{only[0]} rows only on DuckDB, {only[1]} only on Spark")
    for name, kind, *_ in columns[1:]:
        a, b = f'a."{name}"', f'b."{name}"'
        numeric = {kind, kinds[name]} & {"DOUBLE", "FLOAT"}
        if numeric:
            a, b = f"cast({a} as double)", f"cast({b} as double)"
            differs = (
                f"not ({a} is not distinct from {b}"
                f" or abs({a} - {b}) <= {RELATIVE} * greatest(1, abs({a}), abs({b}))"
                f" or (isnan({a}) and isnan({b})))"
            )
        else:
            differs = f"{a} is distinct from {b}"
        count = con.execute(
            f'select count(*) from {ours} a join {theirs} b using ("{key}") where {differs}'
        ).fetchone()[0]
        if count:
            found.append(f"{name}: {count} rows differ")
    return found


def test_every_table_spark_builds_equals_duckdbs(spark, built_world):
    warehouse, _ = spark
    tables = _spark_tables(warehouse)
    con = duckdb.connect(str(built_world), read_only=True)
    con.execute("set TimeZone = 'UTC'")  # Spark's session time zone (profiles.yml)
    try:
        ours = {
            f"{schema}.{table}"
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_type = 'BASE TABLE' and table_schema not in ('raw', 'truth', 'meta')"
            ).fetchall()
        }
        python_marts = {
            f"marts.{path.stem}"
            for folder in PYTHON_MODEL_FOLDERS
            for path in (ROOT / "models" / "marts" / folder).glob("*.*")
            if path.suffix in (".sql", ".py")
        }
        assert set(tables) == ours - python_marts, "Spark builds other tables than DuckDB"
        assert len(tables) >= 40
        differing = {}
        for name, relation in tables.items():
            counts = con.execute(
                f"select (select count(*) from {name}), (select count(*) from {relation})"
            ).fetchone()
            if counts[0] != counts[1]:
                differing[name] = [f"{counts[0]} rows on DuckDB, {counts[1]} on Spark"]
                continue
            found = _differences(con, name, f"(select * from {relation})")
            if found:
                differing[name] = found
    finally:
        con.close()
    assert not differing, "\n".join(f"{t}: {'; '.join(d)}" for t, d in differing.items())


def test_the_comparison_sees_a_difference_of_a_billionth(built_world):
    con = duckdb.connect(str(built_world), read_only=True)
    try:
        table = "marts.fct_kpi_daily"
        column = next(
            name
            for name, kind, *_ in con.execute(f"describe {table}").fetchall()
            if kind == "DOUBLE"
        )
        scaled = f"(select * replace ({column} * (1 + {{}}) as {column}) from {table})"
        assert _differences(con, table, scaled.format(5e-9)), "a change of 5e-9 went unseen"
        assert not _differences(con, table, scaled.format(1e-13)), "summing order is a change"
    finally:
        con.close()


def test_the_recovery_tests_pass_on_spark(spark):
    _, dbt = spark
    tested = dbt("test", "--select", "tag:recovery")
    failed = [line for line in tested.stdout.splitlines() if " FAIL " in line or " ERROR " in line]
    assert tested.returncode == 0, "\n".join(failed) or tested.stdout[-3000:]
    assert " PASS=" in tested.stdout and " PASS=0 " not in tested.stdout
