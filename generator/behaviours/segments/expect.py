"""What raw.users must show: a row for every simulated user, roles, zones and attribute
values from the world, in the planted shares (drifted over the signups' days) among the
users whose value is not empty. The staff and scripted accounts beside them are the faults
module's to count."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

from generator.behaviours.arrivals.simulate import signup_curve
from generator.behaviours.segments.section import NumericAttribute
from generator.behaviours.segments.simulate import drifted_shares, zone_table
from generator.calendar import DAYS_PER_YEAR, Calendar
from generator.checks import Check, share_range

if TYPE_CHECKING:
    from generator.scenario import Scenario


def frames(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> dict[str, pd.DataFrame]:
    population = "select * from raw.users where user_id in (select user_id from truth.users)"
    return {"users": con.execute(population).df()}


def checks(scenario: Scenario, frames: dict[str, pd.DataFrame], e: Any) -> list[Check]:
    users = frames["users"]
    n = len(users)
    out = [
        Check("users", e.ExpectTableRowCountToEqual(value=scenario.users)),
        Check("users", e.ExpectColumnValuesToBeUnique(column="user_id")),
    ]
    share = {s: seg.share for s, seg in scenario.segments.items()}
    cal = Calendar.of(scenario)
    day_weight = signup_curve(scenario, cal)["expected_share"]
    years = np.arange(cal.days) / DAYS_PER_YEAR
    zones = zone_table(scenario)[1]
    out.append(
        Check("users", e.ExpectColumnValuesToBeInSet(column="time_zone", value_set=list(zones)))
    )
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
        acquisition = scenario.marketing.acquisition if scenario.marketing else None
        if acquisition is not None and acquisition.attribute == name:
            continue  # its shares follow the run's ad spend: truth.attribute_mix holds them
        # the segments' shares, drifted to each day and weighted by the day's signups
        segment_shares = np.array([share[s] for s in scenario.segments])
        table = np.array([attr.shares[s] for s in scenario.segments], dtype=float)
        mixed = np.zeros(len(attr.values))
        for k, weight in enumerate(segment_shares):
            by_day = drifted_shares(
                attr, np.broadcast_to(table[k], (len(years), len(table[k]))), years
            )
            mixed += weight * (day_weight @ by_day)
        for i, value in enumerate(attr.values):
            p = float(mixed[i])
            low, high = share_range(p, int(users[name].notna().sum()))
            column = f"is_{name}_{value}"
            known = users[name].notna()  # an empty value is unknown, not another value
            users[column] = (users[name] == value).astype(float).where(known)
            out.append(
                Check(
                    "users",
                    e.ExpectColumnMeanToBeBetween(column=column, min_value=low, max_value=high),
                )
            )
    return out
