"""The tables this behaviour adds, with their DuckDB types: Every lifecycle stage visit with
its expected sessions."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {}
TRUTH: dict[str, dict[str, str]] = {
    "lifecycle_paths": {
        "user_id": "BIGINT",
        "visit_number": "INTEGER",
        "stage": "VARCHAR",
        "entered_at": "TIMESTAMP",
        "left_at": "TIMESTAMP",
        "expected_sessions": "DOUBLE",
    },
}
