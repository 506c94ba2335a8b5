"""One seed gives the same tables, whatever the number of worker processes."""

from __future__ import annotations

from conftest import run_generator, table_checksums

USERS = "12000"  # three shards, so worker scheduling could reorder them if it mattered


def _generate(tmp_path, name: str, *args: str):
    db = tmp_path / f"{name}.duckdb"
    result = run_generator("--users", USERS, "--db", str(db), *args)
    assert result.returncode == 0, result.stderr
    return table_checksums(db)


def test_same_seed_same_tables(tmp_path):
    first = _generate(tmp_path, "a", "--seed", "7")
    second = _generate(tmp_path, "b", "--seed", "7")
    assert first == second
    assert first["raw.events"][0] > 100_000


def test_workers_do_not_change_the_tables(tmp_path):
    one = _generate(tmp_path, "one", "--seed", "7", "--workers", "1")
    two = _generate(tmp_path, "two", "--seed", "7", "--workers", "2")
    assert one == two


def test_another_seed_gives_other_tables(tmp_path):
    a = _generate(tmp_path, "a", "--seed", "7")
    b = _generate(tmp_path, "b", "--seed", "8")
    assert a["raw.events"] != b["raw.events"]
    assert a["raw.users"] != b["raw.users"]
