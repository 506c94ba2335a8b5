"""The tables this behaviour adds, with their DuckDB types: The feature-flag system's
experiments and exposure logs, and every assignment and metric expectation."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {
    "experiments": {
        "experiment_key": "VARCHAR",
        "variant_index": "INTEGER",
        "variant": "VARCHAR",
        "weight": "DOUBLE",
        "starts_on": "DATE",
        "ends_on": "DATE",
        "goal_event": "VARCHAR",  # the event whose reach the experiment measures, if any
    },
    "experiment_exposures": {
        "exposure_id": "BIGINT",
        "user_id": "BIGINT",
        "experiment_key": "VARCHAR",
        "variant": "VARCHAR",
        "exposed_at": "TIMESTAMP",
    },
    # the flag service's log: every assignment, whether or not its exposures arrive
    "experiment_assignments": {
        "assignment_id": "BIGINT",
        "user_id": "BIGINT",
        "experiment_key": "VARCHAR",
        "variant": "VARCHAR",
        "assigned_at": "TIMESTAMP",
    },
}
# when each row reached the system that keeps it: a run through a day writes the rows
# that arrived by its end, a later run appends the rest (generate --through, --append-days)
ARRIVES_AT: dict[str, str] = {
    "experiment_exposures": "exposed_at",
    "experiment_assignments": "assigned_at",
}
TRUTH: dict[str, dict[str, str]] = {
    "experiment_assignments": {
        "user_id": "BIGINT",
        "experiment_key": "VARCHAR",
        "variant": "VARCHAR",
        "exposed_on": "DATE",
        "is_logged": "BOOLEAN",
    },
    "experiment_metrics": {
        "experiment_key": "VARCHAR",
        "segment": "VARCHAR",
        "variant": "VARCHAR",
        "metric": "VARCHAR",
        "users": "BIGINT",
        "expected_numerator": "DOUBLE",
        "expected_denominator": "DOUBLE",
        "expected_value": "DOUBLE",
        "expected_lift": "DOUBLE",
    },
}
