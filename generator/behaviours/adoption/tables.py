"""The tables this behaviour adds, with their DuckDB types: Expected adopters of each
launched feature by day."""

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
}
