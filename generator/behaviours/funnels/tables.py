"""The tables this behaviour adds, with their DuckDB types: The funnels' steps as the
tracking plan lists them, and each user's chance at each step."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {
    "funnel_steps": {
        "funnel_name": "VARCHAR",
        "funnel_number": "INTEGER",
        "step_number": "INTEGER",
        "event_name": "VARCHAR",
        "window_days": "DOUBLE",
    },
}
RAW["check_ins"] = {
    "check_in_id": "BIGINT",
    "user_id": "BIGINT",
    "event_name": "VARCHAR",
    "question": "VARCHAR",
    "answer": "VARCHAR",
    "answered_at": "TIMESTAMP",
}
# when each row reached the system that keeps it: a run through a day writes the rows
# that arrived by its end, a later run appends the rest (generate --through, --append-days)
ARRIVES_AT: dict[str, str] = {
    "check_ins": "answered_at",
}
TRUTH: dict[str, dict[str, str]] = {
    "funnel_users": {
        "user_id": "BIGINT",
        "funnel_name": "VARCHAR",
        "step_number": "INTEGER",
        "event_name": "VARCHAR",
        "expected_reach": "DOUBLE",
        "variance": "DOUBLE",
        "is_reached": "BOOLEAN",
    },
}
TRUTH["funnel_delays"] = {
    "funnel_name": "VARCHAR",
    "step_number": "INTEGER",
    "event_name": "VARCHAR",
    "median_seconds": "DOUBLE",
    "density_per_second": "DOUBLE",
}
