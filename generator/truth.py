"""The answer key: every planted number in long form (truth.parameters), and the truth
tables each behaviour makes from the shards' summed truth."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from generator.behaviours.activity import truth as activity
from generator.behaviours.actors import truth as actors
from generator.behaviours.adoption import truth as adoption
from generator.behaviours.arrivals import truth as arrivals
from generator.behaviours.churn import truth as churn
from generator.behaviours.events import truth as events
from generator.behaviours.experiments import truth as experiments
from generator.behaviours.faults import truth as faults
from generator.behaviours.funnels import truth as funnels
from generator.behaviours.lifecycle import truth as lifecycle
from generator.behaviours.llm import truth as llm
from generator.behaviours.marketing import truth as marketing
from generator.behaviours.outcomes import truth as outcomes
from generator.behaviours.segments import truth as segments
from generator.behaviours.subscriptions import truth as subscriptions
from generator.behaviours.values import truth as values
from generator.calendar import Calendar
from generator.scenario import Scenario

# in the order their rows appear in truth.parameters
PARAMETERS = (
    arrivals,
    segments,
    activity,
    churn,
    subscriptions,
    funnels,
    events,
    lifecycle,
    experiments,
    marketing,
    adoption,
    values,
    actors,
    outcomes,
    faults,
)
TABLES = (
    arrivals,
    segments,
    activity,
    subscriptions,
    llm,
    marketing,
    adoption,
    experiments,
    values,
    funnels,
)


def parameters(scenario: Scenario, seed: int) -> pa.Table:
    rows: list[tuple[str, str, float, str, str]] = []

    def add(name: str, dim: str, value: float, unit: str, text: str) -> None:
        rows.append((name, dim, float(value), unit, text))

    add("run.seed", "", seed, "id", "seed of every random stream")
    add("run.users", "", scenario.users, "users", "users simulated")
    for behaviour in PARAMETERS:
        behaviour.parameters(scenario, add)
    cols = list(zip(*rows, strict=True))
    return pa.table(
        {
            "parameter": list(cols[0]),
            "dimension": list(cols[1]),
            "value": list(cols[2]),
            "unit": list(cols[3]),
            "description": list(cols[4]),
        }
    )


def tables(
    scenario: Scenario, cal: Calendar, seed: int, sums: dict[str, Any]
) -> dict[str, pa.Table]:
    """Every truth table the world has beside the ones the shards wrote row by row."""
    out = {"parameters": parameters(scenario, seed)}
    sums = {**sums, "seed": seed}  # for what a behaviour draws once per run (the ad spend)
    for behaviour in TABLES:
        out.update(behaviour.tables(scenario, cal, sums))
    return out
