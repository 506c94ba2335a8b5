"""The tables this behaviour adds, with their DuckDB types: Expected adopters of each
launched feature by day, and each would-be adopter's category where the feature spreads
by adopter categories."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {}
TRUTH: dict[str, dict[str, str]] = {
    "feature_adoption": {
        "feature": "VARCHAR",
        "adoption_date": "DATE",
        "expected_new_adopters": "DOUBLE",
        "expected_cumulative_adopters": "DOUBLE",
        "cumulative_variance": "DOUBLE",
    },
    # the market's users of a feature spreading by adopter categories
    "adopters": {
        "feature": "VARCHAR",
        "user_id": "BIGINT",
        "adopter_category": "VARCHAR",
        "planned_days_after_launch": "DOUBLE",
        "adopted_at": "TIMESTAMP",  # null: never adopted
    },
}
