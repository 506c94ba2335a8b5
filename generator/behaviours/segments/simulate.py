"""Segments: hidden behavioural segments with shares and multipliers, and observable
attributes (role, country, device, acquisition channel) correlated with them."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
from scipy.special import ndtr

from generator.behaviours.segments.section import (
    CategoricalAttribute,
    NormalValues,
    NumericAttribute,
    UniformValues,
)
from generator.calendar import DAYS_PER_YEAR, SECONDS_PER_DAY, Calendar
from generator.columns import dictionary, timestamps
from generator.maths import draw_rows
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


def numeric_grid(attr: NumericAttribute, spec: UniformValues | NormalValues):
    """The values a numeric attribute can take in a segment (low..high at its decimals) and
    each one's chance: equal (uniform), or the normal's mass within half a step of it,
    renormalised over the range (truncated)."""
    step = 10.0**-attr.decimals
    first = math.ceil(spec.low / step - 1e-9)
    last = math.floor(spec.high / step + 1e-9)
    grid = np.round(np.arange(first, last + 1) * step, attr.decimals)
    if isinstance(spec, UniformValues):
        mass = np.ones(len(grid))
    else:
        mass = ndtr((grid + step / 2 - spec.mean) / spec.sd) - ndtr(
            (grid - step / 2 - spec.mean) / spec.sd
        )
    return grid, mass / mass.sum()


def band_labels(attr: NumericAttribute) -> list[str]:
    """A label per band: below the first edge, between edges (inclusive at whole numbers),
    from the last edge on."""
    edges = [f"{b:g}" for b in attr.bands]
    upper = [f"{b - 1:g}" if attr.decimals == 0 else f"{b:g}" for b in attr.bands[1:]]
    middle = [f"{a}-{b}" for a, b in zip(edges[:-1], upper, strict=True)]
    return [f"under_{edges[0]}", *middle, f"{edges[-1]}_plus"]


def band_of(attr: NumericAttribute, values: np.ndarray) -> np.ndarray:
    """Each value's band: the number of edges at or below it."""
    return np.searchsorted(np.asarray(attr.bands), values, side="right")


def drifted_shares(
    attr: CategoricalAttribute, base: np.ndarray, years: np.ndarray, pull: np.ndarray | None = None
) -> np.ndarray:
    """(user, value) shares at each user's signup, `years` after the start: the segment's
    shares `base` (user, value) with each value's log-odds moved by its drift per year,
    and weighted by `pull` (user, value) where something draws users to a value that day
    (a paid channel's spend)."""
    if not attr.drift_per_year and pull is None:
        return base
    drift = np.array([attr.drift_per_year.get(v, 0.0) for v in attr.values])
    weights = base * np.exp(np.outer(years, drift))
    if pull is not None:
        weights = weights * pull
    return weights / weights.sum(axis=1, keepdims=True)


def draw_attributes(
    scenario: Scenario,
    segment: np.ndarray,
    years: np.ndarray,
    rng: np.random.Generator,
    pull: tuple[str, np.ndarray, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    """Index into each categorical attribute's `values`, drawn from the user's segment's
    shares as they drifted by the user's signup (`years` after the start); each numeric
    attribute's value, drawn from the segment's grid of values. For truth, per
    categorical attribute the expected users and their variance per (segment, value,
    year of the timeframe) of signup."""
    names = scenario.segment_names()
    out = {}
    expected: dict[str, dict[str, np.ndarray]] = {}
    year = np.floor(years).astype(np.int64)
    n_years = timeframe_years(scenario)
    for attr_name, attr in scenario.attributes.items():
        if isinstance(attr, NumericAttribute):
            values = np.zeros(len(segment))
            u = rng.random(len(segment))
            for k, seg in enumerate(names):
                grid, p = numeric_grid(attr, attr.distribution[seg])
                cumulative = np.cumsum(p)
                cumulative[-1] = 1.0
                mine = segment == k
                values[mine] = grid[np.searchsorted(cumulative, u[mine], side="right")]
            out[attr_name] = values
            continue
        table = np.array([attr.shares[s] for s in names], dtype=float)
        pulled = pull[1][:, pull[2]].T if pull is not None and pull[0] == attr_name else None
        p = drifted_shares(attr, table[segment], years, pulled)
        out[attr_name] = draw_rows(p, rng).astype(np.int16)
        cell = (segment.astype(np.int64) * n_years + year) if len(segment) else year
        size = len(names) * n_years
        expected[attr_name] = {
            k: np.stack(
                [np.bincount(cell, weights=w[:, v], minlength=size) for v in range(p.shape[1])],
                axis=-1,
            ).reshape(len(names), n_years, p.shape[1])
            for k, w in (("expected_users", p), ("variance", p * (1 - p)))
        }
    return out, expected


def timeframe_years(scenario: Scenario) -> int:
    """Years of the timeframe counted from its start (the last may be partial)."""
    return int(((scenario.end - scenario.start).days) // DAYS_PER_YEAR) + 1


def zone_table(scenario: Scenario) -> tuple[str | None, tuple[str, ...], np.ndarray]:
    """The attribute placing users in time zones, every zone named (UTC alone when none
    does) and each of its values' shares over them (value, zone)."""
    for name, attr in scenario.attributes.items():
        if isinstance(attr, CategoricalAttribute) and attr.time_zones:
            zones = tuple(dict.fromkeys(z for v in attr.values for z in attr.time_zones[v]))
            table = np.array([[attr.time_zones[v].get(z, 0.0) for z in zones] for v in attr.values])
            return name, zones, table
    return None, ("UTC",), np.ones((1, 1))


def local_to_utc(
    s: Shard, user: np.ndarray, day: np.ndarray, local_seconds: np.ndarray
) -> np.ndarray:
    """Seconds after UTC midnight of `day` for times of day in each user's own zone: a
    daily pattern holds in local time, and the event stays on the day it was drawn for."""
    offsets = s.cal.zone_offsets(s.zones)[s.zone[user], day]
    return (local_seconds - offsets) % SECONDS_PER_DAY


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


def draw(s: Shard, pull: tuple[str, np.ndarray] | None = None) -> None:
    """Each user's hidden segment, attribute values, role and own activity multiplier;
    `pull` (attribute, (value, day) weights) draws signups towards values by day."""
    s.segment = draw_segments(s.scenario, s.n, s.rng["segments"])
    s.attributes, s.sums["attribute_mix"] = draw_attributes(
        s.scenario,
        s.segment,
        s.signup_day / DAYS_PER_YEAR,
        s.rng["attributes"],
        None if pull is None else (pull[0], pull[1], s.signup_day),
    )
    zoned_by, s.zones, table = zone_table(s.scenario)
    s.zone = (
        draw_categorical(table, s.attributes[zoned_by], s.rng["time_zones"])
        if zoned_by is not None
        else np.zeros(s.n, dtype=np.int16)
    )
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
            "time_zone": dictionary(s.zone, list(s.zones)),
            **{name: _attribute_column(s.scenario, name, v) for name, v in s.attributes.items()},
        }
    )


def _attribute_column(scenario: Scenario, name: str, values: np.ndarray) -> pa.Array:
    attr = scenario.attributes[name]
    if isinstance(attr, NumericAttribute):
        return pa.array(values.astype(np.int64) if attr.decimals == 0 else values)
    return dictionary(values, attr.values)


def reference_tables(scenario: Scenario, cal: Calendar) -> dict[str, pa.Table]:
    """The tracking plan's attribute bands: the edges each numeric attribute of the users
    is reported by, one row per band."""
    rows = []
    for name, attr in scenario.attributes.items():
        if not isinstance(attr, NumericAttribute):
            continue
        lower = [None, *attr.bands]
        upper = [*attr.bands, None]
        for i, label in enumerate(band_labels(attr)):
            rows.append((name, i + 1, label, lower[i], upper[i]))
    cols = list(zip(*rows, strict=True)) if rows else [()] * 5
    return {
        "attribute_bands": pa.table(
            {
                "attribute_name": pa.array(cols[0], type=pa.string()),
                "band_number": pa.array(cols[1], type=pa.int32()),
                "band_label": pa.array(cols[2], type=pa.string()),
                "lower_bound": pa.array(cols[3], type=pa.float64()),
                "upper_bound": pa.array(cols[4], type=pa.float64()),
            }
        )
    }


def user_columns(scenario: Scenario) -> dict[str, str]:
    """raw.users' attribute columns and their DuckDB types."""
    return {
        name: (
            ("BIGINT" if attr.decimals == 0 else "DOUBLE")
            if isinstance(attr, NumericAttribute)
            else "VARCHAR"
        )
        for name, attr in scenario.attributes.items()
    }
