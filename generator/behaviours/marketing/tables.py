"""The tables this behaviour adds, with their DuckDB types: The ad platforms' spend and
touches, and what the touches planted."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {
    "marketing_spend": {
        "spend_date": "DATE",
        "channel": "VARCHAR",
        "campaign": "VARCHAR",
        "spend": "DECIMAL(12, 2)",
        "currency": "VARCHAR",
    },
    "marketing_touches": {
        "touch_id": "BIGINT",
        "user_id": "BIGINT",
        "channel": "VARCHAR",
        "campaign": "VARCHAR",
        "touch_type": "VARCHAR",
        "touched_at": "TIMESTAMP",
    },
}
# when each row reached the system that keeps it: a run through a day writes the rows
# that arrived by its end, a later run appends the rest (generate --through, --append-days)
ARRIVES_AT: dict[str, str] = {
    "marketing_spend": "spend_date",
    "marketing_touches": "touched_at",
}
TRUTH: dict[str, dict[str, str]] = {
    "marketing_daily": {
        "channel": "VARCHAR",
        "activity_date": "DATE",
        "spend": "DOUBLE",
        "expected_touches": "DOUBLE",
        "removal_conversions": "DOUBLE",
    },
    "marketing_response": {
        "touches_in_window": "INTEGER",
        "decisions": "BIGINT",
        "expected_conversions": "DOUBLE",
        "conversion_variance": "DOUBLE",
        "baseline_conversions": "DOUBLE",
    },
}
