"""What raw.invoices must show: the planted prices (but for the amounts written in cents),
and failed payments at their share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from generator.checks import Check, planted, share_range
from generator.section import present

if TYPE_CHECKING:
    from generator.scenario import Scenario


def frames(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> dict[str, pd.DataFrame]:
    if scenario.subscriptions is None:
        return {}
    return {"invoices": con.execute("select plan, amount, status from raw.invoices").df()}


def checks(scenario: Scenario, frames: dict[str, pd.DataFrame], e: Any) -> list[Check]:
    if "invoices" not in frames:
        return []
    subs = present(scenario.subscriptions)
    prices = [plan.price for plan in subs.plans.values() if plan.price > 0]
    invoices = frames["invoices"]
    invoices["amount"] = invoices["amount"].astype(float)
    invoices["is_failed"] = (invoices["status"] == "failed").astype(float)
    low, high = share_range(subs.failed_payment_probability, len(invoices))
    return [
        Check(
            "invoices",
            e.ExpectColumnValuesToBeInSet(column="amount", value_set=prices),
            planted(frames, "amount_in_cents", "invoices"),  # amounts written in cents
        ),
        Check(
            "invoices",
            e.ExpectColumnMeanToBeBetween(column="is_failed", min_value=low, max_value=high),
        ),
    ]
