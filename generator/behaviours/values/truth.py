"""The answer key of this behaviour: each valued event's median, spread and multipliers
(segment, account age, trend, month, anomalies), and its calendar multiplier per day."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.activity.simulate import UNIT_DAYS
from generator.behaviours.values.simulate import anomaly_multiplier, calendar_multiplier
from generator.calendar import Calendar
from generator.columns import Add, dates
from generator.scenario import Scenario
from generator.section import MONTHS


def parameters(scenario: Scenario, add: Add) -> None:
    for event, v in scenario.values.items():
        unit = v.value_unit
        add("value.median", event, v.median, unit, "median value at multiplier 1")
        add("value.sigma", event, v.sigma, "log sd", "log-normal spread around the median")
        add("value.decimals", event, v.decimals, "digits", "decimals a value is rounded to")
        for segment in scenario.segments:
            add(
                "value.segment_multiplier",
                f"{event}/{segment}",
                v.segments.get(segment, 1.0),
                "ratio",
                "value multiplier of the segment's users",
            )
        if v.account_age is not None:
            add(
                "value.account_age_unit_days",
                event,
                UNIT_DAYS[v.account_age.unit],
                "days",
                "length of one step of the account-age curve",
            )
            for k, step in enumerate(v.account_age.curve):
                add(
                    "value.account_age_multiplier",
                    f"{event}/{k}",
                    step,
                    "ratio",
                    f"value multiplier from {k} {v.account_age.unit}s of account age "
                    "(whole days between the signup and event dates)",
                )
        add("value.trend_per_year", event, v.trend_per_year, "log per year", "value trend")
        for m in MONTHS:
            add(
                "value.month_multiplier",
                f"{event}/{m}",
                v.month_seasonality.get(m, 1.0),
                "ratio",
                "value multiplier in the calendar month",
            )
        for a in v.anomalies:
            add(
                "value.anomaly_multiplier",
                f"{event}/{a.name}",
                a.multiplier,
                "ratio",
                f"value multiplier from {a.start} to {a.last}",
            )


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    if not scenario.values:
        return {}
    parts = []
    day = np.arange(cal.days)
    for event, v in scenario.values.items():
        anomaly = np.full(cal.days, None, dtype=object)
        for a in v.anomalies:
            anomaly[(a.start - cal.start).days : (a.last - cal.start).days + 1] = a.name
        parts.append(
            pa.table(
                {
                    "event_name": pa.array([event] * cal.days, type=pa.string()),
                    "value_date": dates(cal, day),
                    "calendar_multiplier": pa.array(calendar_multiplier(v, cal)),
                    "anomaly_multiplier": pa.array(anomaly_multiplier(v, cal)),
                    "anomaly": pa.array(anomaly, type=pa.string()),
                }
            )
        )
    return {"daily_values": pa.concat_tables(parts)}
