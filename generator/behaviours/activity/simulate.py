"""Activity: sessions as a non-homogeneous Poisson process per user. The daily rate is the user's
multiplier x cohort baseline x age decay x weekday and month seasonality x anomaly; a
user is at risk only between signup and churn (and again after a return)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generator.behaviours.activity.tables import INACTIVE_DAYS_FOR_CHURN, RETENTION_PERIODS
from generator.behaviours.churn.simulate import Spells
from generator.calendar import DAYS_PER_YEAR, Calendar
from generator.columns import dictionary, optional_timestamps
from generator.maths import expand_ranges
from generator.scenario import Scenario
from generator.state import Shard

UNIT_DAYS = {"day": 1, "week": 7, "month": 30}


def age_decay(scenario: Scenario, age_days: np.ndarray) -> np.ndarray:
    """Multiplier at each account age; the curve's last value holds after it ends."""
    decay = scenario.activity.age_decay
    curve = np.asarray(decay.curve, dtype=float)
    step = np.minimum(age_days // UNIT_DAYS[decay.unit], len(curve) - 1)
    return curve[step]


def cohort_factor(scenario: Scenario, signup_day: np.ndarray) -> np.ndarray:
    """Baseline multiplier of a user's cohort: exp(trend x years since the start)."""
    return np.exp(scenario.activity.cohort_trend_per_year * signup_day / DAYS_PER_YEAR)


@dataclass(frozen=True)
class UserDays:
    """Every (user, day) at risk of a session, ordered by user then day, with its rate."""

    user: np.ndarray  # shard-local user index
    day: np.ndarray
    rate: np.ndarray  # expected sessions that day
    anomaly: np.ndarray  # the day's anomaly multiplier, already inside `rate`

    def scaled(self, factor: np.ndarray) -> tuple[UserDays, np.ndarray]:
        """Rates times `factor`, dropping days left with no chance of a session; and the
        mask of the days kept."""
        rate = self.rate * factor
        keep = rate > 0
        return UserDays(self.user[keep], self.day[keep], rate[keep], self.anomaly[keep]), keep


def days_at_risk(signup_day: np.ndarray, spells: Spells, days: int):
    """Whole days after signup and before churn, and from a return until churning again."""

    def day_floor(x: np.ndarray) -> np.ndarray:
        return np.floor(np.minimum(x, days)).astype(np.int64)

    first_start = signup_day.astype(np.int64) + 1
    first_end = day_floor(spells.churned_at)
    second_start = np.ceil(np.minimum(spells.returned_at, days)).astype(np.int64)
    second_end = day_floor(spells.churned_again_at)
    n = len(signup_day)
    owner = np.repeat(np.arange(n, dtype=np.int64), 2)
    starts = np.column_stack([first_start, second_start]).ravel()
    lengths = np.column_stack([first_end - first_start, second_end - second_start]).ravel()
    return expand_ranges(owner, starts, lengths)


def user_days(
    scenario: Scenario,
    cal: Calendar,
    signup_day: np.ndarray,
    multiplier: np.ndarray,
    spells: Spells,
) -> UserDays:
    user, day = days_at_risk(signup_day, spells, cal.days)
    weekday, month = cal.seasonal(scenario.activity)
    anomaly = cal.anomaly(scenario, "activity")
    per_user = scenario.activity.sessions_per_day * multiplier * cohort_factor(scenario, signup_day)
    rate = (
        per_user[user]
        * age_decay(scenario, day - signup_day[user])
        * (weekday * month * anomaly)[day]
    )
    return UserDays(user.astype(np.int32), day.astype(np.int32), rate, anomaly[day])


def draw_days(s: Shard) -> None:
    """Every day each user is at risk of a session, with its expected sessions."""
    s.days = user_days(s.scenario, s.cal, s.signup_day, s.multiplier, s.spells)


def record(s: Shard) -> None:
    """truth.users, and the expected daily activity and retention: a user is active on
    the signup day for sure, and on a day they open a session (every user action happens
    in one; system events do not count)."""
    cal, days, n, signup_day = s.cal, s.days, s.n, s.signup_day
    final_window = days.day >= cal.days - INACTIVE_DAYS_FOR_CHURN
    final_rate = np.bincount(days.user[final_window], weights=days.rate[final_window], minlength=n)
    p_inactive = np.exp(-final_rate) * (signup_day < cal.days - INACTIVE_DAYS_FOR_CHURN)
    spells = s.spells
    s.truth["users"] = pa.table(
        {
            "user_id": pa.array(s.user_id),
            "segment": dictionary(s.segment, s.scenario.segment_names()),
            "activity_multiplier": pa.array(s.multiplier),
            "cohort_factor": pa.array(cohort_factor(s.scenario, signup_day)),
            "churned_at": optional_timestamps(cal, spells.churned_at),
            "returned_at": optional_timestamps(cal, spells.returned_at),
            "churned_again_at": optional_timestamps(cal, spells.churned_again_at),
            "p_inactive_final_28d": pa.array(p_inactive),
        }
    )
    s.sums["daily"] = expected_daily_activity(cal, days, signup_day)
    s.sums["retention"] = expected_retention(cal, days, signup_day)


def expected_daily_activity(
    cal: Calendar, days: UserDays, signup_day: np.ndarray
) -> dict[str, np.ndarray]:
    """Sum over users of P(active that day) and its variance, with and without anomalies.
    A user is active for sure on the signup day."""
    p = -np.expm1(-days.rate)
    signups = np.bincount(signup_day, minlength=cal.days).astype(float)

    def by_day(w: np.ndarray, where: np.ndarray | slice = slice(None)) -> np.ndarray:
        return np.bincount(days.day[where], weights=w, minlength=cal.days)

    def on(day: np.ndarray, w: np.ndarray | float) -> np.ndarray:
        return np.bincount(day, weights=np.broadcast_to(w, day.shape), minlength=cal.days)

    with np.errstate(divide="ignore", invalid="ignore"):
        base_rate = np.where(days.anomaly > 0, days.rate / days.anomaly, 0.0)
    p0 = -np.expm1(-base_rate)
    return {
        "expected_dau": by_day(p) + signups,
        "dau_variance": by_day(p * (1 - p)),
        "baseline_dau": by_day(p0) + signups,
        "baseline_dau_variance": by_day(p0 * (1 - p0)),
        "expected_sessions": by_day(days.rate) + signups,
    }


def expected_retention(
    cal: Calendar, days: UserDays, signup_day: np.ndarray
) -> dict[str, dict[str, np.ndarray]]:
    """Per period type, (cohort month x period number) sums of P(retained) and variance,
    over users whose period has fully elapsed (matured), for 'on' and 'on or after'."""
    n = len(signup_day)
    cohort = cal.month_index[signup_day]
    n_cohorts = int(cal.month_index[-1]) + 1
    out = {}
    age = days.day - signup_day[days.user]
    user = days.user.astype(np.int64)
    for period_type, (length, last) in RETENTION_PERIODS.items():
        width = last + 2  # periods 0..last and one bucket for everything later
        period = np.minimum(age // length, last + 1)
        rate = np.bincount(user * width + period, weights=days.rate, minlength=n * width).reshape(
            n, width
        )
        tail = np.cumsum(rate[:, ::-1], axis=1)[:, ::-1]
        p_on = -np.expm1(-rate[:, : last + 1])
        p_after = -np.expm1(-tail[:, : last + 1])
        p_on[:, 0] = p_after[:, 0] = 1.0  # the signup day lies in period 0
        matured_through = (cal.days - signup_day) // length - 1
        eligible = np.arange(last + 1)[None, :] <= matured_through[:, None]

        sums = {
            "eligible_users": np.ones_like(p_on),
            "expected_retained_on": p_on,
            "variance_on": p_on * (1 - p_on),
            "expected_retained_on_or_after": p_after,
            "variance_on_or_after": p_after * (1 - p_after),
        }
        out[period_type] = {
            k: _sum_by_cohort(v * eligible, cohort, n_cohorts) for k, v in sums.items()
        }
    return out


def _sum_by_cohort(values: np.ndarray, cohort: np.ndarray, n_cohorts: int) -> np.ndarray:
    """Column sums per cohort; users come sorted by signup day, so a cohort is one run."""
    acc = np.zeros((n_cohorts, values.shape[1]))
    if len(cohort):
        present, first_row = np.unique(cohort, return_index=True)
        acc[present] = np.add.reduceat(values, first_row, axis=0)
    return acc
