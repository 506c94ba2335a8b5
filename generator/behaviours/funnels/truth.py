"""The answer key of this behaviour: step rates, delays, windows and entry chances; and
each step's delay as the users who reach it have it (truth.funnel_delays)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.funnels.section import (
    answer_shares,
    attempt_step_cap,
    conversion_entry_chances,
)
from generator.behaviours.funnels.simulate import MS_PER_HOUR, delay_grid
from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import Add
from generator.scenario import Scenario
from generator.section import present


def parameters(scenario: Scenario, add: Add) -> None:
    for name, funnel in scenario.funnels.items():
        add(
            "funnel.window_days",
            name,
            funnel.window_days,
            "days",
            "every step within this many days of step 1",
        )
        for k, step in enumerate(funnel.steps[1:], start=2):
            dim = f"{name}/{k}/{step.event}"
            add(
                "funnel.step_rate",
                dim,
                step.rate,
                "probability",
                "chance of the step given the previous one (times the segment multiplier)",
            )
            add(
                "funnel.delay_median_hours",
                dim,
                present(step.hours).median,
                "hours",
                "median log-normal delay after the previous step",
            )
            add(
                "funnel.delay_sigma",
                dim,
                present(step.hours).sigma,
                "log sd",
                "spread of the log-normal delay",
            )
        if funnel.entry == "plan_conversion":
            chances = conversion_entry_chances(scenario, funnel, ceiling=False)
            plans = list(present(scenario.subscriptions).plans)
            for s, seg_name in enumerate(scenario.segment_names()):
                for i, plan in enumerate(plans):
                    if chances[s, i] > 0:
                        add(
                            "funnel.entry_chance",
                            f"{name}/{seg_name}/{plan}",
                            chances[s, i],
                            "probability",
                            "chance of step 1 in a session on the plan using no feature",
                        )
        for question, asked in funnel.states.items():
            add(
                "funnel.state_response_rate",
                f"{name}/{question}",
                asked.response_rate,
                "probability",
                "chance a user reaching a step answers its question",
            )
            for event in asked.shares:
                shares = answer_shares(scenario, asked, event)
                for s, seg_name in enumerate(scenario.segment_names()):
                    for value, share in zip(asked.values, shares[s], strict=True):
                        add(
                            "funnel.state_share",
                            f"{event}/{question}/{seg_name}/{value}",
                            share,
                            "share",
                            f"share of the segment's answers to {question} at {event}",
                        )
        for seg_name in scenario.segment_names():
            add(
                "funnel.segment_multiplier",
                f"{name}/{seg_name}",
                funnel.segment_multipliers.get(seg_name, 1.0),
                "ratio",
                "multiplier on every step rate (capped at 1)",
            )


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    """truth.funnel_delays: per step, the median delay from the previous step among the
    users who reach it, and the delay's density there. A signup funnel's window and the end
    of the data cut long delays short (from the shards' sums); a conversion attempt's steps
    are laid out within its window, each delay capped at the window over the steps."""
    rows = []
    code = 0
    for name, funnel in scenario.funnels.items():
        own = scenario.own_events(funnel)
        for k, step in enumerate(funnel.steps[1:], start=2):
            hours = present(step.hours)
            median, sigma = hours.median * MS_PER_HOUR, hours.sigma
            if funnel.entry == "signup":
                cut = sums.get("funnel_delays", {}).get(str(code + k - 2))
                if cut is None or cut[-1] <= 0:
                    continue
                t = delay_grid(median, sigma, funnel.window_days * MS_PER_DAY)
                rows.append((name, k, step.event, *_median_and_density(t, cut[:-1] / cut[-1])))
            else:
                rows.append((name, k, step.event, *_capped(funnel, median, sigma)))
        code += len(own)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 5
    return {
        "funnel_delays": pa.table(
            {
                "funnel_name": pa.array(cols[0], type=pa.string()),
                "step_number": pa.array(cols[1], type=pa.int32()),
                "event_name": pa.array(cols[2], type=pa.string()),
                "median_seconds": pa.array(cols[3], type=pa.float64()),
                "density_per_second": pa.array(cols[4], type=pa.float64()),
            }
        )
    }


def _median_and_density(t: np.ndarray, cdf: np.ndarray) -> tuple[float, float]:
    """Where a distribution function on the grid t (ms) crosses one half, interpolated in
    log t, and its density there (per second; infinite where it jumps)."""
    j = min(int(np.searchsorted(cdf, 0.5, side="left")), len(t) - 1)
    if j == 0 or t[j] == t[j - 1]:
        return float(t[j]) / 1000, float("inf")
    share = (0.5 - cdf[j - 1]) / (cdf[j] - cdf[j - 1])
    at = float(np.exp(np.log(t[j - 1]) + share * (np.log(t[j]) - np.log(t[j - 1]))))
    density = (cdf[j] - cdf[j - 1]) / (t[j] - t[j - 1]) * 1000
    return at / 1000, float(density)


def _capped(funnel, median: float, sigma: float) -> tuple[float, float]:
    """A conversion attempt's delay, capped (attempt_step_cap): the log-normal's median
    and density there, or the cap itself where at least half the delays reach it."""
    cap = attempt_step_cap(funnel)
    if cap <= median or sigma == 0:
        return min(cap, median) / 1000, float("inf")
    return median / 1000, 1000 / (median * sigma * np.sqrt(2 * np.pi))
