"""The answer key of this behaviour: Bass parameters and expected adopters by day."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.adoption import simulate as adoption
from generator.behaviours.adoption.section import ADOPTER_CATEGORIES
from generator.calendar import Calendar
from generator.columns import Add, dates
from generator.maths import normal_cdf
from generator.scenario import Scenario


def parameters(scenario: Scenario, add: Add) -> None:
    for name, launch in scenario.adoption.items():
        c = launch.categories
        if c is None:
            p, q = launch.innovation or 0.0, launch.imitation or 0.0
            add("adoption.innovation", name, p, "per day", "Bass p")
            add("adoption.imitation", name, q, "per day", "Bass q")
            midpoint = adoption.bass_midpoint_days(p, q)
        else:
            add("adoption.mean_days", name, c.mean_days, "days", "mean adoption time")
            add("adoption.sd_days", name, c.sd_days, "days", "sd of the adoption time")
            for category, (low, high) in ADOPTER_CATEGORIES.items():
                add(
                    "adoption.category_share",
                    f"{name}/{category}",
                    float(normal_cdf(np.array(high)) - normal_cdf(np.array(low))),
                    "share",
                    f"share of the market adopting {low:g} to {high:g} sd from the mean",
                )
                for bound, sds in (("start", low), ("end", high)):
                    if np.isfinite(sds):
                        add(
                            f"adoption.category_{bound}_days",
                            f"{name}/{category}",
                            c.mean_days + sds * c.sd_days,
                            "days",
                            f"days after the launch the category's window {bound}s",
                        )
            midpoint = c.mean_days
        add("adoption.market", name, launch.market, "share", "users who would ever adopt")
        add(
            "adoption.midpoint_days",
            name,
            midpoint,
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
