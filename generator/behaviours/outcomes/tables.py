"""The tables this behaviour adds, with their DuckDB types: raw.outcomes, each outcome as
the platform records it; truth.outcomes, every user's chance and result for every outcome."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {
    "outcomes": {
        "outcome_id": "BIGINT",
        "user_id": "BIGINT",
        "outcome": "VARCHAR",
        "recorded_at": "TIMESTAMP",
    },
}
# when each row reached the system that keeps it: a run through a day writes the rows
# that arrived by its end, a later run appends the rest (generate --through, --append-days)
ARRIVES_AT: dict[str, str] = {
    "outcomes": "recorded_at",
}
TRUTH: dict[str, dict[str, str]] = {
    "outcomes": {
        "user_id": "BIGINT",
        "outcome": "VARCHAR",
        "after_achieved": "BOOLEAN",
        "chance": "DOUBLE",
        "observable": "BOOLEAN",
        "achieved": "BOOLEAN",
        "achieved_at": "TIMESTAMP",
    },
}
