"""The answer key of this behaviour: plan prices and expected plan transitions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.subscriptions.section import transition_tables
from generator.calendar import Calendar
from generator.columns import Add
from generator.scenario import Scenario
from generator.section import present


def parameters(scenario: Scenario, add: Add) -> None:
    if scenario.subscriptions is None:
        return
    subs = present(scenario.subscriptions)
    for plan, spec in subs.plans.items():
        add(
            "subscription.price",
            plan,
            spec.price,
            f"{subs.currency} per {spec.interval}",
            "list price per billing interval",
        )
    add(
        "subscription.failed_payment_probability",
        "",
        subs.failed_payment_probability,
        "probability",
        "chance a paid period's payment fails (the user drops to free)",
    )
    add(
        "subscription.inactive_churn_multiplier",
        "",
        subs.inactive_churn_multiplier,
        "ratio",
        "multiplier on cancelling at a renewal with no session in the 30 days before",
    )
    plans = list(subs.plans)
    tables = transition_tables(scenario)
    for s, seg in enumerate(scenario.segment_names()):
        for inactive, state in enumerate(("active", "idle")):
            for i, src in enumerate(plans):
                for j, dst in enumerate(plans):
                    if tables[s, inactive, i, j] > 0:
                        add(
                            "subscription.transition",
                            f"{seg}/{state}/{src}/{dst}",
                            tables[s, inactive, i, j],
                            "probability",
                            "chance of the next plan at a renewal (idle: no session in 30 days)",
                        )


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    """The truth tables made from the shards' summed truth."""
    if scenario.subscriptions is None:
        return {}
    return {
        "plans": plans(scenario),
        "expected_plan_transitions": plan_transitions(scenario, sums["transitions"]),
        "expected_billed_transitions": billed_transitions(scenario, sums["transitions"]),
    }


def plans(scenario: Scenario) -> pa.Table:
    subs = present(scenario.subscriptions)
    names = list(subs.plans)
    return pa.table(
        {
            "plan": names,
            "tier": list(range(len(names))),
            "price": [p.price for p in subs.plans.values()],
            "billing_interval": [p.interval for p in subs.plans.values()],
            "monthly_price": [
                p.price / (12 if p.interval == "year" else 1) for p in subs.plans.values()
            ],
            "currency": [subs.currency] * len(names),
        }
    )


def plan_transitions(scenario: Scenario, sums: dict[str, np.ndarray]) -> pa.Table:
    """Per plan decided from: expected decisions choosing each next plan."""
    names = list(present(scenario.subscriptions).plans)
    return _transition_table(scenario, names, sums, "expected_transitions", "transition_variance")


def billed_transitions(scenario: Scenario, sums: dict[str, np.ndarray]) -> pa.Table:
    """Per plan decided from: the expected decisions that leave the user paying for each
    plan next, or for nothing ('(none)': a cancellation, a free plan or a failed payment),
    over the months complete by the end (what month-over-month revenue can show)."""
    names = [*present(scenario.subscriptions).plans, "(none)"]
    return _transition_table(
        scenario, names, sums, "expected_billed", "billed_variance", "billed_decisions"
    )


def _transition_table(
    scenario: Scenario,
    targets: list[str],
    sums: dict[str, np.ndarray],
    mean: str,
    var: str,
    decisions: str = "decisions",
) -> pa.Table:
    """(from plan x target) rows of summed decision chances and their variance."""
    plans = list(present(scenario.subscriptions).plans)
    n, m = len(plans), len(targets)
    src, dst = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    return pa.table(
        {
            "from_plan": [plans[i] for i in src.ravel()],
            "to_plan": [targets[j] for j in dst.ravel()],
            "decisions": np.repeat(sums.get(decisions, np.zeros(n)), m).astype(np.int64),
            "expected_transitions": sums.get(mean, np.zeros((n, m))).ravel(),
            "variance": sums.get(var, np.zeros((n, m))).ravel(),
        }
    )
