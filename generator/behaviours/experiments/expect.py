"""What raw.experiment_exposures must show: only the world's experiments and variants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from generator.checks import Check

if TYPE_CHECKING:
    from generator.scenario import Scenario


def frames(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> dict[str, pd.DataFrame]:
    if not scenario.experiments:
        return {}
    query = "select distinct experiment_key, variant from raw.experiment_exposures"
    return {"exposures": con.execute(query).df()}


def checks(scenario: Scenario, frames: dict[str, pd.DataFrame], e: Any) -> list[Check]:
    if "exposures" not in frames:
        return []
    variants = sorted({v for exp in scenario.experiments.values() for v in exp.variants})
    return [
        Check(
            "exposures",
            e.ExpectColumnValuesToBeInSet(
                column="experiment_key", value_set=list(scenario.experiments)
            ),
        ),
        Check("exposures", e.ExpectColumnValuesToBeInSet(column="variant", value_set=variants)),
    ]
