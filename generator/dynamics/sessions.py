"""Sessions: a non-homogeneous Poisson process per user. The daily rate is the user's
multiplier x cohort baseline x age decay x weekday and month seasonality x anomaly; a
user is at risk only between signup and churn (and again after a return)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.calendar import Calendar
from generator.dynamics.churn import Spells
from generator.dynamics.vintage import age_decay, cohort_factor
from generator.scenario import Scenario


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


def expand_ranges(owner: np.ndarray, starts: np.ndarray, lengths: np.ndarray):
    """For ranges [start, start + length) owned by `owner`, every (owner, value) pair."""
    lengths = np.maximum(lengths, 0)
    total = int(lengths.sum())
    first = np.cumsum(lengths) - lengths
    offsets = np.arange(total, dtype=np.int64) - np.repeat(first, lengths)
    return np.repeat(owner, lengths), np.repeat(starts, lengths) + offsets


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


def draw_session_counts(days: UserDays, rng: np.random.Generator) -> np.ndarray:
    return rng.poisson(days.rate)
