"""A run touches only what it made: one writer at a time, targets that are ours to replace,
and no scratch left after a failed, interrupted or killed run (at the latest, the next run
removes it). KILLS sets how many random kills run (3 by default; `make hostile` runs 20)."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import DEFAULT_SCENARIO, ROOT, run_generator, table_checksums
from generator import outputs, simulate
from generator.scenario import load_scenario
from generator.writer import WarehouseWriter

KILLS = int(os.environ.get("KILLS", "3"))
LONG_RUN_USERS = "20000"  # a few seconds: long enough to be caught while running


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _world(db: Path, users: int = 300, seed: int = 1) -> str:
    simulate.generate(load_scenario(DEFAULT_SCENARIO, users=users), seed, db, progress=False)
    return _digest(db)


def _start(db: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "generate", "--quiet", "--db", str(db), *extra],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        # a background job inherits SIGINT ignored, and a run keeps it so: give it back
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def _running_on(db: Path) -> list[int]:
    """Processes (a run or its workers) whose command line names `db`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(db).encode() in cmdline:
                pids.append(int(entry.name))
    return pids


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


# -- one writer at a time ------------------------------------------------------------------------
def test_a_second_writer_is_refused_at_once_and_the_first_world_stays(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    first = _start(db, "--users", LONG_RUN_USERS, "--seed", "5")
    _wait_for(db.with_name("warehouse.duckdb.lock"), first)
    started = time.monotonic()
    second = run_generator("--users", "300", "--seed", "6", "--db", str(db))
    assert time.monotonic() - started < 20
    assert second.returncode == 2
    line = _one_line(second.stderr)
    assert f"pid {first.pid}" in line and "another run" in line
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    assert table_checksums(db)["truth.users"][0] == int(LONG_RUN_USERS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


def test_a_warehouse_another_duckdb_process_writes_is_not_swapped(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    digest = _world(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(db)!r}); time.sleep(60)"]
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # until the holder has the file
            result = run_generator("--users", "300", "--db", str(db))
            if result.returncode == 2 or time.monotonic() > deadline:
                break
        assert result.returncode == 2
        assert f"in use by pid {holder.pid}" in _one_line(result.stderr)
    finally:
        holder.kill()
        holder.wait()
    assert _digest(db) == digest


def test_a_warehouse_changed_during_the_run_is_left_as_the_other_program_made_it(
    tmp_path, monkeypatch
):
    db = tmp_path / "warehouse.duckdb"
    _world(db)
    real_append = WarehouseWriter.append
    calls = {"n": 0}

    def append_while_someone_writes(self, schema, table, data):
        calls["n"] += 1
        if calls["n"] == 2:  # another program writes the warehouse meanwhile
            con = duckdb.connect(str(db))
            con.execute("create table main.notes as select 1 as x")
            con.close()
        real_append(self, schema, table, data)

    monkeypatch.setattr(WarehouseWriter, "append", append_while_someone_writes)
    scenario = load_scenario(DEFAULT_SCENARIO, users=300)
    with pytest.raises(outputs.Conflict, match="changed by another program"):
        simulate.generate(scenario, seed=2, db_path=db, progress=False)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select x from main.notes").fetchall() == [(1,)]
    con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


# -- only what the project made is replaced ------------------------------------------------------
def test_db_refuses_what_is_not_a_warehouse_of_ours(tmp_path):
    scenario = tmp_path / "s.yml"
    scenario.write_bytes(DEFAULT_SCENARIO.read_bytes())
    text = tmp_path / "notes.txt"
    text.write_text("my notes")
    theirs = tmp_path / "theirs.duckdb"
    con = duckdb.connect(str(theirs))
    con.execute("create table sales as select 42 as amount")
    con.close()
    link = tmp_path / "link.duckdb"
    link.symlink_to(theirs)
    folder = tmp_path / "folder"
    folder.mkdir()
    cases = {
        text: "not a DuckDB database",
        scenario: "is the scenario file",
        theirs: "not a Proving Ground warehouse",
        link: "symbolic link",
        folder: "a folder",
        Path("/dev/null"): "not a regular file",
        text / "w.duckdb": "a file stands where a folder",
    }
    before = {p: _digest(p) for p in (scenario, text, theirs)}
    for target, reason in cases.items():
        result = run_generator("--scenario", str(scenario), "--users", "300", "--db", str(target))
        assert result.returncode == 2, (target, result.stderr)
        assert reason in _one_line(result.stderr), result.stderr
    assert {p: _digest(p) for p in before} == before
    assert link.is_symlink() and folder.is_dir() and not any(folder.iterdir())


def test_an_empty_duckdb_file_is_ours_to_fill(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(db)).close()  # what a dbt command on a missing path leaves
    assert run_generator("--users", "300", "--db", str(db)).returncode == 0
    assert table_checksums(db)["truth.users"][0] == 300


def test_parquet_replaces_only_an_export_of_ours(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    export = tmp_path / "export"
    assert (
        run_generator("--users", "300", "--db", str(db), "--parquet", str(export)).returncode == 0
    )
    assert (export / outputs.EXPORT_MANIFEST).exists() and (export / "users.parquet").exists()
    # a previous export is replaced
    result = run_generator("--users", "400", "--db", str(db), "--parquet", str(export))
    assert result.returncode == 0, result.stderr
    users = duckdb.execute("select count(*) from read_parquet(?)", [str(export / "users.parquet")])
    written = duckdb.connect(str(db), read_only=True)
    # raw.users: the 400 simulated users and the staff and scripted accounts beside them
    assert written.execute("select count(*) from truth.users").fetchone() == (400,)
    assert users.fetchone() == written.execute("select count(*) from raw.users").fetchone()
    written.close()
    # ... but not once it holds a file of someone else's
    (export / "events" / "my_notes.txt").write_text("mine")
    db_digest = _digest(db)
    result = run_generator("--users", "300", "--db", str(db), "--parquet", str(export))
    assert result.returncode == 2 and "events/my_notes.txt" in _one_line(result.stderr)
    assert (export / "events" / "my_notes.txt").read_text() == "mine"
    assert _digest(db) == db_digest


def test_parquet_onto_a_folder_of_foreign_files_deletes_nothing(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    photos = tmp_path / "photos"
    (photos / "2024").mkdir(parents=True)
    (photos / "2024" / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    (photos / "readme.txt").write_text("keep me")
    listing = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    for target in (photos, tmp_path, tmp_path / ".."):
        result = run_generator("--users", "300", "--db", str(db), "--parquet", str(target))
        assert result.returncode == 2, result.stderr
        _one_line(result.stderr)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == listing
    assert (photos / "2024" / "cat.jpg").read_bytes() == b"\xff\xd8 a cat"


# -- interrupted and killed runs -----------------------------------------------------------------
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_cleans_up_and_says_so_in_one_line(tmp_path, signum, code):
    db = tmp_path / "warehouse.duckdb"
    digest = _world(db)
    run = _start(db, "--users", LONG_RUN_USERS, "--workers", "2")
    _wait_for(db.with_name(f"{db.name}.lock"), run)
    time.sleep(1.0)  # into the simulation, workers busy
    run.send_signal(signum)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == code, stderr
    assert "interrupted" in _one_line(stderr) and "left as it was" in stderr
    assert _digest(db) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]
    assert _running_on(db) == []


def test_kills_at_random_moments_leave_the_warehouse_and_the_next_run_cleans_up(tmp_path):
    """After each SIGKILL the warehouse is byte-identical to the one before, or (when the
    kill came after the swap) the whole new world, never anything in between."""
    db = tmp_path / "warehouse.duckdb"
    digest = _world(db)
    new_world = tmp_path / "reference" / "warehouse.duckdb"
    args = ("--users", LONG_RUN_USERS, "--workers", "2", "--seed", "9")
    assert _start(new_world, *args).wait(timeout=300) == 0
    expected = table_checksums(new_world)
    shutil.rmtree(new_world.parent)
    moments = random.Random(20261202)
    kept = 0
    for _ in range(KILLS):
        run = _start(db, *args)
        time.sleep(moments.uniform(0.0, 5.0))
        run.kill()
        run.wait(timeout=60)
        deadline = time.monotonic() + 10
        while _running_on(db) and time.monotonic() < deadline:  # workers follow their parent
            time.sleep(0.05)
        assert _running_on(db) == []
        if _digest(db) == digest:
            kept += 1
        else:  # the run had swapped its world in before the kill
            assert table_checksums(db) == expected
            digest = _digest(db)
    print(f"{kept} of {KILLS} kills left the previous warehouse, the others came after the swap")
    assert kept, "no kill landed while a run was going"
    result = run_generator("--users", "300", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


def test_leftovers_of_a_killed_run_are_removed_and_nothing_else(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _world(db)
    stale = [
        tmp_path / "warehouse.duckdb.tmp-4242-0a1b2c3d",
        tmp_path / "warehouse.duckdb.tmp-4242-0a1b2c3d.wal",
        tmp_path / "warehouse.duckdb.tmp",  # an older version's scratch name
    ]
    for path in stale:
        path.write_bytes(b"half a world")
    (tmp_path / "warehouse.duckdb.spool-4242-0a1b2c3d").mkdir()
    (tmp_path / "warehouse.duckdb.spool-4242-0a1b2c3d" / "events-3.arrow").write_bytes(b"x")
    (tmp_path / "warehouse.duckdb.lock").write_text("4242\n")  # its owner is gone
    kept = [tmp_path / "warehouse.duckdb.tmp-notes", tmp_path / "warehouse.duckdb.bak"]
    for path in kept:
        path.write_text("the user's")
    result = run_generator("--users", "300", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["warehouse.duckdb", *(p.name for p in kept)]
    )
