"""What raw.actors and raw.assignments must show: every declared actor, kinds and attribute
values from the world in the planted shares, and one link per user and relation to an
actor of the relation's kind."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from generator.checks import Check, share_range

if TYPE_CHECKING:
    from generator.scenario import Scenario


def frames(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> dict[str, pd.DataFrame]:
    if not scenario.actors:
        return {}
    return {
        "actors": con.execute("select * from raw.actors").df(),
        "assignments": con.execute(
            "select a.*, d.actor_kind from raw.assignments a "
            "left join raw.actors d on a.actor_id = d.actor_id"
        ).df(),
    }


def checks(scenario: Scenario, frames: dict[str, pd.DataFrame], e: Any) -> list[Check]:
    if not scenario.actors:
        return []
    actors, assignments = frames["actors"], frames["assignments"]
    total = sum(spec.count for spec in scenario.actors.values())
    out = [
        Check("actors", e.ExpectTableRowCountToEqual(value=total)),
        Check("actors", e.ExpectColumnValuesToBeUnique(column="actor_id")),
        Check(
            "actors",
            e.ExpectColumnValuesToBeInSet(column="actor_kind", value_set=list(scenario.actors)),
        ),
    ]
    for kind, spec in scenario.actors.items():
        mine = actors[actors["actor_kind"] == kind]
        for attr, a in spec.attributes.items():
            for value, share in zip(a.values, a.shares, strict=True):
                low, high = share_range(share / sum(a.shares), len(mine))
                column = f"is_{kind}_{attr}_{value}"
                actors[column] = (actors[attr] == value).where(actors["actor_kind"] == kind)
                actors[column] = actors[column].astype(float)
                out.append(
                    Check(
                        "actors",
                        e.ExpectColumnMeanToBeBetween(column=column, min_value=low, max_value=high),
                    )
                )
    out += [
        Check(
            "assignments",
            e.ExpectTableRowCountToEqual(value=scenario.users * len(scenario.relations)),
        ),
        Check(
            "assignments",
            e.ExpectCompoundColumnsToBeUnique(column_list=["user_id", "relation"]),
        ),
        Check(
            "assignments",
            e.ExpectColumnValuesToBeInSet(column="relation", value_set=list(scenario.relations)),
        ),
    ]
    for name, rel in scenario.relations.items():
        assignments[f"in_{name}_to_{rel.parent}"] = (
            (assignments["actor_kind"] == rel.parent) | (assignments["relation"] != name)
        ).astype(float)
        out.append(
            Check(
                "assignments",
                e.ExpectColumnMinToBeBetween(
                    column=f"in_{name}_to_{rel.parent}", min_value=1.0, max_value=1.0
                ),
            )
        )
    return out
