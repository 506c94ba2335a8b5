"""The answer key of this behaviour: channel parameters, expected touches and the
conversions they drive."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.marketing import simulate as marketing
from generator.calendar import Calendar
from generator.columns import Add, dates
from generator.scenario import Scenario
from generator.section import present


def parameters(scenario: Scenario, add: Add) -> None:
    if scenario.marketing is not None:
        mk = scenario.marketing
        add("marketing.window_days", "", mk.window_days, "days", "touches before a decision")
        add("marketing.response", "", mk.response, "relative", "most touches lift conversion")
        for name, channel in mk.channels.items():
            add("marketing.daily_spend", name, channel.daily_spend, "currency", "at the start")
            add("marketing.trend_per_year", name, channel.trend_per_year, "log per year", "")
            add(
                "marketing.touches_per_user_day",
                name,
                channel.touches_per_user_day,
                "touches",
                "per user using the product, at the starting spend",
            )
            add(
                "marketing.strength",
                name,
                channel.strength,
                "per touch",
                "adds to s in 1 + response x (1 - e^-s)",
            )


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    """The truth tables made from the shards' summed truth."""
    if scenario.marketing is None:
        return {}
    return {
        "marketing_daily": marketing_daily(scenario, cal, sums["seed"], sums["marketing"]),
        "marketing_response": marketing_response(scenario, sums["marketing"]),
    }


def marketing_daily(
    scenario: Scenario, cal: Calendar, seed: int, sums: dict[str, np.ndarray]
) -> pa.Table:
    """Per channel x day: the planted spend, the touches expected given who was using the
    product, and the paid conversions its touches caused that day (expected conversions
    minus those expected had the channel's touches not happened)."""
    spend = marketing.daily_spend(scenario, cal, seed)
    names = list(present(scenario.marketing).channels)
    channel = np.repeat(np.arange(len(names)), cal.days)
    day = np.tile(np.arange(cal.days), len(names))
    return pa.table(
        {
            "channel": pa.array(np.asarray(names)[channel]),
            "activity_date": dates(cal, day),
            "spend": pa.array(spend.ravel()),
            "expected_touches": pa.array(sums["expected_touches"].ravel()),
            "removal_conversions": pa.array(sums["removal_conversions"].ravel()),
        }
    )


def marketing_response(scenario: Scenario, sums: dict[str, np.ndarray]) -> pa.Table:
    """Per count of touches in the window before a free-plan decision (10 = 10 or more):
    decisions, expected conversions and their variance, and those expected had the
    touches not happened (their ratio is the planted lift at that many touches)."""
    k = np.arange(marketing.MAX_TOUCH_BUCKET + 1)
    return pa.table(
        {
            "touches_in_window": pa.array(k.astype(np.int32)),
            "decisions": pa.array(sums["decisions"].astype(np.int64)),
            "expected_conversions": pa.array(sums["expected_conversions"]),
            "conversion_variance": pa.array(sums["conversion_variance"]),
            "baseline_conversions": pa.array(sums["baseline_conversions"]),
        }
    )
