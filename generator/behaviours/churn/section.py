"""The churn section: the chance of churning within a month while active, and the gap
before a churned user comes back."""

from __future__ import annotations

from generator.section import GapDays, Probability, Strict


class Churn(Strict):
    monthly_probability: Probability
    reengagement_gap_days: GapDays
