"""MetricFlow answers from the semantic layer what the marts say: `mf query` for DAU,
WAU and new users by day, and new users by week, equal fct_kpi_daily on a built world."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import DBT

MF = Path(sys.executable).with_name("mf")


@pytest.fixture(scope="module")
def project(built_world):
    project = built_world.parent / "project"
    env = {**os.environ, "DUCKDB_PATH": str(built_world), "DBT_PROFILES_DIR": str(project)}
    parsed = subprocess.run(
        [str(DBT), "parse"], cwd=project, env=env, capture_output=True, text=True
    )
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    return project, env


def _mf(project, env, out: Path, *args: str) -> list[dict[str, str]]:
    result = subprocess.run(
        [str(MF), "query", *args, "--csv", str(out)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    with out.open() as f:
        return list(csv.DictReader(f))


def _kpis(db: Path, sql: str) -> dict[str, tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {str(r[0]): tuple(int(v) for v in r[1:]) for r in con.execute(sql).fetchall()}
    finally:
        con.close()


def test_daily_metrics_equal_the_kpi_mart(built_world, project, tmp_path):
    rows = _mf(
        *project,
        tmp_path / "daily.csv",
        "--metrics",
        "dau,wau,new_users",
        "--group-by",
        "metric_time__day",
    )
    queried = {
        r["metric_time__day"][:10]: tuple(
            int(float(r[m] or 0)) for m in ("dau", "wau", "new_users")
        )
        for r in rows
    }
    marts = _kpis(built_world, "select kpi_date, dau, wau, new_users from marts.fct_kpi_daily")
    assert len(marts) > 300
    assert queried == marts


def test_weekly_new_users_equal_the_kpi_mart(built_world, project, tmp_path):
    rows = _mf(
        *project,
        tmp_path / "weekly.csv",
        "--metrics",
        "new_users",
        "--group-by",
        "metric_time__week",
    )
    queried = {r["metric_time__week"][:10]: (int(float(r["new_users"])),) for r in rows}
    marts = _kpis(
        built_world,
        "select date_trunc('week', kpi_date)::date, sum(new_users) from marts.fct_kpi_daily "
        "group by 1 having sum(new_users) > 0",
    )
    assert queried == marts
