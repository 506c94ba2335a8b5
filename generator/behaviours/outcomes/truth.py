"""The answer key of this behaviour: each outcome's rule (events, count, window) or its
chances per segment and delay; every user's result is written row by row (truth.outcomes)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from generator.behaviours.outcomes.section import BehaviourOutcome
from generator.calendar import Calendar
from generator.columns import Add
from generator.scenario import Scenario


def parameters(scenario: Scenario, add: Add) -> None:
    for name, o in scenario.outcomes.items():
        if isinstance(o, BehaviourOutcome):
            add(
                "outcome.after_count",
                f"{name}/{o.after.event}",
                o.after.count,
                "events",
                "reached at the user's Nth event of the kind (outcome/event)",
            )
            add("outcome.within_days", name, o.after.within_days, "days", "window after signup")
            continue
        add(
            "outcome.follows",
            f"{name}/{o.after_outcome}",
            1.0,
            "flag",
            "drawn once the outcome it follows happened or its window closed (outcome/follows)",
        )
        for seg in scenario.segments:
            m = o.segments.get(seg, 1.0)
            add(
                "outcome.probability",
                f"{name}/{seg}",
                o.probability * m,
                "probability",
                f"chance once {o.after_outcome} happened",
            )
            add(
                "outcome.otherwise_probability",
                f"{name}/{seg}",
                o.otherwise * m,
                "probability",
                f"chance when {o.after_outcome} did not happen within its window",
            )
        add("outcome.delay_min_days", name, o.delay_days.min_days, "days", "recorded after")
        add("outcome.delay_max_days", name, o.delay_days.max_days, "days", "recorded by")


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    return {}
