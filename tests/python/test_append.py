"""A warehouse grows a day at a time: a world written through a day and appended day by day
equals the world written through the last of those days at once, truth and ids included;
an append that cannot be done is refused in one line and changes nothing, and one killed
half way leaves the warehouse as it was."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, run_generator
from conftest import table_contents as contents

USERS = "12000"  # three shards
THROUGH = dt.date(2024, 9, 30)


def _ok(*args: str) -> None:
    result = run_generator(*args)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> dict[str, Path]:
    """One world through THROUGH, appended 3 days and then 28 more; the same world written
    through THROUGH + 31 at once; and through THROUGH alone, to see the appends add rows."""
    folder = tmp_path_factory.mktemp("append")
    world = ("--users", USERS, "--seed", "5", "--workers", "2")
    paths = {name: folder / f"{name}.duckdb" for name in ("grown", "at_once", "first")}
    _ok(*world, "--db", str(paths["grown"]), "--through", str(THROUGH))
    _ok(*world, "--db", str(paths["first"]), "--through", str(THROUGH))
    _ok("--db", str(paths["grown"]), "--append-days", "3", "--workers", "2")
    _ok("--db", str(paths["grown"]), "--append-days", "28", "--workers", "1")
    last = THROUGH + dt.timedelta(days=31)
    _ok(*world, "--db", str(paths["at_once"]), "--through", str(last))
    return paths


def test_appended_days_equal_the_world_written_at_once(grown):
    grown_tables, at_once = contents(grown["grown"]), contents(grown["at_once"])
    assert grown_tables.keys() == at_once.keys()
    different = [name for name in at_once if grown_tables[name] != at_once[name]]
    assert different == []
    assert any(name.startswith("truth.") for name in at_once)
    assert at_once["meta.generation"][0] == 1


def test_the_appends_added_the_rows_that_arrived_in_those_days(grown):
    first, at_once = contents(grown["first"]), contents(grown["at_once"])
    for table in ("raw.events", "raw.users", "raw.llm_responses", "raw.invoices"):
        assert at_once[table][0] > first[table][0], table
    con = duckdb.connect(str(grown["grown"]), read_only=True)
    try:
        late = con.execute(
            "select max(received_at), count(*) filter (where event_at < ? and received_at >= ?)"
            " from raw.events",
            [THROUGH, THROUGH + dt.timedelta(days=1)],
        ).fetchall()[0]
        through = con.execute("select through_date from meta.generation").fetchall()[0][0]
    finally:
        con.close()
    assert late[0] < dt.datetime.combine(THROUGH + dt.timedelta(days=32), dt.time())
    assert late[1] > 0  # events from before the first day reached arrived in an append
    assert through == THROUGH + dt.timedelta(days=31)


def _one_line_refusal(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_appends_that_cannot_be_done_are_refused_and_change_nothing(tmp_path):
    whole, part = tmp_path / "whole.duckdb", tmp_path / "part.duckdb"
    _ok("--users", "300", "--db", str(whole))
    _ok("--users", "300", "--db", str(part), "--through", "2025-12-20")
    before = {db: contents(db) for db in (whole, part)}
    _one_line_refusal(run_generator("--db", str(whole), "--append-days", "1"), "whole world")
    _one_line_refusal(
        run_generator("--db", str(part), "--append-days", "20"), "2025-12-31", "at most 11"
    )
    _one_line_refusal(
        run_generator("--db", str(part), "--append-days", "1", "--seed", "3"), "drop --seed"
    )
    _one_line_refusal(run_generator("--db", str(part), "--append-days", "0"), "at least 1")
    _one_line_refusal(
        run_generator("--db", str(tmp_path / "none.duckdb"), "--append-days", "1"),
        "no such warehouse",
    )
    _one_line_refusal(
        run_generator("--users", "300", "--db", str(part), "--through", "2031-01-01"),
        "outside the world",
    )
    assert {db: contents(db) for db in (whole, part)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part.duckdb", "whole.duckdb"]


def test_an_append_killed_half_way_leaves_the_warehouse_as_it_was(tmp_path):
    """Killed while it simulates or while it inserts, an append leaves the rows that were
    there (its transaction rolls back); killed after its commit, all of its rows are in.
    Either way the next append carries on."""
    db, reference = tmp_path / "warehouse.duckdb", tmp_path / "reference.duckdb"
    world = ("--users", "20000", "--seed", "2", "--workers", "2")
    _ok(*world, "--db", str(db), "--through", "2024-03-31")
    _ok(*world, "--db", str(reference), "--through", "2024-06-30")
    before, after = contents(db), contents(reference)
    outcomes = []
    for moment in (1.0, 3.0):
        run = subprocess.Popen(
            [sys.executable, "-m", "generator", "generate", "--quiet", "--db", str(db)]
            + ["--append-days", "91", "--workers", "2"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(moment)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
        now = contents(db)
        assert now in (before, after)
        outcomes.append("kept" if now == before else "appended")
        if now == after:
            break
    print(f"kills: {outcomes}")
    assert outcomes[0] == "kept", "the first kill came after the append was done"
    if outcomes[-1] == "kept":
        _ok("--db", str(db), "--append-days", "91")
    assert contents(db) == after
