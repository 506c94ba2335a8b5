"""The answer key of this behaviour: signup parameters, the anomalies and the expected
signup curve."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.arrivals import simulate as arrivals
from generator.calendar import Calendar
from generator.columns import Add, dates
from generator.scenario import Scenario
from generator.section import MONTHS, WEEKDAYS


def parameters(scenario: Scenario, add: Add) -> None:
    growth = scenario.arrivals.growth
    if growth.kind == "exponential":
        add(
            "arrivals.growth.annual_rate",
            "",
            growth.annual_rate,
            "log per year",
            "continuous growth rate of expected daily signups",
        )
    else:
        add(
            "arrivals.growth.steepness_per_year",
            "",
            growth.steepness_per_year,
            "per year",
            f"logistic growth steepness, midpoint {growth.midpoint}",
        )
    for d in WEEKDAYS:
        add(
            "arrivals.weekday_weight",
            d,
            scenario.arrivals.weekday_weights[d],
            "relative",
            "signup multiplier by weekday",
        )
    for m in MONTHS:
        add(
            "arrivals.month_weight",
            m,
            scenario.arrivals.month_seasonality[m],
            "relative",
            "signup multiplier by calendar month",
        )
    for h, w in enumerate(scenario.arrivals.hour_weights):
        add("arrivals.hour_weight", str(h), w, "relative", "signup and session hour-of-day weight")
    for a in scenario.arrivals.anomalies:
        when = f"on {a.date}" if a.last == a.date else f"each day from {a.date} to {a.last}"
        add("anomaly.signup_multiplier", a.name, a.signups, "ratio", f"signups {when}")
        add("anomaly.activity_multiplier", a.name, a.activity, "ratio", f"session rate {when}")


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    """The truth tables made from the shards' summed truth."""
    return {
        "anomalies": anomalies(scenario),
        "signup_curve": signup_curve(scenario, cal),
    }


def anomalies(scenario: Scenario) -> pa.Table:
    """One row per anomaly day (a range gives one per day)."""
    days = [(x, day) for x in scenario.arrivals.anomalies for day in x.days()]
    return pa.table(
        {
            "anomaly_name": pa.array([x.name for x, _ in days], type=pa.string()),
            "anomaly_date": pa.array([day for _, day in days], type=pa.date32()),
            "signup_multiplier": pa.array([x.signups for x, _ in days], type=pa.float64()),
            "activity_multiplier": pa.array([x.activity for x, _ in days], type=pa.float64()),
        }
    )


def signup_curve(scenario: Scenario, cal: Calendar) -> pa.Table:
    curve = arrivals.signup_curve(scenario, cal)
    return pa.table(
        {
            "signup_date": dates(cal, np.arange(cal.days)),
            **curve,
            "expected_signups": curve["expected_share"] * scenario.users,
        }
    )
