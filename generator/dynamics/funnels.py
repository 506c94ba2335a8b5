"""Funnels: ordered steps after signup. Each step is reached with its planted rate (times
the segment's multiplier, capped at 1) after a log-normal delay from the previous step,
and only within the funnel's window from step 1 and before the data ends."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.calendar import MS_PER_DAY
from generator.scenario import Scenario

MS_PER_HOUR = 3_600_000


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7), vectorised."""
    x = np.abs(z) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = 1.0 - poly * np.exp(-x * x)
    return 0.5 * (1.0 + np.where(z >= 0, erf, -erf))


def lognormal_cdf(x: np.ndarray, median: float, sigma: float) -> np.ndarray:
    """P(delay <= x) for a log-normal delay; 0 for x <= 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if sigma == 0:
            return (x >= median).astype(float)
        z = (np.log(np.maximum(x, 1e-300)) - np.log(median)) / sigma
    return np.where(x > 0, normal_cdf(z), 0.0)


@dataclass(frozen=True)
class FunnelRun:
    """Step events of a shard's users, and for truth every step a user could take."""

    event_user: np.ndarray
    event_code: np.ndarray  # index into scenario.funnel_events()
    event_ms: np.ndarray
    # truth: one row per (user, funnel, step >= 2) whose previous step was reached
    truth_user: np.ndarray
    truth_funnel: np.ndarray
    truth_step: np.ndarray  # 2, 3, ...
    truth_probability: np.ndarray  # chance of reaching it, given the previous step's time
    truth_reached: np.ndarray


def simulate(
    scenario: Scenario,
    days: int,
    signup_ms: np.ndarray,
    segment: np.ndarray,
    rng: np.random.Generator,
) -> FunnelRun:
    end_ms = days * MS_PER_DAY
    parts: dict[str, list[np.ndarray]] = {k: [] for k in FunnelRun.__dataclass_fields__}
    code = 0
    for f, funnel in enumerate(scenario.funnels.values()):
        multiplier = np.array(
            [funnel.segment_multipliers.get(s, 1.0) for s in scenario.segment_names()]
        )[segment]
        limit = np.minimum(signup_ms + funnel.window_days * MS_PER_DAY, end_ms)
        reached = np.ones(len(signup_ms), dtype=bool)
        at = signup_ms.astype(np.float64)
        for k, step in enumerate(funnel.steps[1:], start=2):
            p = np.minimum(step.rate * multiplier, 1.0)
            median = step.hours.median * MS_PER_HOUR
            delay = median * np.exp(step.hours.sigma * rng.standard_normal(len(at)))
            takes = rng.random(len(at)) < p
            candidates = np.flatnonzero(reached)
            parts["truth_user"].append(candidates)
            parts["truth_funnel"].append(np.full(len(candidates), f))
            parts["truth_step"].append(np.full(len(candidates), k))
            parts["truth_probability"].append(
                p[candidates]
                * lognormal_cdf(limit[candidates] - at[candidates], median, step.hours.sigma)
            )
            at = at + delay
            reached = reached & takes & (at <= limit) & (at < end_ms)
            parts["truth_reached"].append(reached[candidates])
            users = np.flatnonzero(reached)
            parts["event_user"].append(users)
            parts["event_code"].append(np.full(len(users), code))
            parts["event_ms"].append(np.floor(at[users]).astype(np.int64))
            code += 1
    kinds = {"truth_probability": np.float64, "truth_reached": bool}
    arrays = {
        k: np.concatenate(v) if v else np.zeros(0, dtype=kinds.get(k, np.int64))
        for k, v in parts.items()
    }
    return FunnelRun(**arrays)
