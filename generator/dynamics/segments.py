"""Segments: hidden behavioural segments with shares and multipliers, and observable
attributes (role, country, device, acquisition channel) correlated with them."""

from __future__ import annotations

import numpy as np

from generator.scenario import Scenario


def draw_segments(scenario: Scenario, n: int, rng: np.random.Generator) -> np.ndarray:
    shares = np.array([s.share for s in scenario.segments.values()])
    return rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int8)


def draw_categorical(table: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per element from the distribution in `table[rows[i]]` (rows sum to 1)."""
    cumulative = np.cumsum(table, axis=1)
    cumulative[:, -1] = 1.0
    u = rng.random(len(rows))
    return (u[:, None] >= cumulative[rows]).sum(axis=1).astype(np.int16)


def draw_attributes(
    scenario: Scenario, segment: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Index into each attribute's `values`, drawn from the user's segment's shares."""
    names = scenario.segment_names()
    out = {}
    for attr_name, attr in scenario.attributes.items():
        table = np.array([attr.shares[s] for s in names], dtype=float)
        out[attr_name] = draw_categorical(table, segment, rng)
    return out


def roles(scenario: Scenario) -> tuple[list[str], np.ndarray]:
    """The distinct roles and, per segment, its role's index."""
    role_names = sorted({s.role for s in scenario.segments.values()})
    by_segment = np.array([role_names.index(s.role) for s in scenario.segments.values()])
    return role_names, by_segment


def activity_multipliers(
    scenario: Scenario, segment: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Segment multiplier x each user's own Gamma(k, 1/k) multiplier (mean 1)."""
    seg_mult = np.array([s.activity for s in scenario.segments.values()])
    k = scenario.activity.heterogeneity_shape
    return seg_mult[segment] * rng.gamma(k, 1.0 / k, size=len(segment))
