"""Great Expectations over the raw tables: the distributions the scenario plants (row
counts, shares, medians, the values a column may take) as an expectation suite, each
range 4 standard errors wide for the sample at hand, run against a warehouse."""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from generator.behaviours.actors import expect as actors
from generator.behaviours.events import expect as events
from generator.behaviours.experiments import expect as experiments
from generator.behaviours.faults import expect as faults
from generator.behaviours.llm import expect as llm
from generator.behaviours.marketing import expect as marketing
from generator.behaviours.segments import expect as segments
from generator.behaviours.subscriptions import expect as subscriptions
from generator.checks import Check
from generator.outputs import OutputError, open_read_only
from generator.scenario import Scenario

# the behaviours whose raw tables carry expectations, in the order their checks run
EXPECTING = (faults, segments, events, subscriptions, llm, experiments, marketing, actors)


@dataclass(frozen=True)
class Outcome:
    frame: str
    expectation: str
    column: str
    observed: object
    expected: str
    success: bool


def _gx():
    """great_expectations, imported without the warning pyspark (which it looks for) gives
    about the pandas installed."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
        import great_expectations as gx  # noqa: PLC0415
    return gx


def suite(scenario: Scenario, frames: dict[str, pd.DataFrame]) -> list[Check]:
    """The expectations the scenario implies for these frames (sample sizes from them)."""
    gx = _gx()
    return [c for b in EXPECTING for c in b.checks(scenario, frames, gx.expectations)]


def run(scenario: Scenario, db: str | Path) -> list[Outcome]:
    """Validate the warehouse's raw tables against the scenario; one outcome per check."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    gx = _gx()

    con = open_read_only(db)
    try:
        frames = {k: v for b in EXPECTING for k, v in b.frames(con, scenario).items()}
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
        wanted = [c for c in checks if c.frame == name]
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
        mine = context.suites.add(gx.ExpectationSuite(name=f"raw_{name}"))
        by_id = {mine.add_expectation(check.expectation).id: check for check in wanted}
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"raw_{name}", data=batch, suite=mine)
        )
        result = validation.run(batch_parameters={"dataframe": frames[name]}, result_format="BASIC")
        for r in result.results:
            config = r.expectation_config
            if config is None:
                raise RuntimeError(f"raw_{name}: a result without its expectation")
            check = by_id[config.id]
            kwargs = {k: v for k, v in config.kwargs.items() if k not in ("column", "batch_id")}
            observed = r.result.get("observed_value", r.result.get("unexpected_count"))
            success = bool(r.success)
            if check.flags is not None:  # it must flag exactly the planted faults
                observed = r.result.get("unexpected_count")
                kwargs["flags"] = check.flags
                success = observed == check.flags
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
                    success=success,
                )
            )
    return outcomes
