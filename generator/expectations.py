"""Great Expectations over the raw tables: the distributions the scenario plants (row
counts, shares, medians, the values a column may take) as an expectation suite, each
range 4 standard errors wide for the sample at hand, run against a warehouse."""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from generator.outputs import OutputError, open_read_only
from generator.scenario import Scenario, present

Z = 4.0  # standard errors either side of a planted share or median


@dataclass(frozen=True)
class Check:
    """One expectation on one derived frame (a query on the raw tables)."""

    frame: str
    expectation: Any


@dataclass(frozen=True)
class Outcome:
    frame: str
    expectation: str
    column: str
    observed: object
    expected: str
    success: bool


def _frames(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> dict[str, pd.DataFrame]:
    """Small frames computed in DuckDB: one row per user, or per distinct value."""
    frames = {
        "users": con.execute("select * from raw.users").df(),
        "event_names": con.execute("select distinct event_name from raw.events").df(),
    }
    if scenario.subscriptions is not None:
        frames["invoices"] = con.execute("select plan, amount, status from raw.invoices").df()
    if scenario.llm is not None:
        frames["llm_responses"] = con.execute(
            "select model_version, latency_ms, rating from raw.llm_responses"
        ).df()
    if scenario.experiments:
        frames["exposures"] = con.execute(
            "select distinct experiment_key, variant from raw.experiment_exposures"
        ).df()
    if scenario.marketing is not None:
        frames["touch_channels"] = con.execute(
            "select distinct channel from raw.marketing_touches"
        ).df()
    return frames


def _share_range(p: float, n: int) -> tuple[float, float]:
    half = Z * math.sqrt(max(p * (1 - p), 1e-12) / max(n, 1))
    return max(p - half, 0.0), min(p + half, 1.0)


def suite(scenario: Scenario, frames: dict[str, pd.DataFrame]) -> list[Check]:
    """The expectations the scenario implies for these frames (sample sizes from them)."""
    import great_expectations as gx  # noqa: PLC0415

    e = gx.expectations
    users = frames["users"]
    n = len(users)
    checks = [
        Check("users", e.ExpectTableRowCountToEqual(value=scenario.users)),
        Check("users", e.ExpectColumnValuesToBeUnique(column="user_id")),
    ]
    share = {s: seg.share for s, seg in scenario.segments.items()}
    roles = sorted({seg.role for seg in scenario.segments.values()})
    checks.append(Check("users", e.ExpectColumnValuesToBeInSet(column="role", value_set=roles)))
    for role in roles:
        p = sum(share[s] for s, seg in scenario.segments.items() if seg.role == role)
        low, high = _share_range(p, n)
        users[f"is_{role}"] = (users["role"] == role).astype(float)
        checks.append(
            Check(
                "users",
                e.ExpectColumnMeanToBeBetween(column=f"is_{role}", min_value=low, max_value=high),
            )
        )
    for name, attr in scenario.attributes.items():
        checks.append(
            Check("users", e.ExpectColumnValuesToBeInSet(column=name, value_set=attr.values))
        )
        for i, value in enumerate(attr.values):
            p = sum(share[s] * attr.shares[s][i] for s in scenario.segments)
            low, high = _share_range(p, n)
            column = f"is_{name}_{value}"
            users[column] = (users[name] == value).astype(float)
            checks.append(
                Check(
                    "users",
                    e.ExpectColumnMeanToBeBetween(column=column, min_value=low, max_value=high),
                )
            )
    names = [*scenario.event_names(), *scenario.funnel_events()]
    checks.append(
        Check("event_names", e.ExpectColumnValuesToBeInSet(column="event_name", value_set=names))
    )
    if "invoices" in frames:
        subs = present(scenario.subscriptions)
        prices = [plan.price for plan in subs.plans.values() if plan.price > 0]
        invoices = frames["invoices"]
        invoices["amount"] = invoices["amount"].astype(float)
        invoices["is_failed"] = (invoices["status"] == "failed").astype(float)
        low, high = _share_range(subs.failed_payment_probability, len(invoices))
        checks += [
            Check("invoices", e.ExpectColumnValuesToBeInSet(column="amount", value_set=prices)),
            Check(
                "invoices",
                e.ExpectColumnMeanToBeBetween(column="is_failed", min_value=low, max_value=high),
            ),
        ]
    if "llm_responses" in frames:
        llm_spec = present(scenario.llm)
        responses = frames["llm_responses"]
        checks += [
            Check(
                "llm_responses",
                e.ExpectColumnValuesToBeInSet(
                    column="model_version", value_set=list(llm_spec.models)
                ),
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
            checks.append(
                Check(
                    frame,
                    e.ExpectColumnMedianToBeBetween(
                        column="latency_ms",
                        min_value=model.latency_ms.median - Z * se - 1,
                        max_value=model.latency_ms.median + Z * se + 1,
                    ),
                )
            )
    if "exposures" in frames:
        variants = sorted({v for exp in scenario.experiments.values() for v in exp.variants})
        checks += [
            Check(
                "exposures",
                e.ExpectColumnValuesToBeInSet(
                    column="experiment_key", value_set=list(scenario.experiments)
                ),
            ),
            Check("exposures", e.ExpectColumnValuesToBeInSet(column="variant", value_set=variants)),
        ]
    if "touch_channels" in frames:
        checks.append(
            Check(
                "touch_channels",
                e.ExpectColumnValuesToBeInSet(
                    column="channel", value_set=list(present(scenario.marketing).channels)
                ),
            )
        )
    return checks


def run(scenario: Scenario, db: str | Path) -> list[Outcome]:
    """Validate the warehouse's raw tables against the scenario; one outcome per check."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx  # noqa: PLC0415

    con = open_read_only(db)
    try:
        frames = _frames(con, scenario)
    except duckdb.CatalogException as exc:
        first = str(exc).splitlines()[0]
        raise OutputError(f"{db}: not a warehouse of this scenario ({first})") from None
    finally:
        con.close()
    checks = suite(scenario, frames)
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: PLC0415

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("raw")
    outcomes = []
    for name in dict.fromkeys(c.frame for c in checks):
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
        mine = context.suites.add(gx.ExpectationSuite(name=f"raw_{name}"))
        for check in checks:
            if check.frame == name:
                mine.add_expectation(check.expectation)
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"raw_{name}", data=batch, suite=mine)
        )
        result = validation.run(batch_parameters={"dataframe": frames[name]}, result_format="BASIC")
        for r in result.results:
            config = r.expectation_config
            if config is None:
                raise RuntimeError(f"raw_{name}: a result without its expectation")
            kwargs = {k: v for k, v in config.kwargs.items() if k not in ("column", "batch_id")}
            observed = r.result.get("observed_value", r.result.get("unexpected_count"))
            if isinstance(observed, (float, np.floating)):
                observed = round(float(observed), 6)
            outcomes.append(
                Outcome(
                    frame=name,
                    expectation=config.type,
                    column=config.kwargs.get("column", ""),
                    observed=observed,
                    expected=", ".join(
                        f"{k}={round(v, 6) if isinstance(v, float) else v}"
                        for k, v in kwargs.items()
                    )[:80],
                    success=bool(r.success),
                )
            )
    return outcomes
