"""The tables this behaviour adds, with their DuckDB types: the tracking plan's record of
renamed events, the company's own e-mail domains, and every planted fault's label."""

from __future__ import annotations

RAW: dict[str, dict[str, str]] = {
    # the tracking plan's changelog: an event logged under a new name from a date
    "event_renames": {
        "event_name": "VARCHAR",
        "renamed_to": "VARCHAR",
        "renamed_on": "DATE",
    },
    # the company's own e-mail domains (its staff's accounts)
    "internal_domains": {
        "domain": "VARCHAR",
    },
}
TRUTH: dict[str, dict[str, str]] = {
    # one row per faulty raw row and fault (a row can carry several)
    "faults": {
        "fault": "VARCHAR",
        "table_name": "VARCHAR",
        "row_id": "BIGINT",  # event_id, user_id; null for invoices (user_id, row_at)
        "user_id": "BIGINT",
        "row_at": "TIMESTAMP",  # when it happened (an event's true time, an invoice's issue)
        "column_name": "VARCHAR",
        "true_value": "VARCHAR",  # what the column holds without the fault
    },
}
