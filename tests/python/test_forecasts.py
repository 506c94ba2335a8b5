"""Forecasts against the planted truth: the default world at 20,000 users, built as of a
day D, forecasts DAU and new users 91 days on; the same world built whole holds what came,
and truth holds what was planted (the expected DAU and signups of every day, the trend
continued).

A 95% interval should hold the realised values and the planted expectation on about 95%
of the days. The days are not independent (the errors are AR(1) with coefficient rho), so
the floor is the 1st percentile of the coverage of n (1 - rho) / (1 + rho) independent
days. A forecast 40% too high fails these checks; at 6,000 users (5 signups a day) the
new users' interval is so wide that it would not, so the world has 20,000.

The error against the planted expectation is reported beside the seasonal naive
forecast's (each weekday's mean over the last four weeks, carried on), not judged: from
October, after a study world's autumn surge, the naive forecast is hard to beat."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, build_copy
from generator.analysis.forecast import accuracy, forecast_series

HORIZON = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]["forecast_horizon_days"]
TRUTH = {
    "dau": "select activity_date as day, expected_dau as planted from truth.daily_activity",
    "new_users": "select signup_date as day, expected_signups as planted from truth.signup_curve",
}


def _series(con, sql: str) -> pd.Series:
    frame = con.execute(sql).df()
    return frame.set_index(pd.to_datetime(frame.iloc[:, 0])).iloc[:, 1].astype(float)


@pytest.fixture(scope="module")
def forecast_world(large_raw_world, tmp_path_factory):
    """The large world's forecasts as of HORIZON days before its end, what came, and
    truth."""
    select = ("--select", "+fct_forecasts", "+fct_forecast_accuracy")
    whole_db = build_copy(large_raw_world, tmp_path_factory.mktemp("whole"), *select)
    whole = duckdb.connect(str(whole_db), read_only=True)
    try:
        last = whole.execute("select max(kpi_date) from marts.fct_kpi_daily").fetchall()[0][0]
        actual = {
            m: _series(whole, f"select kpi_date, {m} from marts.fct_kpi_daily") for m in TRUTH
        }
        planted = {m: _series(whole, sql) for m, sql in TRUTH.items()}
    finally:
        whole.close()
    as_of = last - dt.timedelta(days=HORIZON)
    db = build_copy(
        large_raw_world,
        tmp_path_factory.mktemp("as_of"),
        *select,
        "--vars",
        f"{{as_of_date: '{as_of}'}}",
    )
    con = duckdb.connect(str(db), read_only=True)
    try:
        forecasts = con.execute("select * from marts.fct_forecasts").df()
        history = {m: _series(con, f"select kpi_date, {m} from marts.fct_kpi_daily") for m in TRUTH}
        backtest = con.execute("select * from marts.fct_forecast_accuracy").df()
    finally:
        con.close()
    return {
        "as_of": pd.Timestamp(as_of),
        "forecasts": forecasts,
        "history": history,
        "actual": actual,
        "planted": planted,
        "backtest": backtest,
    }


def coverage_floor(days: int, rho: float) -> float:
    independent = max(1.0, days * (1 - rho) / (1 + rho))
    return 0.95 - 2.326 * np.sqrt(0.95 * 0.05 / independent)


def seasonal_naive(history: pd.Series, days: pd.DatetimeIndex) -> np.ndarray:
    recent = history.iloc[-28:]
    by_weekday = recent.groupby(recent.index.dayofweek).mean()
    return by_weekday.reindex(days.dayofweek).to_numpy()


def judge(frame: pd.DataFrame, history: pd.Series, actual: pd.Series, planted: pd.Series):
    """What is wrong with a daily forecast, as sentences, and its figures."""
    metric = frame.metric.iloc[0]
    refit = forecast_series(history, metric, "day", len(frame))
    assert refit is not None
    floor = coverage_floor(len(frame), refit.rho)
    covered, error, days = accuracy(frame, actual)
    planted_covered, planted_error, _ = accuracy(frame, planted)
    expected = planted.reindex(pd.DatetimeIndex(frame.period_start)).to_numpy()
    naive = seasonal_naive(history, pd.DatetimeIndex(frame.period_start))
    naive_error = float(np.mean(np.abs(naive - expected) / expected))
    figures = (
        f"{metric}: {days} days, realised inside {covered:.0%}, planted inside "
        f"{planted_covered:.0%} (floor {floor:.0%}, rho {refit.rho:.2f}); error "
        f"{error:.1%} vs realised, {planted_error:.1%} vs planted (naive {naive_error:.1%})"
    )
    problems = []
    if covered < floor:
        problems.append(f"realised values inside the interval on {covered:.0%} of days")
    if planted_covered < floor:
        problems.append(f"the planted expectation inside on {planted_covered:.0%} of days")
    return problems, figures


@pytest.mark.parametrize("metric", list(TRUTH))
def test_a_forecast_from_d_holds_what_came_and_what_was_planted(forecast_world, metric):
    w = forecast_world
    frame = w["forecasts"]
    frame = frame[(frame.forecast_kind == "forecast") & (frame.metric == metric)]
    assert len(frame) == HORIZON
    assert pd.Timestamp(frame.origin.iloc[0]) == w["as_of"]
    problems, figures = judge(
        frame, w["history"][metric], w["actual"][metric], w["planted"][metric]
    )
    print(f"\n{figures}")
    assert not problems, figures


@pytest.mark.parametrize("metric", list(TRUTH))
def test_a_forecast_40_percent_high_fails(forecast_world, metric):
    w = forecast_world
    frame = w["forecasts"]
    frame = frame[(frame.forecast_kind == "forecast") & (frame.metric == metric)].copy()
    for column in ("forecast", "lower", "upper"):
        frame[column] *= 1.4
    problems, _ = judge(frame, w["history"][metric], w["actual"][metric], w["planted"][metric])
    assert problems


def test_the_backtest_is_reported_for_every_metric(forecast_world):
    backtest = forecast_world["backtest"].set_index("metric")
    print("\n" + backtest.to_string())
    assert {"dau", "new_users", "mrr", "paying_customers"} <= set(backtest.index)
    assert (backtest.periods > 0).all()
