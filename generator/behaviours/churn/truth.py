"""The answer key of this behaviour: churn parameters."""

from __future__ import annotations

from generator.columns import Add
from generator.scenario import Scenario


def parameters(scenario: Scenario, add: Add) -> None:
    add(
        "churn.monthly_probability",
        "",
        scenario.churn.monthly_probability,
        "probability",
        "30-day churn probability at churn multiplier 1",
    )
    add(
        "churn.reengagement_gap_median",
        "",
        scenario.churn.reengagement_gap_days.median,
        "days",
        "median gap before a churned user returns",
    )
    add(
        "churn.reengagement_gap_sigma",
        "",
        scenario.churn.reengagement_gap_days.sigma,
        "log sd",
        "log-normal spread of the return gap",
    )
