"""The answer key of this behaviour: Bass parameters and expected adopters by day."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.adoption import simulate as adoption
from generator.calendar import Calendar
from generator.columns import Add, dates
from generator.scenario import Scenario


def parameters(scenario: Scenario, add: Add) -> None:
    for name, launch in scenario.adoption.items():
        add("adoption.innovation", name, launch.innovation, "per day", "Bass p")
        add("adoption.imitation", name, launch.imitation, "per day", "Bass q")
        add("adoption.market", name, launch.market, "share", "users who would ever adopt")
        add(
            "adoption.midpoint_days",
            name,
            adoption.bass_midpoint_days(launch.innovation, launch.imitation),
            "days",
            f"days after the launch on {launch.launch} when half the market has adopted",
        )


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    """The truth tables made from the shards' summed truth."""
    if not scenario.adoption:
        return {}
    return {"feature_adoption": feature_adoption(scenario, cal, sums["adoption"])}


def feature_adoption(scenario: Scenario, cal: Calendar, sums: dict[str, np.ndarray]) -> pa.Table:
    """Per launched feature x day from its launch: expected new adopters, and the mean and
    variance of the cumulative count of adopters."""
    parts = []
    for f, (name, launch) in enumerate(scenario.adoption.items()):
        first = (launch.launch - cal.start).days
        day = np.arange(first, cal.days)
        parts.append(
            pa.table(
                {
                    "feature": pa.array([name] * len(day)),
                    "adoption_date": dates(cal, day),
                    "expected_new_adopters": pa.array(sums["expected_new"][f, first:]),
                    "expected_cumulative_adopters": pa.array(
                        sums["expected_cumulative"][f, first:]
                    ),
                    "cumulative_variance": pa.array(sums["cumulative_variance"][f, first:]),
                }
            )
        )
    return pa.concat_tables(parts)
