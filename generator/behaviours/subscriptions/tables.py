"""The tables this behaviour adds, with their DuckDB types: The billing system's plan
changes and invoices, and the planted plans and transitions."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {
    "subscription_changes": {
        "change_id": "BIGINT",
        "user_id": "BIGINT",
        "changed_at": "TIMESTAMP",
        "from_plan": "VARCHAR",
        "to_plan": "VARCHAR",
        "reason": "VARCHAR",
    },
    "invoices": {
        "invoice_id": "BIGINT",
        "user_id": "BIGINT",
        "plan": "VARCHAR",
        "billing_interval": "VARCHAR",
        "amount": "DECIMAL(12, 2)",
        "currency": "VARCHAR",
        "period_start": "DATE",
        "period_end": "DATE",
        "issued_at": "TIMESTAMP",
        "status": "VARCHAR",
    },
}
# when each row reached the system that keeps it: a run through a day writes the rows
# that arrived by its end, a later run appends the rest (generate --through, --append-days)
ARRIVES_AT: dict[str, str] = {
    "subscription_changes": "changed_at",
    "invoices": "issued_at",
}
TRUTH: dict[str, dict[str, str]] = {
    "plans": {
        "plan": "VARCHAR",
        "tier": "INTEGER",
        "price": "DECIMAL(12, 2)",
        "billing_interval": "VARCHAR",
        "monthly_price": "DOUBLE",
        "currency": "VARCHAR",
    },
    "expected_plan_transitions": {
        "from_plan": "VARCHAR",
        "to_plan": "VARCHAR",
        "decisions": "BIGINT",
        "expected_transitions": "DOUBLE",
        "variance": "DOUBLE",
    },
    "expected_billed_transitions": {
        "from_plan": "VARCHAR",
        "to_plan": "VARCHAR",
        "decisions": "BIGINT",
        "expected_transitions": "DOUBLE",
        "variance": "DOUBLE",
    },
}
