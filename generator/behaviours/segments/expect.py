"""What raw.users must show: one row per simulated user, roles and attribute values from
the world, in the planted shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from generator.behaviours.segments.section import NumericAttribute
from generator.checks import Check, share_range

if TYPE_CHECKING:
    from generator.scenario import Scenario


def frames(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> dict[str, pd.DataFrame]:
    return {"users": con.execute("select * from raw.users").df()}


def checks(scenario: Scenario, frames: dict[str, pd.DataFrame], e: Any) -> list[Check]:
    users = frames["users"]
    n = len(users)
    out = [
        Check("users", e.ExpectTableRowCountToEqual(value=scenario.users)),
        Check("users", e.ExpectColumnValuesToBeUnique(column="user_id")),
    ]
    share = {s: seg.share for s, seg in scenario.segments.items()}
    roles = sorted({seg.role for seg in scenario.segments.values()})
    out.append(Check("users", e.ExpectColumnValuesToBeInSet(column="role", value_set=roles)))
    for role in roles:
        p = sum(share[s] for s, seg in scenario.segments.items() if seg.role == role)
        low, high = share_range(p, n)
        users[f"is_{role}"] = (users["role"] == role).astype(float)
        out.append(
            Check(
                "users",
                e.ExpectColumnMeanToBeBetween(column=f"is_{role}", min_value=low, max_value=high),
            )
        )
    for name, attr in scenario.attributes.items():
        if isinstance(attr, NumericAttribute):
            spread = attr.distribution.values()
            out.append(
                Check(
                    "users",
                    e.ExpectColumnValuesToBeBetween(
                        column=name,
                        min_value=min(s.low for s in spread),
                        max_value=max(s.high for s in spread),
                    ),
                )
            )
            continue
        out.append(
            Check("users", e.ExpectColumnValuesToBeInSet(column=name, value_set=attr.values))
        )
        for i, value in enumerate(attr.values):
            p = sum(share[s] * attr.shares[s][i] for s in scenario.segments)
            low, high = share_range(p, n)
            column = f"is_{name}_{value}"
            users[column] = (users[name] == value).astype(float)
            out.append(
                Check(
                    "users",
                    e.ExpectColumnMeanToBeBetween(column=column, min_value=low, max_value=high),
                )
            )
    return out
