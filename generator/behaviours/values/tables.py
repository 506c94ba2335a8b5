"""The tables this behaviour adds, with their DuckDB types: the value columns ride on
raw.events (events/tables.py); truth.daily_values holds each valued event's calendar
multiplier per day."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {}
TRUTH: dict[str, dict[str, str]] = {
    "daily_values": {
        "event_name": "VARCHAR",
        "value_date": "DATE",
        "calendar_multiplier": "DOUBLE",
        "anomaly_multiplier": "DOUBLE",
        "anomaly": "VARCHAR",
    },
}
