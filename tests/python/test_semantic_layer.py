"""MetricFlow answers from the semantic layer what the marts say, on a built world:
`mf query` for DAU, WAU and new users by day and new users by week equal fct_kpi_daily,
and MRR and the logo churn rate by month equal the revenue marts."""

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


def test_monthly_mrr_and_logo_churn_equal_the_revenue_marts(built_world, project, tmp_path):
    rows = _mf(
        *project,
        tmp_path / "monthly.csv",
        "--metrics",
        "mrr,logo_churn_rate",
        "--group-by",
        "metric_time__month",
    )
    queried = {
        r["metric_time__month"][:10]: (
            float(r["mrr"] or 0),
            float(r["logo_churn_rate"]) if r["logo_churn_rate"] else None,
        )
        for r in rows
    }
    con = duckdb.connect(str(built_world), read_only=True)
    try:
        marts = con.execute(
            "select cast(m.mrr_month as varchar), cast(m.ending_mrr as double), "
            "c.logo_churn_rate from marts.fct_mrr_movements as m "
            "left join marts.fct_churn as c "
            "on c.mrr_month = m.mrr_month and c.breakdown = '(all)'"
        ).fetchall()
    finally:
        con.close()
    assert len(marts) > 12
    for month, mrr, churn in marts:
        assert month in queried, month
        assert queried[month][0] == pytest.approx(mrr, abs=0.005), month
        if churn is None:
            assert queried[month][1] is None, month
        else:
            assert queried[month][1] == pytest.approx(churn, rel=1e-9), month
