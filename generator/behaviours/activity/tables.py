"""The tables this behaviour adds, with their DuckDB types: Per-user truth (segment,
multipliers, churn dates), expected daily activity and retention."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {}
TRUTH: dict[str, dict[str, str]] = {
    "users": {
        "user_id": "BIGINT",
        "segment": "VARCHAR",
        "activity_multiplier": "DOUBLE",
        "cohort_factor": "DOUBLE",
        "churned_at": "TIMESTAMP",
        "returned_at": "TIMESTAMP",
        "churned_again_at": "TIMESTAMP",
        "p_inactive_final_28d": "DOUBLE",
    },
    "daily_activity": {
        "activity_date": "DATE",
        "expected_dau": "DOUBLE",
        "dau_variance": "DOUBLE",
        "baseline_dau": "DOUBLE",
        "baseline_dau_variance": "DOUBLE",
        "expected_sessions": "DOUBLE",
    },
    "expected_retention": {
        "cohort_month": "DATE",
        "period_type": "VARCHAR",
        "period_number": "INTEGER",
        "eligible_users": "BIGINT",
        "expected_retained_on": "DOUBLE",
        "variance_on": "DOUBLE",
        "expected_retained_on_or_after": "DOUBLE",
        "variance_on_or_after": "DOUBLE",
    },
}

# Retention periods planted in truth: (length in days, last period number).
RETENTION_PERIODS: dict[str, tuple[int, int]] = {
    "day": (1, 30),
    "week": (7, 156),
    "month": (30, 36),
}
# A user counts as churned in the marts after this many days without activity.
INACTIVE_DAYS_FOR_CHURN = 28
