"""The calendar of a log: daily signups as a Poisson log-linear model (exponential growth,
weekday and month weights; months only with two years of data, when they can be told
from the growth), the days that stand out from it (anomalies), the same model of daily
sessions over the users at risk, and the hour-of-day profile."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.calendar import DAYS_PER_YEAR

MIN_ZERO_RUN = 14  # this many days in a row without a signup: the log's acquisition paused
ANOMALY_Z = 5.0  # standardised residual (over-dispersion allowed for) of an anomaly day
ANOMALY_RATIO = 1.5  # and it is at least this far from expected, either way
MONTHS_NEED_DAYS = 730  # month weights are told from growth only over two years
LEVEL_KNOT_DAYS = 91  # sessions per user at risk drift slowly: a level with a knot a quarter
EDGE_DAYS = 28  # the users at risk are guessed from later sessions: not near the log's ends


@dataclass(frozen=True)
class Glm:
    beta: np.ndarray
    cov: np.ndarray
    mu: np.ndarray  # expected count every day (anomaly days included, as the model says)
    dispersion: float


@dataclass(frozen=True)
class DailyModel:
    growth_per_year: float
    growth_se: float
    weekday: np.ndarray  # 7 weights, Monday first, mean 1
    weekday_se: np.ndarray
    month: np.ndarray  # 12 weights, mean 1 (all 1 when the log is too short)
    months_fitted: bool
    ratio: np.ndarray  # observed / expected per day


def _design(weekday: np.ndarray, month: np.ndarray, extra: list[np.ndarray], months: bool):
    cols = [np.ones(len(weekday)), *extra]
    cols += [(weekday == w).astype(float) for w in range(1, 7)]
    if months:
        cols += [(month == m).astype(float) for m in range(1, 12)]
    return np.column_stack(cols)


def poisson_glm(y: np.ndarray, x: np.ndarray, offset: np.ndarray, use: np.ndarray) -> Glm:
    """Iteratively reweighted least squares on the days in `use`."""
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(max(y[use].sum(), 1.0) / np.exp(offset[use]).sum())
    xu, yu, ou = x[use], y[use], offset[use]
    for _ in range(50):
        eta = np.clip(xu @ beta + ou, -50, 50)
        mu = np.exp(eta)
        z = eta - ou + (yu - mu) / mu
        w = mu
        a = xu.T @ (w[:, None] * xu) + 1e-9 * np.eye(len(beta))
        new = np.linalg.solve(a, xu.T @ (w * z))
        if np.max(np.abs(new - beta)) < 1e-10:
            beta = new
            break
        beta = new
    mu_u = np.exp(np.clip(xu @ beta + ou, -50, 50))
    dof = max(use.sum() - len(beta), 1)
    dispersion = max(float(((yu - mu_u) ** 2 / mu_u).sum() / dof), 1.0)
    info = xu.T @ (mu_u[:, None] * xu) + 1e-9 * np.eye(len(beta))
    cov = np.linalg.inv(info) * dispersion
    return Glm(beta, cov, np.exp(np.clip(x @ beta + offset, -50, 50)), dispersion)


def fit_daily(
    y: np.ndarray,
    weekday: np.ndarray,
    month: np.ndarray,
    offset: np.ndarray | None = None,
    excluded: np.ndarray | None = None,
    trend: bool = True,
) -> tuple[DailyModel, np.ndarray]:
    """The model of a daily series and the days it flags as anomalies (fitted again
    without them, twice)."""
    days = len(y)
    years = np.arange(days) / DAYS_PER_YEAR
    off = np.zeros(days) if offset is None else offset
    months = days >= MONTHS_NEED_DAYS
    extra = [years] if trend else _level(days)  # sessions: a smooth level, no growth
    x = _design(weekday, month, extra, months)
    base = np.isfinite(off) & (np.zeros(days, bool) if excluded is None else ~excluded)
    flagged = np.zeros(days, dtype=bool)
    for _ in range(3):
        glm = poisson_glm(y, x, np.where(np.isfinite(off), off, 0.0), base & ~flagged)
        sd = np.sqrt(glm.dispersion * glm.mu)
        z = (y - glm.mu) / np.maximum(sd, 1e-9)
        with np.errstate(divide="ignore", invalid="ignore"):
            far = (y > ANOMALY_RATIO * glm.mu) | (y < glm.mu / ANOMALY_RATIO)
        new = base & (np.abs(z) > ANOMALY_Z) & far
        if not trend:
            new[:EDGE_DAYS] = new[days - EDGE_DAYS :] = False
        if np.array_equal(new, flagged):
            break
        flagged = new
    wd_log = np.r_[0.0, glm.beta[len(extra) + 1 : len(extra) + 7]]
    wd = np.exp(wd_log) / np.exp(wd_log).mean()
    # delta method: weight i = e^b_i / mean_j e^b_j, so d w_i / d b_j = w_i (d_ij - w_j / 7)
    jac = wd[:, None] * (np.eye(7) - wd[None, :] / 7)
    idx = np.arange(len(extra) + 1, len(extra) + 7)
    cov_wd = np.zeros((7, 7))
    cov_wd[1:, 1:] = glm.cov[np.ix_(idx, idx)]
    wd_se = np.sqrt(np.diag(jac @ cov_wd @ jac.T))
    if months:
        mo_log = np.r_[0.0, glm.beta[len(extra) + 7 : len(extra) + 18]]
        mo = np.exp(mo_log) / np.exp(mo_log).mean()
    else:
        mo = np.ones(12)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(glm.mu > 0, y / glm.mu, 1.0)
    model = DailyModel(
        growth_per_year=float(glm.beta[1]),
        growth_se=float(np.sqrt(glm.cov[1, 1])),
        weekday=wd,
        weekday_se=wd_se,
        month=mo,
        months_fitted=months,
        ratio=ratio,
    )
    return model, flagged


def _level(days: int) -> list[np.ndarray]:
    """Piecewise-linear level: hat functions on knots LEVEL_KNOT_DAYS apart (the first is
    the intercept's)."""
    knots = np.arange(0, days + LEVEL_KNOT_DAYS, LEVEL_KNOT_DAYS)
    t = np.arange(days)
    hats = [np.clip(1 - np.abs(t - k) / LEVEL_KNOT_DAYS, 0, None) for k in knots[1:]]
    return [h for h in hats if h.any()]


def zero_runs(y: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) days of each run of at least MIN_ZERO_RUN days with no count."""
    runs, start = [], None
    for d, v in enumerate(np.r_[y, 1]):
        if v == 0 and start is None:
            start = d
        elif v != 0 and start is not None:
            if d - start >= MIN_ZERO_RUN:
                runs.append((start, d - 1))
            start = None
    return runs


def day_ranges(days: np.ndarray) -> list[tuple[int, int]]:
    """Sorted day indexes as (first, last) runs of consecutive days."""
    if len(days) == 0:
        return []
    breaks = np.flatnonzero(np.diff(days) > 1)
    firsts = np.r_[days[0], days[breaks + 1]]
    lasts = np.r_[days[breaks], days[-1]]
    return list(zip(firsts.tolist(), lasts.tolist(), strict=True))


def hour_weights(hours: np.ndarray) -> list[float]:
    """24 weights, mean 1, from counts per UTC hour."""
    counts = np.bincount(hours, minlength=24).astype(float)
    return (counts / counts.mean()).tolist()
