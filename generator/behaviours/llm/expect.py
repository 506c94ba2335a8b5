"""What raw.llm_responses must show: the world's models, ratings 1 to 5, and each model's
latency median near the planted one."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from generator.checks import Check, Z
from generator.section import present

if TYPE_CHECKING:
    from generator.scenario import Scenario


def frames(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> dict[str, pd.DataFrame]:
    if scenario.llm is None:
        return {}
    query = "select model_version, latency_ms, rating from raw.llm_responses"
    return {"llm_responses": con.execute(query).df()}


def checks(scenario: Scenario, frames: dict[str, pd.DataFrame], e: Any) -> list[Check]:
    if "llm_responses" not in frames:
        return []
    llm_spec = present(scenario.llm)
    responses = frames["llm_responses"]
    out = [
        Check(
            "llm_responses",
            e.ExpectColumnValuesToBeInSet(column="model_version", value_set=list(llm_spec.models)),
        ),
        Check(
            "llm_responses",
            e.ExpectColumnValuesToBeBetween(column="rating", min_value=1, max_value=5),
        ),
    ]
    for name, model in llm_spec.models.items():
        # the median of a log-normal sample: standard error median x sigma x sqrt(pi/2n)
        frame = f"latency_{name}"
        frames[frame] = responses.loc[responses["model_version"] == name, ["latency_ms"]]
        m = max(len(frames[frame]), 1)
        se = model.latency_ms.median * model.latency_ms.sigma * math.sqrt(math.pi / (2 * m))
        out.append(
            Check(
                frame,
                e.ExpectColumnMedianToBeBetween(
                    column="latency_ms",
                    min_value=model.latency_ms.median - Z * se - 1,
                    max_value=model.latency_ms.median + Z * se + 1,
                ),
            )
        )
    return out
