"""A failed or interrupted run leaves the previous warehouse untouched."""

from __future__ import annotations

import hashlib

import pytest

from conftest import DEFAULT_SCENARIO, run_generator, table_checksums
from generator import simulate
from generator.scenario import load_scenario
from generator.writer import WarehouseWriter


def test_failure_mid_run_keeps_previous_warehouse(tmp_path, monkeypatch):
    db = tmp_path / "warehouse.duckdb"
    scenario = load_scenario(DEFAULT_SCENARIO, users=6000)
    simulate.generate(scenario, seed=1, db_path=db, progress=False)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    checksums = table_checksums(db)

    calls = {"n": 0}
    real_append = WarehouseWriter.append

    def failing_append(self, schema, table, data):
        calls["n"] += 1
        if calls["n"] == 4:  # the second shard's first table
            raise KeyboardInterrupt
        real_append(self, schema, table, data)

    monkeypatch.setattr(WarehouseWriter, "append", failing_append)
    with pytest.raises(KeyboardInterrupt):
        simulate.generate(scenario, seed=2, db_path=db, progress=False)

    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert table_checksums(db) == checksums
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


def test_success_replaces_the_warehouse(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    simulate.generate(
        load_scenario(DEFAULT_SCENARIO, users=300), seed=1, db_path=db, progress=False
    )
    scenario = load_scenario(DEFAULT_SCENARIO, users=500)
    summary = simulate.generate(scenario, seed=1, db_path=db, progress=False)
    assert summary.rows["truth.users"] == 500  # raw.users adds staff and scripted accounts
    assert table_checksums(db)["truth.users"][0] == 500
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


def test_an_unwritable_output_is_one_line_and_keeps_the_warehouse(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    simulate.generate(
        load_scenario(DEFAULT_SCENARIO, users=300), seed=1, db_path=db, progress=False
    )
    before = db.read_bytes()
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the parquet folder's parent should be")
    result = run_generator("--users", "300", "--db", str(db), "--parquet", str(blocker / "pq"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-directory", "warehouse.duckdb"]
