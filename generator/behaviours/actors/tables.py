"""The tables this behaviour adds, with their DuckDB types: raw.actors (one VARCHAR column
per declared actor attribute follows) and raw.assignments, as the platform's database keeps
them; truth.actor_traits (each actor's hidden traits and pull) and truth.assigned_users
(each assigned user's expected early sessions, the doctor's effect included)."""

from __future__ import annotations

# Early activity: sessions opened on the days 1..N after the signup date (dbt var
# early_activity_days holds the same number).
EARLY_ACTIVITY_DAYS = 28

RAW: dict[str, dict[str, str]] = {
    "actors": {
        "actor_id": "BIGINT",
        "actor_kind": "VARCHAR",
        "joined_at": "TIMESTAMP",
    },
    "assignments": {
        "assignment_id": "BIGINT",
        "user_id": "BIGINT",
        "actor_id": "BIGINT",
        "relation": "VARCHAR",
        "assigned_at": "TIMESTAMP",
    },
}
# when each row reached the system that keeps it: a run through a day writes the rows
# that arrived by its end, a later run appends the rest (generate --through, --append-days)
ARRIVES_AT: dict[str, str] = {
    "actors": "joined_at",
    "assignments": "assigned_at",
}
TRUTH: dict[str, dict[str, str]] = {
    "actor_traits": {
        "actor_id": "BIGINT",
        "actor_kind": "VARCHAR",
        "trait": "VARCHAR",
        "trait_value": "DOUBLE",
    },
    "assigned_users": {
        "relation": "VARCHAR",
        "user_id": "BIGINT",
        "actor_id": "BIGINT",
        "activity_effect": "DOUBLE",
        "expected_early_sessions": "DOUBLE",
    },
}

# Names an actor attribute may not take: raw.actors' own columns and those dim_actors adds.
RESERVED_ACTOR_COLUMNS = frozenset(
    [*RAW["actors"], "joined_date", "linked_users", "first_assigned_date", "last_assigned_date"]
)
