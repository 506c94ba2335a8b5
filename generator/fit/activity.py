"""Activity and churn by maximum likelihood, the law the simulator plants: after the
signup day a user opens sessions as a Poisson process at rate lambda_segment x m x
cohort(signup) x age curve x the calendar (weekday, month, anomaly days), m ~ Gamma(k, 1/k)
per user, while active; activity ends after an exponential time at the segment's hazard.
The per-user multiplier is integrated out (negative binomial), the churn time by
Gauss-Legendre quadrature between the last session and the end of the log. A user's
return after churning is not modelled: the fit writes no returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from generator.calendar import DAYS_PER_YEAR

NODES = 16
MAX_USERS_FITTED = 20_000  # a sample this large pins every parameter down


@dataclass(frozen=True)
class ActivityData:
    signup_day: np.ndarray  # per user, day index
    last_day: np.ndarray  # per user, day of the last session after the signup day (or signup)
    sessions: np.ndarray  # per user, sessions after the signup day
    segment: np.ndarray  # per user
    calendar: np.ndarray  # per day, weekday x month x anomaly factor
    unit: str  # of the age curve: day, week or month
    unit_days: int
    buckets: int
    session_user: np.ndarray  # per session after the signup day: its user
    session_bucket: np.ndarray  # and its age bucket

    def subset(self, keep: np.ndarray, segment: np.ndarray) -> ActivityData:
        """The users in `keep` (a mask), with these segments."""
        index = np.cumsum(keep) - 1
        mine = keep[self.session_user]
        return ActivityData(
            signup_day=self.signup_day[keep],
            last_day=self.last_day[keep],
            sessions=self.sessions[keep],
            segment=segment,
            calendar=self.calendar,
            unit=self.unit,
            unit_days=self.unit_days,
            buckets=self.buckets,
            session_user=index[self.session_user[mine]],
            session_bucket=self.session_bucket[mine],
        )


@dataclass(frozen=True)
class ActivityFit:
    rate: np.ndarray  # per segment, sessions per day at multiplier 1
    hazard: np.ndarray  # per segment, churn per day
    shape: float
    curve: np.ndarray
    cohort_trend: float
    se: dict[str, np.ndarray]
    log_likelihood: float


def _basis(data: ActivityData, signup_day: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """users x nodes x buckets: the calendar summed over each age bucket's days lived
    within tau at-risk days after signup (tau fractional; the first at-risk day is the
    day after signup)."""
    cum = np.r_[0.0, np.cumsum(data.calendar)]  # cum[d] = sum of days < d
    days = len(data.calendar)

    def c(t: np.ndarray) -> np.ndarray:  # sum over days < t, t fractional
        t = np.clip(t, 0, days)
        lo = np.floor(t).astype(np.int64)
        frac = t - lo
        return cum[lo] + frac * np.r_[data.calendar, 0.0][np.minimum(lo, days)]

    start = signup_day[:, None].astype(float) + 1  # the first day at risk
    out = np.empty((*tau.shape, data.buckets))
    # at-risk day j (1, 2, ...) after signup has account age j, in bucket j // unit_days:
    # bucket b holds the days j in [b u, (b + 1) u), those after lo and up to hi
    for b in range(data.buckets):
        lo = max(b * data.unit_days - 1, 0)
        hi = (b + 1) * data.unit_days - 1 if b < data.buckets - 1 else np.inf
        a = np.minimum(tau, lo)
        z = np.minimum(tau, hi)
        out[..., b] = c(start + z) - c(start + a)
    return out


def fit_activity(data: ActivityData, n_segments: int, seed: int) -> ActivityFit:
    users = len(data.signup_day)
    days = len(data.calendar)
    keep = np.arange(users)
    if users > MAX_USERS_FITTED:
        keep = np.sort(np.random.default_rng(seed).choice(users, MAX_USERS_FITTED, False))
    s = data.signup_day[keep].astype(float)
    x = data.sessions[keep].astype(float)
    seg = data.segment[keep]
    horizon = days - 1 - s  # at-risk days the log can show
    lower = np.minimum(data.last_day[keep] - s, horizon)
    nodes, weights = np.polynomial.legendre.leggauss(NODES)
    half = (horizon - lower) / 2
    tau = lower[:, None] + half[:, None] * (nodes[None, :] + 1)
    w = half[:, None] * weights[None, :]
    b_nodes = _basis(data, s, tau)
    b_end = _basis(data, s, horizon[:, None])[:, 0, :]
    years = s / DAYS_PER_YEAR
    sampled = np.zeros(users, dtype=bool)
    sampled[keep] = True
    in_sample = sampled[data.session_user]  # the sample's own sessions by age bucket
    age_n = np.bincount(data.session_bucket[in_sample], minlength=data.buckets).astype(float)
    g = n_segments
    nb = data.buckets

    def unpack(theta: np.ndarray):
        rate = np.exp(theta[:g])
        hazard = np.exp(theta[g : 2 * g])
        k = np.exp(theta[2 * g])
        trend = theta[2 * g + 1]
        curve = np.exp(np.r_[0.0, theta[2 * g + 2 :]])
        return rate, hazard, k, trend, curve

    onehot = np.eye(g)[seg]  # users x segments

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Minus the log-likelihood and its gradient in theta."""
        rate, hazard, k, trend, curve = unpack(theta)
        lam = rate[seg] * np.exp(trend * years)
        h = hazard[seg]
        power = k + x
        lam_nodes = b_nodes @ curve  # users x nodes
        lam_end = b_end @ curve
        d_end = k + lam * lam_end
        d_mid = k + lam[:, None] * lam_nodes
        log_end = -h * horizon - power * np.log(d_end)
        log_mid = np.where(
            w > 0,
            np.log(h)[:, None]
            - h[:, None] * tau
            - power[:, None] * np.log(d_mid)
            + np.log(np.maximum(w, 1e-300)),
            -np.inf,
        )
        mix = np.logaddexp(log_end, np.logaddexp.reduce(log_mid, axis=1))
        ll = (
            (x * np.log(lam)).sum()
            + (age_n * np.log(curve)).sum()
            + (gammaln(power) - gammaln(k) + k * np.log(k)).sum()
            + mix.sum()
        )
        p_end = np.exp(log_end - mix)
        p_mid = np.exp(log_mid - mix[:, None])
        # d mix / d lam, d h, d k, and d curve (per user)
        d_lam = (
            x / lam
            - p_end * power * lam_end / d_end
            - (p_mid * power[:, None] * lam_nodes / d_mid).sum(axis=1)
        )
        d_h = -p_end * horizon + (p_mid * (1 / h[:, None] - tau)).sum(axis=1)
        d_k = (
            digamma(power)
            - digamma(k)
            + np.log(k)
            + 1
            - p_end * (np.log(d_end) + power / d_end)
            - (p_mid * (np.log(d_mid) + power[:, None] / d_mid)).sum(axis=1)
        )
        d_curve = (
            age_n / curve
            - ((p_end * power * lam / d_end)[:, None] * b_end).sum(axis=0)
            - np.einsum("un,unb->b", p_mid * (power * lam)[:, None] / d_mid, b_nodes)
        )
        grad = np.r_[
            (d_lam * lam) @ onehot,
            (d_h * h) @ onehot,
            d_k.sum() * k,
            (d_lam * lam * years).sum(),
            (d_curve * curve)[1:],
        ]
        return float(-ll), -grad

    mean_rate = max(x.sum() / max(horizon.sum(), 1.0), 1e-4)
    theta0 = np.r_[
        np.full(g, np.log(mean_rate)), np.full(g, np.log(1 / 365)), 0.0, 0.0, np.zeros(nb - 1)
    ]
    result = minimize(nll, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    theta = result.x
    se = _standard_errors(nll, theta)
    rate, hazard, k, trend, curve = unpack(theta)
    return ActivityFit(
        rate=rate,
        hazard=hazard,
        shape=float(k),
        curve=curve,
        cohort_trend=float(trend),
        se={
            "log_rate": se[:g],
            "log_hazard": se[g : 2 * g],
            "log_shape": se[2 * g : 2 * g + 1],
            "cohort_trend": se[2 * g + 1 : 2 * g + 2],
            "log_curve": np.r_[0.0, se[2 * g + 2 :]],
        },
        log_likelihood=-float(result.fun),
    )


def _standard_errors(f, theta: np.ndarray) -> np.ndarray:
    """Square roots of the inverse Hessian's diagonal, the Hessian from central
    differences of the gradient."""
    n = len(theta)
    step = 1e-4
    hess = np.zeros((n, n))
    for i in range(n):
        e = np.eye(n)[i] * step
        hess[i] = (f(theta + e)[1] - f(theta - e)[1]) / (2 * step)
    hess = (hess + hess.T) / 2
    try:
        return np.sqrt(np.clip(np.diag(np.linalg.inv(hess)), 0, None))
    except np.linalg.LinAlgError:
        return np.full(n, np.nan)
