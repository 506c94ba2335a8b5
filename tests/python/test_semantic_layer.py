"""MetricFlow answers from the semantic layer what the marts say, on a built world:
`mf query` for DAU, WAU and new users by day and new users by week equal fct_kpi_daily,
MRR and the logo churn rate by month equal the revenue marts, day-7 retention by month
equals day 7 of fct_cohort_retention, and signup-to-paid conversion by week equals the
share of each signup week's users with a checkout within 90 days."""

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


def test_day_7_retention_by_month_equals_the_cohort_retention_mart(built_world, project, tmp_path):
    rows = _mf(
        *project,
        tmp_path / "retention.csv",
        "--metrics",
        "day_7_retention,day_7_retained_users,day_7_eligible_users",
        "--group-by",
        "metric_time__month",
    )
    queried = {
        r["metric_time__month"][:10]: (
            int(float(r["day_7_retained_users"])),
            int(float(r["day_7_eligible_users"])),
            float(r["day_7_retention"]) if r["day_7_retention"] else None,
        )
        for r in rows
    }
    marts = _kpis(
        built_world,
        "select cohort_month, retained_on, eligible_users from marts.fct_cohort_retention "
        "where period_type = 'day' and period_number = 7",
    )
    assert len(marts) > 12
    for month, (retained, eligible) in marts.items():
        assert queried[month][:2] == (retained, eligible), month
        assert queried[month][2] == pytest.approx(retained / eligible, rel=1e-9), month
    # cohorts whose day 7 has not elapsed for anyone are the only ones the mart leaves out
    assert all(v[1] == 0 for m, v in queried.items() if m not in marts)


def test_weekly_signup_to_paid_conversion_equals_the_marts(built_world, project, tmp_path):
    rows = _mf(
        *project,
        tmp_path / "conversion.csv",
        "--metrics",
        "signup_to_paid_conversion",
        "--group-by",
        "metric_time__week",
    )
    queried = {
        r["metric_time__week"][:10]: float(r["signup_to_paid_conversion"] or 0) for r in rows
    }
    con = duckdb.connect(str(built_world), read_only=True)
    try:
        marts = con.execute(
            """
            with converted as (
                select distinct users.user_id
                from marts.dim_users as users
                inner join marts.fct_events as events
                    on users.user_id = events.user_id
                    and events.event_name = 'checkout_completed'
                    and events.event_date >= users.signup_date
                    and events.event_date < users.signup_date + interval 90 day
            )
            select cast(users.cohort_week as varchar),
                count(converted.user_id) / count(*)
            from marts.dim_users as users
            left join converted on users.user_id = converted.user_id
            group by 1
            """
        ).fetchall()
    finally:
        con.close()
    assert len(marts) > 50
    assert sum(rate > 0 for _, rate in marts) > 20
    assert set(queried) == {week for week, _ in marts}
    for week, rate in marts:
        assert queried[week] == pytest.approx(rate, abs=1e-12), week


def test_quarterly_mrr_is_a_balance_and_churn_a_flow(built_world, project, tmp_path):
    """By quarter, MRR is the last month's ending MRR and customers at the start the
    first month's (not sums of months); churned customers add up; the churn rate is
    churned over customers at the quarter's start."""
    rows = _mf(
        *project,
        tmp_path / "quarterly.csv",
        "--metrics",
        "mrr,starting_customers,churned_customers,logo_churn_rate",
        "--group-by",
        "metric_time__quarter",
    )
    queried = {r["metric_time__quarter"][:10]: r for r in rows}
    con = duckdb.connect(str(built_world), read_only=True)
    try:
        marts = con.execute(
            """
            select
                cast(cast(date_trunc('quarter', mrr_month) as date) as varchar),
                cast(arg_max(ending_mrr, mrr_month) as double),
                arg_min(starting_customers, mrr_month),
                sum(churned_customers)
            from marts.fct_mrr_movements
            group by 1
            """
        ).fetchall()
    finally:
        con.close()
    assert len(marts) >= 4
    for quarter, mrr, starting, churned in marts:
        row = queried[quarter]
        assert float(row["mrr"]) == pytest.approx(mrr, abs=0.005), quarter
        assert int(float(row["starting_customers"])) == starting, quarter
        assert int(float(row["churned_customers"] or 0)) == churned, quarter
        if starting:
            assert float(row["logo_churn_rate"]) == pytest.approx(churned / starting), quarter
