"""The tables this behaviour adds, with their DuckDB types: raw.events as the tracker logs
them, and the tracking plan's event catalogue."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {
    "event_catalog": {
        "event_name": "VARCHAR",
        "feature": "VARCHAR",
        "event_type": "VARCHAR",
        "is_session_start": "BOOLEAN",
        "is_signup": "BOOLEAN",
        "is_paid_conversion": "BOOLEAN",
        "value_kind": "VARCHAR",
        "value_unit": "VARCHAR",
    },
    "events": {
        "event_id": "BIGINT",
        "user_id": "BIGINT",
        "session_id": "BIGINT",
        "event_name": "VARCHAR",
        "feature": "VARCHAR",
        "event_at": "TIMESTAMP",  # by the clock of the device (the server's for system events)
        "sent_at": "TIMESTAMP",  # by the same clock, when its batch left
        "received_at": "TIMESTAMP",  # by the collector's clock, when it arrived
        "duration_ms": "INTEGER",
        "event_value": "DOUBLE",
        "value_unit": "VARCHAR",
    },
}
# when each row reached the system that keeps it: a run through a day writes the rows
# that arrived by its end, a later run appends the rest (generate --through, --append-days)
ARRIVES_AT: dict[str, str] = {
    "events": "received_at",
}
TRUTH: dict[str, dict[str, str]] = {}
