"""Built as of a day, the warehouse equals the one built from the raw tables as they stood
that evening: every model, not only the ones that read the as-of date, is cut there, so
no mart counts later activity, later signups or later payments."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb

from conftest import differing_rows, run_dbt

# every raw table with a time, and the column that says when its row was known: an event
# when the collector received it (late uploads later), a user when the row loaded
KNOWN_AT = {
    "users": "loaded_at",
    "events": "received_at",
    "subscription_changes": "changed_at",
    "invoices": "issued_at",
    "llm_responses": "requested_at",
    "experiment_exposures": "exposed_at",
    "marketing_touches": "touched_at",
    "marketing_spend": "spend_date",
}


def _built_schemas(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and table_schema not in ('raw', 'truth') order by 1, 2",
        [catalog],
    ).fetchall()


def test_a_warehouse_as_of_a_day_equals_one_built_from_the_raw_tables_cut_there(
    built_world, tmp_path
):
    project = built_world.parent / "project"
    whole, cut = tmp_path / "whole.duckdb", tmp_path / "cut.duckdb"
    shutil.copy(built_world, whole)
    shutil.copy(built_world, cut)
    con = duckdb.connect(str(cut))
    first, last = con.execute("select min(event_at), max(event_at) from raw.events").fetchone()
    as_of = (first + (last - first) * 0.6).date()  # any day inside the timeframe
    end = as_of + dt.timedelta(days=1)
    present = {t for (t,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'"
    ).fetchall()}  # fmt: skip
    for table, column in KNOWN_AT.items():
        if table in present:
            con.execute(f"delete from raw.{table} where {column} >= ?", [end])
    con.close()

    as_of_var = f"{{as_of_date: '{as_of}'}}"
    for db in (whole, cut):
        built = run_dbt(project, db, "run", "--vars", as_of_var)
        assert built.returncode == 0, built.stdout[-3000:]

    con = duckdb.connect(str(whole))
    con.execute(f"attach '{cut}' as cut (read_only)")
    relations = _built_schemas(con, "whole")
    assert relations == _built_schemas(con, "cut")
    assert any(schema == "marts" for schema, _ in relations)
    differing = []
    for schema, table in relations:
        extra = differing_rows(con, f"whole.{schema}.{table}", f"cut.{schema}.{table}")
        if extra != (0, 0):
            differing.append(f"{schema}.{table}: {extra[0]} rows only as of, {extra[1]} only cut")
    con.close()
    assert not differing, "\n".join(differing)
