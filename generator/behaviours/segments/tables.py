"""The tables this behaviour adds, with their DuckDB types: raw.users: who the users are
(one VARCHAR column per declared attribute follows)."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {
    "users": {
        "user_id": "BIGINT",
        "signed_up_at": "TIMESTAMP",
        "loaded_at": "TIMESTAMP",  # when the row reached the warehouse
        "email": "VARCHAR",
        "role": "VARCHAR",
        "time_zone": "VARCHAR",
    },
}
RAW["attribute_bands"] = {
    "attribute_name": "VARCHAR",
    "band_number": "INTEGER",
    "band_label": "VARCHAR",
    "lower_bound": "DOUBLE",
    "upper_bound": "DOUBLE",
}
# when each row reached the system that keeps it: a run through a day writes the rows
# that arrived by its end, a later run appends the rest (generate --through, --append-days)
ARRIVES_AT: dict[str, str] = {
    "users": "loaded_at",
}
TRUTH: dict[str, dict[str, str]] = {
    "attribute_mix": {
        "attribute": "VARCHAR",
        "segment": "VARCHAR",
        "attribute_value": "VARCHAR",
        "year_number": "INTEGER",
        "year_start": "DATE",
        "expected_users": "DOUBLE",
        "variance": "DOUBLE",
    },
}

# Names an attribute may not take: raw.users' own columns and the ones dim_users derives.
RESERVED_USER_COLUMNS = frozenset(
    [
        *RAW["users"],
        "signup_date",
        "cohort_week",
        "cohort_month",
        "first_active_at",
        "last_active_at",
        "last_active_date",
        "lifetime_sessions",
        "lifetime_events",
        "days_active",
        "active_days_last_28",
        "days_since_last_active",
        "account_age_days",
        "is_retained_day_7",
        "is_churned",
        "lifecycle_stage",
        "breakdown",
        "breakdown_value",
    ]
)
