"""The answer key of this behaviour: each segment's planted numbers and the attribute shares."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.churn import simulate as churn
from generator.behaviours.segments.section import NumericAttribute, band_column
from generator.behaviours.segments.simulate import band_labels, band_of, numeric_grid
from generator.calendar import DAYS_PER_YEAR, Calendar
from generator.columns import Add
from generator.scenario import Scenario


def parameters(scenario: Scenario, add: Add) -> None:
    hazard = churn.daily_hazard(scenario)
    for (name, seg), h in zip(scenario.segments.items(), hazard, strict=True):
        add("segment.share", name, seg.share, "share", "share of users in the segment")
        add("segment.activity_multiplier", name, seg.activity, "ratio", "session rate multiplier")
        add(
            "segment.session_depth",
            name,
            seg.session_depth,
            "ratio",
            "divides the chance of ending a session after each event",
        )
        add("segment.churn_multiplier", name, seg.churn, "ratio", "churn hazard multiplier")
        add("segment.daily_churn_hazard", name, h, "per day", "hazard of churning")
        add(
            "segment.monthly_churn_probability",
            name,
            -np.expm1(-30 * h),
            "probability",
            "chance of churning within 30 days while active",
        )
        add(
            "segment.reengagement_probability",
            name,
            seg.reengagement,
            "probability",
            "chance a churned user comes back once",
        )
    for attr_name, attr in scenario.attributes.items():
        if isinstance(attr, NumericAttribute):
            _numeric(attr_name, attr, add)
            continue
        for seg_name, shares in attr.shares.items():
            for value, share in zip(attr.values, shares, strict=True):
                add(
                    f"attribute.{attr_name}",
                    f"{seg_name}/{value}",
                    share,
                    "share",
                    f"share of the segment's users with {attr_name} = {value} at the start",
                )
        for value, drift in attr.drift_per_year.items():
            add(
                f"attribute_drift.{attr_name}",
                value,
                drift,
                "log-odds per year",
                f"change per year of the log-odds of {attr_name} = {value} among signups",
            )
    roles = list(dict.fromkeys(seg.role for seg in scenario.segments.values()))
    for seg_name, seg in scenario.segments.items():
        for role in roles:  # a segment's role is an attribute with one value
            add(
                "attribute.role",
                f"{seg_name}/{role}",
                1.0 if seg.role == role else 0.0,
                "share",
                f"share of the segment's users with role = {role}",
            )


def _numeric(name: str, attr: NumericAttribute, add: Add) -> None:
    """A numeric attribute's mean and sd per segment, and its band shares per segment (as
    the attribute `<name>_band`, which the warehouse reports)."""
    labels = band_labels(attr)
    for seg_name, spec in attr.distribution.items():
        grid, p = numeric_grid(attr, spec)
        mean = float(np.dot(grid, p))
        add("numeric_attribute.mean", f"{name}/{seg_name}", mean, "value", f"mean {name}")
        add(
            "numeric_attribute.sd",
            f"{name}/{seg_name}",
            float(np.sqrt(np.dot((grid - mean) ** 2, p))),
            "value",
            f"standard deviation of {name}",
        )
        shares = np.bincount(band_of(attr, grid), weights=p, minlength=len(labels))
        for label, share in zip(labels, shares, strict=True):
            add(
                f"attribute.{band_column(name)}",
                f"{seg_name}/{label}",
                float(share),
                "share",
                f"share of the segment's users with {name} in band {label}",
            )


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    """truth.attribute_mix: per categorical attribute, segment, value and year of signup
    (counted from the start), the users expected to hold the value and the variance, the
    drift of the mix over the years included."""
    segments = scenario.segment_names()
    parts = []
    for attr_name, mix in sums["attribute_mix"].items():
        values = scenario.attributes[attr_name].values  # type: ignore[union-attr]
        seg, year, value = np.meshgrid(
            np.arange(len(segments)),
            np.arange(mix["expected_users"].shape[1]),
            np.arange(len(values)),
            indexing="ij",
        )
        first = np.datetime64(scenario.start, "D")
        parts.append(
            pa.table(
                {
                    "attribute": [attr_name] * seg.size,
                    "segment": pa.array(np.asarray(segments)[seg.ravel()]),
                    "attribute_value": pa.array(np.asarray(values)[value.ravel()]),
                    "year_number": pa.array(year.ravel().astype(np.int32)),
                    "year_start": pa.array(
                        first + np.round(year.ravel() * DAYS_PER_YEAR).astype("timedelta64[D]")
                    ),
                    "expected_users": mix["expected_users"].ravel(),
                    "variance": mix["variance"].ravel(),
                }
            )
        )
    if not parts:
        return {"attribute_mix": pa.table({k: pa.array([], type=t) for k, t in _EMPTY.items()})}
    return {"attribute_mix": pa.concat_tables(parts)}


_EMPTY = {
    "attribute": pa.string(),
    "segment": pa.string(),
    "attribute_value": pa.string(),
    "year_number": pa.int32(),
    "year_start": pa.date32(),
    "expected_users": pa.float64(),
    "variance": pa.float64(),
}
