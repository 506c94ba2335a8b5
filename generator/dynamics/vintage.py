"""Vintage: activity decays with account age along the configured curve, and each
signup cohort starts from its own baseline."""

from __future__ import annotations

import numpy as np

from generator.calendar import DAYS_PER_YEAR
from generator.scenario import Scenario

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
