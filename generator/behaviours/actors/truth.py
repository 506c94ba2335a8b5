"""The answer key of this behaviour: each actor kind's size, joining and traits, each
relation's panel spread and effects, and the window early activity is counted over. Each
actor's traits and each assigned user's expected early sessions are written row by row
(truth.actor_traits, truth.assigned_users)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from generator.behaviours.actors.simulate import JOINED_BEFORE_START_DAYS
from generator.behaviours.actors.tables import EARLY_ACTIVITY_DAYS
from generator.calendar import Calendar
from generator.columns import Add
from generator.scenario import Scenario


def parameters(scenario: Scenario, add: Add) -> None:
    for kind, spec in scenario.actors.items():
        add("actor.count", kind, spec.count, "actors", "actors of the kind")
        add(
            "actor.at_start",
            kind,
            spec.joining.at_start,
            "share",
            f"share on the platform at the start (joined in the {JOINED_BEFORE_START_DAYS:g} "
            "days before)",
        )
        add(
            "actor.joining_trend_per_year",
            kind,
            spec.joining.trend_per_year,
            "log per year",
            "growth of the rate the others join at",
        )
        for trait, sigma in spec.traits.items():
            add("actor.trait_sigma", f"{kind}/{trait}", sigma, "log sd", "hidden trait, mean 1")
        for attr, a in spec.attributes.items():
            total = sum(a.shares)
            for value, share in zip(a.values, a.shares, strict=True):
                add(
                    f"actor_attribute.{attr}",
                    f"{kind}/{value}",
                    share / total,
                    "share",
                    "chance an actor of the kind has the value",
                )
    for name, rel in scenario.relations.items():
        add("relation.panel_sigma", name, rel.panel_sigma, "log sd", "spread of the actors' pull")
        for target, trait in rel.effects.items():
            add(
                "relation.effect_sigma",
                f"{name}/{target}",
                scenario.actors[rel.parent].traits[trait],
                "log sd",
                f"the parent's {trait} multiplies the users' {target} (mean 1)",
            )
    if scenario.relations:
        add(
            "relation.early_activity_days",
            "",
            EARLY_ACTIVITY_DAYS,
            "days",
            "early sessions are those on the days 1..N after the signup date",
        )


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    return {}
