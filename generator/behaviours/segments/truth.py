"""The answer key of this behaviour: each segment's planted numbers and the attribute shares."""

from __future__ import annotations

import numpy as np

from generator.behaviours.churn import simulate as churn
from generator.behaviours.segments.section import NumericAttribute, band_column
from generator.behaviours.segments.simulate import band_labels, band_of, numeric_grid
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
                    f"share of the segment's users with {attr_name} = {value}",
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
