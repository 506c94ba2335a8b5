"""The answer key of this behaviour: stage lengths, activity and next-stage chances."""

from __future__ import annotations

from generator.columns import Add
from generator.scenario import Scenario
from generator.section import present


def parameters(scenario: Scenario, add: Add) -> None:
    if scenario.lifecycle is None:
        return
    life = present(scenario.lifecycle)
    add("lifecycle.initial_stage", life.initial, 1.0, "stage", "every user starts here")
    for name, stage in life.stages.items():
        add("lifecycle.activity", name, stage.activity, "relative", "session rate multiplier")
        if stage.days is not None and stage.next:
            add(
                "lifecycle.duration_median_days",
                name,
                stage.days.median,
                "days",
                "median log-normal time in the stage (rounded to whole days, at least 1)",
            )
            add("lifecycle.duration_sigma", name, stage.days.sigma, "log sd", "its spread")
        for target, p in stage.next.items():
            add(
                "lifecycle.transition",
                f"{name}/{target}",
                p,
                "probability",
                "chance the stage that follows is target",
            )
