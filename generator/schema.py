"""The raw and truth tables: names, columns and DuckDB types, defined once. dbt's sources
declare the same raw columns; a test keeps the two in agreement."""

from __future__ import annotations

RAW_TABLES: dict[str, dict[str, str]] = {
    "users": {
        "user_id": "BIGINT",
        "signed_up_at": "TIMESTAMP",
        "email": "VARCHAR",
        "role": "VARCHAR",
        # then one VARCHAR column per attribute the world declares (raw_tables)
    },
    "event_catalog": {
        "event_name": "VARCHAR",
        "feature": "VARCHAR",
        "event_type": "VARCHAR",
        "is_session_start": "BOOLEAN",
        "is_signup": "BOOLEAN",
        "is_paid_conversion": "BOOLEAN",
    },
    "funnel_steps": {
        "funnel_name": "VARCHAR",
        "funnel_number": "INTEGER",
        "step_number": "INTEGER",
        "event_name": "VARCHAR",
        "window_days": "DOUBLE",
    },
    "events": {
        "event_id": "BIGINT",
        "user_id": "BIGINT",
        "session_id": "BIGINT",
        "event_name": "VARCHAR",
        "feature": "VARCHAR",
        "event_at": "TIMESTAMP",
        "duration_ms": "INTEGER",
    },
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
    "llm_responses": {
        "response_id": "BIGINT",
        "user_id": "BIGINT",
        "feature": "VARCHAR",
        "model_version": "VARCHAR",
        "requested_at": "TIMESTAMP",
        "latency_ms": "INTEGER",
        "rating": "INTEGER",
        "hallucination_flag": "BOOLEAN",
        "flag_source": "VARCHAR",
    },
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
        "touched_at": "TIMESTAMP",
    },
    "experiments": {
        "experiment_key": "VARCHAR",
        "variant_index": "INTEGER",
        "variant": "VARCHAR",
        "weight": "DOUBLE",
        "starts_on": "DATE",
        "ends_on": "DATE",
    },
    "experiment_exposures": {
        "exposure_id": "BIGINT",
        "user_id": "BIGINT",
        "experiment_key": "VARCHAR",
        "variant": "VARCHAR",
        "exposed_at": "TIMESTAMP",
    },
}

TRUTH_TABLES: dict[str, dict[str, str]] = {
    "parameters": {
        "parameter": "VARCHAR",
        "dimension": "VARCHAR",
        "value": "DOUBLE",
        "unit": "VARCHAR",
        "description": "VARCHAR",
    },
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
    "anomalies": {
        "anomaly_name": "VARCHAR",
        "anomaly_date": "DATE",
        "signup_multiplier": "DOUBLE",
        "activity_multiplier": "DOUBLE",
    },
    "signup_curve": {
        "signup_date": "DATE",
        "trend": "DOUBLE",
        "weekday_weight": "DOUBLE",
        "month_weight": "DOUBLE",
        "anomaly_multiplier": "DOUBLE",
        "expected_share": "DOUBLE",
        "expected_signups": "DOUBLE",
    },
    "daily_activity": {
        "activity_date": "DATE",
        "expected_dau": "DOUBLE",
        "dau_variance": "DOUBLE",
        "baseline_dau": "DOUBLE",
        "baseline_dau_variance": "DOUBLE",
        "expected_sessions": "DOUBLE",
    },
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
    "funnel_users": {
        "user_id": "BIGINT",
        "funnel_name": "VARCHAR",
        "step_number": "INTEGER",
        "event_name": "VARCHAR",
        "expected_reach": "DOUBLE",
        "variance": "DOUBLE",
        "is_reached": "BOOLEAN",
    },
    "lifecycle_paths": {
        "user_id": "BIGINT",
        "visit_number": "INTEGER",
        "stage": "VARCHAR",
        "entered_at": "TIMESTAMP",
        "left_at": "TIMESTAMP",
        "expected_sessions": "DOUBLE",
    },
    "llm_ratings": {
        "model_version": "VARCHAR",
        "live_from": "DATE",
        "feature": "VARCHAR",
        "role": "VARCHAR",
        "expected_rating": "DOUBLE",
        "rating_variance": "DOUBLE",
        "hallucination_probability": "DOUBLE",
        "flag_probability": "DOUBLE",
    },
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
    "feature_adoption": {
        "feature": "VARCHAR",
        "adoption_date": "DATE",
        "expected_new_adopters": "DOUBLE",
        "expected_cumulative_adopters": "DOUBLE",
        "cumulative_variance": "DOUBLE",
    },
    "llm_rating_sums": {
        "model_version": "VARCHAR",
        "feature": "VARCHAR",
        "role": "VARCHAR",
        "ratings": "BIGINT",
        "expected_rating_sum": "DOUBLE",
        "rating_variance_sum": "DOUBLE",
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


def create_sql(schema: str, table: str, columns: dict[str, str]) -> str:
    cols = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    return f"create table {schema}.{table} ({cols})"


# Experiment metric windows in whole days after the exposure day (the exposure day holds
# the exposure itself and is left out); dbt's experiment_windows var holds the same.
EXPERIMENT_WINDOWS: dict[str, int] = {
    "pre_days": 14,  # the covariate: sessions in the days before exposure
    "sessions_days": 14,
    "retention_day": 7,
    "conversion_days": 28,  # conversion, revenue and activity for revenue per active user
}
# A variant stays with its users until the last window of the last exposure closes.
EXPERIMENT_WINDOW_DAYS = max(EXPERIMENT_WINDOWS.values())

# Names an attribute may not take: raw.users' own columns and the ones dim_users derives.
RESERVED_USER_COLUMNS = frozenset(
    [
        *RAW_TABLES["users"],
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


def raw_tables(attributes: list[str]) -> dict[str, dict[str, str]]:
    """The raw tables of a world: raw.users carries one column per declared attribute."""
    tables = dict(RAW_TABLES)
    tables["users"] = {**RAW_TABLES["users"], **dict.fromkeys(attributes, "VARCHAR")}
    return tables
