"""The tables this behaviour adds, with DuckDB types. The planted signup curve and anomalies."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {}
TRUTH: dict[str, dict[str, str]] = {
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
}
