"""Arrivals: daily signups = growth trend x weekday x month seasonality x anomaly days,
sampled exactly (multinomial over days), with an hour-of-day profile in local time."""

from __future__ import annotations

import numpy as np

from generator.behaviours.arrivals.section import ExponentialGrowth
from generator.behaviours.segments.simulate import local_to_utc
from generator.calendar import MS_PER_DAY, Calendar
from generator.scenario import Scenario
from generator.state import Shard


def trend(scenario: Scenario, cal: Calendar) -> np.ndarray:
    growth = scenario.arrivals.growth
    years = cal.years
    if isinstance(growth, ExponentialGrowth):
        return np.exp(growth.annual_rate * years)
    midpoint = (growth.midpoint - scenario.start).days / 365.25
    return 1.0 / (1.0 + np.exp(-growth.steepness_per_year * (years - midpoint)))


def signup_curve(scenario: Scenario, cal: Calendar) -> dict[str, np.ndarray]:
    """Each day's factors and its expected share of all signups."""
    weekday, month = cal.seasonal(scenario.arrivals)
    factors = {
        "trend": trend(scenario, cal),
        "weekday_weight": weekday,
        "month_weight": month,
        "anomaly_multiplier": cal.anomaly(scenario, "signups"),
    }
    intensity = np.prod(np.vstack(list(factors.values())), axis=0)
    if intensity.sum() <= 0:
        raise ValueError("arrivals: every day has zero signup weight")
    factors["expected_share"] = intensity / intensity.sum()
    return factors


def draw_signup_days(scenario: Scenario, cal: Calendar, rng: np.random.Generator) -> np.ndarray:
    """Signup day index of every user, in order (users are numbered by signup day)."""
    counts = rng.multinomial(scenario.users, signup_curve(scenario, cal)["expected_share"])
    return np.repeat(np.arange(cal.days, dtype=np.int32), counts)


def draw_seconds_of_day(hour_weights: list[float], n: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds after midnight following the hour-of-day profile, uniform within the hour."""
    p = np.asarray(hour_weights, dtype=float)
    hours = rng.choice(24, size=n, p=p / p.sum())
    return hours * 3600 + rng.integers(0, 3600, size=n)


def draw_signup_times(s: Shard) -> None:
    """The time of day of each signup (the day was drawn for the whole run), following
    the hour profile in the user's own time zone."""
    local = draw_seconds_of_day(s.scenario.arrivals.hour_weights, s.n, s.rng["activity"])
    seconds = local_to_utc(s, np.arange(s.n), s.signup_day, local)
    s.signup_ms = s.signup_day.astype(np.int64) * MS_PER_DAY + seconds * 1000
