"""`--parquet DIR` writes the raw tables for other engines: events partitioned by date."""

from __future__ import annotations

import duckdb

from conftest import run_generator


def test_parquet_export_holds_the_raw_tables(tmp_path):
    db, out = tmp_path / "w.duckdb", tmp_path / "parquet"
    result = run_generator("--users", "2000", "--db", str(db), "--parquet", str(out))
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    events = con.execute("select count(*), count(distinct cast(event_at as date)) from raw.events")
    n_events, n_days = events.fetchone()
    users = con.execute("select count(*) from raw.users").fetchone()[0]
    con.close()
    parquet = duckdb.connect()
    assert parquet.execute(
        f"select count(*) from read_parquet('{out}/events/*/*.parquet', hive_partitioning=true)"
    ).fetchone() == (n_events,)
    assert parquet.execute(f"select count(*) from '{out}/users.parquet'").fetchone() == (users,)
    assert len(list((out / "events").glob("event_date=*"))) == n_days
