"""The answer key of this behaviour: session-rate parameters, expected daily activity and
retention."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.activity.tables import RETENTION_PERIODS
from generator.calendar import Calendar
from generator.columns import Add, dates
from generator.scenario import Scenario
from generator.section import MONTHS, WEEKDAYS


def parameters(scenario: Scenario, add: Add) -> None:
    act = scenario.activity
    add(
        "activity.sessions_per_day",
        "",
        act.sessions_per_day,
        "sessions per day",
        "session rate of a new average user in the first cohort",
    )
    add(
        "activity.heterogeneity_shape",
        "",
        act.heterogeneity_shape,
        "gamma shape",
        "spread of each user's own activity multiplier (mean 1)",
    )
    add(
        "activity.cohort_trend_per_year",
        "",
        act.cohort_trend_per_year,
        "log per year",
        "change of a cohort's baseline session rate per year of signup",
    )
    for i, v in enumerate(act.age_decay.curve):
        add(
            "activity.age_decay",
            f"{act.age_decay.unit} {i}",
            v,
            "ratio",
            "session rate multiplier at that account age (the last holds after)",
        )
    for d in WEEKDAYS:
        add(
            "activity.weekday_weight",
            d,
            act.weekday_weights[d],
            "relative",
            "session rate multiplier by weekday",
        )
    for m in MONTHS:
        add(
            "activity.month_weight",
            m,
            act.month_seasonality[m],
            "relative",
            "session rate multiplier by calendar month",
        )


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    """The truth tables made from the shards' summed truth."""
    return {
        "daily_activity": daily_activity(cal, sums["daily"]),
        "expected_retention": expected_retention(cal, sums["retention"]),
    }


def daily_activity(cal: Calendar, daily: dict[str, np.ndarray]) -> pa.Table:
    return pa.table({"activity_date": dates(cal, np.arange(cal.days)), **daily})


def expected_retention(cal: Calendar, retention: dict[str, dict[str, np.ndarray]]) -> pa.Table:
    parts = []
    for period_type, sums in retention.items():
        last = RETENTION_PERIODS[period_type][1]
        n_cohorts = sums["eligible_users"].shape[0]
        cohort, period = np.meshgrid(np.arange(n_cohorts), np.arange(last + 1), indexing="ij")
        keep = sums["eligible_users"].ravel() > 0
        month = np.datetime64(cal.start, "M") + cohort.ravel()[keep].astype("timedelta64[M]")
        parts.append(
            pa.table(
                {
                    "cohort_month": pa.array(month.astype("datetime64[D]")),
                    "period_type": [period_type] * int(keep.sum()),
                    "period_number": pa.array(period.ravel()[keep].astype(np.int32)),
                    **{k: v.ravel()[keep] for k, v in sums.items()},
                }
            )
        )
    return pa.concat_tables(parts)
