"""What the raw tables must show of the planted faults: each expectation finds exactly the
rows truth.faults labels (a retry's second receipt, a resent copy, a late upload, a skewed
clock, a flipped duration, an event before its user's row, a renamed event, a staff or
scripted account, an empty attribute), and raw.users holds those accounts besides the
simulated users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from generator.behaviours.faults.simulate import HOUR, of
from generator.checks import Check, planted

if TYPE_CHECKING:
    from generator.scenario import Scenario

# one row per raw event: what the collector's own stamps and the users table show of it
DELIVERIES = """
with receipts as (
    select
        *,
        row_number() over (partition by event_id order by received_at) as receipt,
        round(datediff('millisecond', received_at, sent_at) / 1000.0) as clock_offset_s
    from raw.events
)
select
    receipt,
    row_number() over (
        partition by receipt, user_id, session_id, event_name, event_at, duration_ms,
            event_value
        order by received_at, event_id
    ) as send,
    clock_offset_s,
    datediff('millisecond', event_at - to_milliseconds(1000 * clock_offset_s), received_at)
        / {hour} as hours_to_arrive,
    duration_ms,
    datediff('millisecond', users.loaded_at, receipts.received_at) as ms_after_user_loaded,
    event_name
from receipts
left join raw.users using (user_id)
"""

ACCOUNTS = """
with days as (
    select user_id, max(n) as max_daily_events
    from (
        select user_id, cast(event_at as date), count(distinct event_id) as n
        from raw.events group by all
    ) group by user_id
)
select users.*, coalesce(days.max_daily_events, 0) as max_daily_events
from raw.users as users left join days using (user_id)
"""


def frames(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> dict[str, pd.DataFrame]:
    labelled = "select fault, table_name, column_name, count(*) as labelled from truth.faults"
    return {
        "planted_faults": con.execute(f"{labelled} group by all").df(),
        "deliveries": con.execute(DELIVERIES.format(hour=HOUR)).df(),
        "accounts": con.execute(ACCOUNTS).df(),
    }


# the bounds each event row must keep, and the fault a row outside them is: staging's
# rules (the dbt vars late_arrival_hours and inhuman_daily_events hold the same numbers)
LATE_HOURS = 1
INHUMAN_DAILY_EVENTS = 1000
EVENT_BOUNDS = (
    ("receipt", None, 1, "duplicate_same_id"),
    ("send", None, 1, "duplicate_new_id"),
    ("hours_to_arrive", 0, LATE_HOURS, "late_arrival"),
    ("clock_offset_s", 0, 0, "clock_skew"),
    ("duration_ms", 0, None, "negative_duration"),
    ("ms_after_user_loaded", 0, None, "orphan_event"),
)


def checks(scenario: Scenario, frames: dict[str, pd.DataFrame], e: Any) -> list[Check]:
    f = of(scenario)
    domains = "|".join(d.replace(".", r"\.") for d in f.accounts.internal_domains)
    accounts = f.accounts.scripted + f.accounts.staff
    return [
        Check("accounts", e.ExpectTableRowCountToEqual(value=scenario.users + accounts)),
        Check("accounts", e.ExpectColumnValuesToBeUnique(column="user_id")),
        Check(
            "accounts",
            e.ExpectColumnValuesToBeBetween(
                column="max_daily_events", max_value=INHUMAN_DAILY_EVENTS
            ),
            planted(frames, "scripted_account", "users"),
        ),
        Check(
            "accounts",
            e.ExpectColumnValuesToNotMatchRegex(column="email", regex=f"@({domains})$"),
            planted(frames, "staff_account", "users"),
        ),
        *(
            Check(
                "deliveries",
                e.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high),
                planted(frames, fault, "events"),
            )
            for column, low, high, fault in EVENT_BOUNDS
        ),
        Check(
            "deliveries",
            e.ExpectColumnValuesToBeInSet(column="event_name", value_set=scenario.logged_events()),
            planted(frames, "renamed_event", "events"),
        ),
        *(
            Check(
                "accounts",
                e.ExpectColumnValuesToNotBeNull(column=name),
                planted(frames, "missing_value", "users", name),
            )
            for name in scenario.attributes
        ),
    ]
