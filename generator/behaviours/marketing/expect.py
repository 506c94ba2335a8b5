"""What raw.marketing_touches must show: only the world's channels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from generator.checks import Check
from generator.section import present

if TYPE_CHECKING:
    from generator.scenario import Scenario


def frames(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> dict[str, pd.DataFrame]:
    if scenario.marketing is None:
        return {}
    query = "select distinct channel from raw.marketing_touches"
    return {"touch_channels": con.execute(query).df()}


def checks(scenario: Scenario, frames: dict[str, pd.DataFrame], e: Any) -> list[Check]:
    if "touch_channels" not in frames:
        return []
    channels = list(present(scenario.marketing).channels)
    return [
        Check("touch_channels", e.ExpectColumnValuesToBeInSet(column="channel", value_set=channels))
    ]
