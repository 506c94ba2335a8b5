"""Forecasts of the headline series with intervals: a regression on the log of the series
with a linear trend, yearly seasonality (Fourier terms, given a year of daily history or
three of monthly) and, for daily series, weekday effects, its errors an AR(1) process
(statsmodels' GLSAR, feasible GLS), fitted on the last two years of days or three of
months. The interval is the 95% predictive interval, taken back from the log scale.

Exponential smoothing with a damped trend was tried and dropped: from October it read the
autumn surge of a study world as trend and ran 42% high by December.

A backtest makes the same forecast from an earlier origin and sets it beside what came."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

ALPHA = 0.05
HISTORY_DAYS = 730  # a daily model fits the last two years at most
HISTORY_MONTHS = 36
YEARLY_HARMONICS = 3
MIN_POINTS = {"day": 56, "month": 12}  # fewer: no forecast

COLUMNS = {
    "forecast_id": "str",
    "forecast_kind": "str",
    "metric": "str",
    "grain": "str",
    "origin": "datetime64[us]",
    "period_start": "datetime64[us]",
    "forecast": "float64",
    "lower": "float64",
    "upper": "float64",
}


@dataclass(frozen=True)
class Forecast:
    metric: str
    grain: str  # day or month
    origin: pd.Timestamp  # the last period the model saw
    frame: pd.DataFrame  # period_start, forecast, lower, upper
    rho: float  # the AR(1) coefficient of the errors


def _design(dates: pd.DatetimeIndex, start: pd.Timestamp, grain: str, yearly: bool):
    years = np.asarray((dates - start).days, dtype=float) / 365.25
    columns = [years]
    if yearly:
        for k in range(1, YEARLY_HARMONICS + 1):
            columns += [np.sin(2 * np.pi * k * years), np.cos(2 * np.pi * k * years)]
    if grain == "day":
        weekday = np.asarray(dates.dayofweek)
        columns += [(weekday == d).astype(float) for d in range(1, 7)]
    return np.column_stack(columns)


def forecast_series(
    series: pd.Series, metric: str, grain: str, horizon: int, alpha: float = ALPHA
) -> Forecast | None:
    """Forecast `horizon` periods after the series' last one (None when too short).
    `series` is indexed by period start (days or month starts), zeros allowed.

    The regression is fitted by feasible GLS with AR(1) errors (statsmodels' GLSAR); the
    predictive variance adds the AR(1) error's h-step variance to the uncertainty of the
    regression's fitted line there."""
    from scipy.stats import norm  # noqa: PLC0415
    from statsmodels.regression.linear_model import GLSAR  # noqa: PLC0415

    series = series.sort_index().astype(float)
    series = series.iloc[-(HISTORY_DAYS if grain == "day" else HISTORY_MONTHS) :]
    if len(series) < MIN_POINTS[grain] or (series > 0).sum() < MIN_POINTS[grain] // 2:
        return None
    dates = pd.DatetimeIndex(series.index)
    step = pd.DateOffset(days=1) if grain == "day" else pd.DateOffset(months=1)
    future = pd.DatetimeIndex([dates[-1] + step * (h + 1) for h in range(horizon)])
    # a yearly pattern needs a year of daily history, or three years of months
    yearly = (dates[-1] - dates[0]).days >= (365 if grain == "day" else 3 * 365)
    start = dates[0]
    y = np.log1p(series.to_numpy())
    x = np.column_stack([np.ones(len(y)), _design(dates, start, grain, yearly)])
    x_future = np.column_stack([np.ones(horizon), _design(future, start, grain, yearly)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = GLSAR(y, x, rho=1).iterative_fit(maxiter=10)
    rho = float(np.clip(np.asarray(fitted.model.rho).item(), -0.99, 0.99))
    residual = y - x @ fitted.params
    innovations = residual[1:] - rho * residual[:-1]
    sigma2 = float(np.mean(innovations**2))
    h = np.arange(1, horizon + 1)
    mean = x_future @ fitted.params + rho**h * residual[-1]
    error_var = sigma2 * (1 - rho ** (2 * h)) / (1 - rho**2)
    line_var = np.einsum("ij,jk,ik->i", x_future, np.asarray(fitted.cov_params()), x_future)
    half = norm.ppf(1 - alpha / 2) * np.sqrt(error_var + line_var)
    frame = pd.DataFrame(
        {
            "period_start": future,
            "forecast": np.expm1(mean),
            "lower": np.maximum(np.expm1(mean - half), 0.0),
            "upper": np.expm1(mean + half),
        }
    )
    return Forecast(metric, grain, dates[-1], frame, rho)


def headline_forecasts(
    daily: pd.DataFrame, monthly: pd.DataFrame, horizon_days: int
) -> pd.DataFrame:
    """Every column of `daily` (indexed by day) and of `monthly` (indexed by month start)
    forecast from its last period (kind forecast) and from one horizon earlier (kind
    backtest), as one table."""
    months = max(1, round(horizon_days / 30.4))
    made: list[tuple[str, Forecast | None]] = []
    for frame, grain, horizon in ((daily, "day", horizon_days), (monthly, "month", months)):
        for metric in frame.columns:
            series = frame[metric]
            made.append(("forecast", forecast_series(series, metric, grain, horizon)))
            if len(series) > horizon:
                made.append(
                    ("backtest", forecast_series(series.iloc[:-horizon], metric, grain, horizon))
                )
    return to_rows(made)


def to_rows(forecasts: list[tuple[str, Forecast | None]]) -> pd.DataFrame:
    """The forecasts as one table: kind, metric, grain, origin, period, forecast and
    interval."""
    frames = [
        f.frame.assign(forecast_kind=kind, metric=f.metric, grain=f.grain, origin=f.origin)
        for kind, f in forecasts
        if f is not None
    ]
    if not frames:
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in COLUMNS.items()})
    out = pd.concat(frames, ignore_index=True)
    out["forecast_id"] = (
        out.forecast_kind + "-" + out.metric + "-" + out.period_start.dt.strftime("%Y-%m-%d")
    )
    out = out[list(COLUMNS)]
    out["origin"] = pd.to_datetime(out.origin)
    out["period_start"] = pd.to_datetime(out.period_start)
    return out


def accuracy(forecast: pd.DataFrame, actual: pd.Series) -> tuple[float, float, int]:
    """Coverage of the interval, mean absolute percentage error and the periods compared,
    over the periods with an actual value."""
    joined = forecast.set_index("period_start").join(actual.rename("actual"), how="inner")
    joined = joined[joined.actual > 0]
    if joined.empty:
        return float("nan"), float("nan"), 0
    inside = (joined.actual >= joined.lower) & (joined.actual <= joined.upper)
    error = (joined.forecast - joined.actual).abs() / joined.actual
    return float(inside.mean()), float(error.mean()), len(joined)
