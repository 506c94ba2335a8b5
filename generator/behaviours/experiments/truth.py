"""The answer key of this behaviour: weights, planted effects and the counterfactual metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.experiments import simulate as experiments
from generator.behaviours.experiments.tables import TRUTH
from generator.calendar import Calendar
from generator.columns import Add
from generator.scenario import Scenario

# Metrics whose truth the experiment sums give: (name, numerator column, denominator
# column or None for per exposed user).
EXPERIMENT_METRICS = (
    ("sessions", "sessions", None),
    ("retained_d7", "retained_d7", None),
    ("converted", "converted", None),
    ("revenue_per_user", "revenue", None),
    ("revenue_per_active_user", "revenue", "active"),
    ("completed_funnel", "completed_funnel", None),
    ("mean_rating", "rating_sum", "ratings"),
)
# for an experiment with a goal event: the chain metrics
GOAL_METRICS = (
    ("events_per_session", "journey_events", "journey_sessions"),
    ("goal_session_rate", "goal_sessions", "journey_sessions"),
    ("reached_goal", "goal_reached", None),
)


def parameters(scenario: Scenario, add: Add) -> None:
    for name, exp in scenario.experiments.items():
        for variant, weight in exp.variants.items():
            dim = f"{name}/{variant}"
            add("experiment.weight", dim, weight, "share", "planned share of exposed users")
            lost = exp.lost_exposures.get(variant, 0.0)
            add("experiment.lost_exposures", dim, lost, "share", "users whose logs are lost")
            for behaviour, effect in exp.effects.get(variant, {}).items():
                for seg in scenario.segments:
                    add(
                        f"experiment.lift.{behaviour}",
                        f"{dim}/{seg}",
                        effect.segments.get(seg, effect.lift),
                        "relative",
                        "planted lift from the day after exposure",
                    )
                if effect.novelty is not None:
                    add(
                        f"experiment.novelty_lift.{behaviour}",
                        dim,
                        effect.novelty.lift,
                        "relative",
                        f"extra lift fading with half-life {effect.novelty.half_life_days} days",
                    )


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    """The truth tables made from the shards' summed truth."""
    if not scenario.experiments:
        return {}
    return {"experiment_metrics": experiment_metrics(scenario, sums["experiment_sums"])}


def _defined(x: float) -> float | None:
    """A ratio with nothing to divide by (no rated answer in a world without an LLM) is
    undefined: null, not NaN."""
    return float(x) if np.isfinite(x) else None


def experiment_metrics(scenario: Scenario, sums: dict[str, dict[str, np.ndarray]]) -> pa.Table:
    """Per experiment x hidden segment (null: all) x variant x metric: the metric had
    every exposed user got that variant, and its lift over the control."""
    rows = []
    for name, exp in scenario.experiments.items():
        part = sums.get(name)
        if part is None:
            continue
        users, expected = part["users"], part["expected"]  # (seg), (seg, variant, metric)
        groups: list[tuple[str | None, Any, Any]] = [(None, users.sum(), expected.sum(axis=0))]
        groups += [
            (s, users[i], expected[i]) for i, s in enumerate(scenario.segments) if users[i] > 0
        ]
        metrics = EXPERIMENT_METRICS + (GOAL_METRICS if exp.goal is not None else ())
        for seg, n, values in groups:
            for metric, num, den in metrics:
                numerator = values[:, experiments.METRICS.index(num)]
                denominator = (
                    np.full(len(numerator), n)
                    if den is None
                    else values[:, experiments.METRICS.index(den)]
                )
                with np.errstate(divide="ignore", invalid="ignore"):
                    value = numerator / denominator
                    lift = value / value[0] - 1
                for v, variant in enumerate(exp.variants):
                    rows.append(
                        (
                            name,
                            seg,
                            variant,
                            metric,
                            int(n),
                            numerator[v],
                            denominator[v],
                            _defined(value[v]),
                            _defined(lift[v]),
                        )
                    )
    cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[]] * 9
    keys = list(TRUTH["experiment_metrics"])
    return pa.table(
        {
            k: pa.array(list(c), type=pa.float64() if i >= 5 else None)
            for i, (k, c) in enumerate(zip(keys, cols, strict=True))
        }
    )
