"""What raw.events must show: only the events the world logs, under their names in the
tracking plan (a renamed event's new name among them; the faults module counts those)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from generator.checks import Check

if TYPE_CHECKING:
    from generator.scenario import Scenario


def frames(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> dict[str, pd.DataFrame]:
    return {"event_names": con.execute("select distinct event_name from raw.events").df()}


def checks(scenario: Scenario, frames: dict[str, pd.DataFrame], e: Any) -> list[Check]:
    rename = scenario.faults.rename if scenario.faults is not None else None
    names = [*scenario.logged_events(), *([rename.renamed_to] if rename else [])]
    return [
        Check("event_names", e.ExpectColumnValuesToBeInSet(column="event_name", value_set=names))
    ]
