"""The tables this behaviour adds, with their DuckDB types: The LLM gateway's answers, and
the planted rating distributions."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {
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
        "prompt_tokens": "INTEGER",
        "completion_tokens": "INTEGER",
        "cost_usd": "DOUBLE",
    },
}
# when each row reached the system that keeps it: a run through a day writes the rows
# that arrived by its end, a later run appends the rest (generate --through, --append-days)
ARRIVES_AT: dict[str, str] = {
    "llm_responses": "requested_at",
}
TRUTH: dict[str, dict[str, str]] = {
    "llm_token_costs": {
        "model_version": "VARCHAR",
        "expected_prompt_tokens": "DOUBLE",
        "prompt_tokens_variance": "DOUBLE",
        "expected_completion_tokens": "DOUBLE",
        "completion_tokens_variance": "DOUBLE",
        "expected_cost_usd": "DOUBLE",
        "cost_usd_variance": "DOUBLE",
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
    "llm_rating_sums": {
        "model_version": "VARCHAR",
        "feature": "VARCHAR",
        "role": "VARCHAR",
        "ratings": "BIGINT",
        "expected_rating_sum": "DOUBLE",
        "rating_variance_sum": "DOUBLE",
    },
}
