"""Churn and re-engagement: a per-segment hazard ends activity; some churned users come
back once after a log-normal gap and then churn again at the same hazard."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.calendar import MS_PER_DAY
from generator.scenario import Scenario
from generator.state import Shard

DAYS_PER_MONTH = 30


def daily_hazard(scenario: Scenario) -> np.ndarray:
    """Per segment: -ln(1 - monthly probability) / 30 x the segment's churn multiplier."""
    base = -np.log1p(-scenario.churn.monthly_probability) / DAYS_PER_MONTH
    return base * np.array([s.churn for s in scenario.segments.values()])


@dataclass(frozen=True)
class Spells:
    """Positions in days since the scenario start (fractional); inf when never."""

    churned_at: np.ndarray
    returned_at: np.ndarray
    churned_again_at: np.ndarray

    def intervals(self, signed_up: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """The [start, end) spans a user is using the product: from signing up to
        churning, and from returning to churning again (empty when there is none)."""
        return (signed_up, self.churned_at), (self.returned_at, self.churned_again_at)


def draw_spells(
    scenario: Scenario, segment: np.ndarray, signed_up_at: np.ndarray, rng: np.random.Generator
) -> Spells:
    n = len(segment)
    hazard = daily_hazard(scenario)[segment]
    with np.errstate(divide="ignore"):
        scale = np.where(hazard > 0, 1.0 / hazard, np.inf)
    churned_at = signed_up_at + rng.exponential(1.0, size=n) * scale
    p_return = np.array([s.reengagement for s in scenario.segments.values()])[segment]
    gap = scenario.churn.reengagement_gap_days
    gaps = np.exp(np.log(gap.median) + gap.sigma * rng.standard_normal(n))
    comes_back = rng.random(n) < p_return
    returned_at = np.where(comes_back, churned_at + gaps, np.inf)
    churned_again_at = returned_at + rng.exponential(1.0, size=n) * scale
    return Spells(churned_at, returned_at, churned_again_at)


def draw(s: Shard) -> None:
    s.spells = draw_spells(s.scenario, s.segment, s.signup_ms / MS_PER_DAY, s.rng["churn"])
