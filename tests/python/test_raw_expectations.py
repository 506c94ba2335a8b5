"""The Great Expectations suite over the raw tables: met on a simulated world, and not
met, with the failing column named, when a raw table is tampered with."""

from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
import pytest

from conftest import ROOT, run_generator


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    db = tmp_path_factory.mktemp("expect") / "w.duckdb"
    result = run_generator("--users", "3000", "--seed", "5", "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db


def _expect(db) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator", "expect", "--users", "3000", "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_a_simulated_world_meets_every_expectation(world):
    result = _expect(world)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "FAIL" not in result.stdout
    assert "expectations met" in result.stdout


@pytest.mark.parametrize(
    ("tamper", "column"),
    [
        ("update raw.users set role = 'teacher' where user_id % 4 = 0", "is_teacher"),
        ("update raw.invoices set amount = 10.99 where amount = 9.99", "amount"),
        ("update raw.invoices set status = 'failed' where invoice_id % 10 = 0", "is_failed"),
        # a planted fault the rows no longer show: the retries' second receipts gone
        (
            "delete from raw.events where rowid in (select rowid from (select rowid, "
            "row_number() over (partition by event_id order by received_at) as n "
            "from raw.events) where n > 1)",
            "receipt",
        ),
        # a fault no one planted: clocks off on events truth holds as clean
        (
            "update raw.events set sent_at = sent_at + interval 5 second where event_id % 1000 = 7",
            "clock_offset_s",
        ),
    ],
)
def test_a_tampered_raw_table_fails_with_the_column_named(world, tmp_path, tamper, column):
    db = tmp_path / "tampered.duckdb"
    shutil.copy(world, db)
    con = duckdb.connect(str(db))
    con.execute(tamper)
    con.close()
    result = _expect(db)
    assert result.returncode == 1, result.stdout[-3000:]
    failing = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert any(f" {column} " in line for line in failing), result.stdout[-3000:]
