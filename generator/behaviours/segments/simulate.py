"""Segments: hidden behavioural segments with shares and multipliers, and observable
attributes (role, country, device, acquisition channel) correlated with them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from generator.columns import dictionary, timestamps
from generator.scenario import Scenario
from generator.state import Shard


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


def draw(s: Shard) -> None:
    """Each user's hidden segment, attribute values, role and own activity multiplier."""
    s.segment = draw_segments(s.scenario, s.n, s.rng["segments"])
    s.attributes = draw_attributes(s.scenario, s.segment, s.rng["attributes"])
    s.role_names, s.role_of_segment = roles(s.scenario)
    s.multiplier = activity_multipliers(s.scenario, s.segment, s.rng["activity"])


def log(s: Shard) -> None:
    """raw.users: the account as the app's database keeps it."""
    pool = np.asarray(s.name_pool, dtype=str)
    handle = pool[s.rng["identity"].integers(0, len(pool), size=s.n)]
    emails = np.char.add(np.char.add(handle, s.user_id.astype(str)), "@example.com")
    s.raw["users"] = pa.table(
        {
            "user_id": pa.array(s.user_id),
            "signed_up_at": timestamps(s.cal, s.signed_up_ms),
            "email": pa.array(emails, type=pa.string()),
            "role": dictionary(s.role_of_segment[s.segment], s.role_names),
            **{
                name: dictionary(codes, s.scenario.attributes[name].values)
                for name, codes in s.attributes.items()
            },
        }
    )
