"""The world as a lake of Parquet files, written by local worker processes or by Spark
tasks, holds the same rows as the DuckDB warehouse of the same scenario and seed, every
raw and truth table; a folder that is not ours is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import run_generator, table_contents

USERS = "6000"  # two shards and the accounts: three writers of each shard table


def lake_contents(lake: Path, names: list[str]) -> dict[str, tuple[int, int]]:
    """Rows and an order-free hash sum of each table's Parquet files, read by DuckDB."""
    con = duckdb.connect()
    try:
        query = "select count(*), sum(hash(t)::hugeint) from read_parquet(?) as t"
        return {
            name: con.execute(query, [str(lake / name.replace(".", "/") / "*.parquet")]).fetchall()[
                0
            ]
            for name in names
        }
    finally:
        con.close()


def _ok(*args: str) -> str:
    result = run_generator(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> dict[str, tuple[int, int]]:
    db = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    _ok("--users", USERS, "--seed", "4", "--db", str(db), "--workers", "2")
    contents = table_contents(db)
    return {name: value for name, value in contents.items() if not name.startswith("meta.")}


@pytest.mark.parametrize("engine", [(), ("--spark",)], ids=["workers", "spark"])
def test_a_lake_holds_the_warehouses_rows(warehouse, tmp_path, engine):
    lake = tmp_path / "lake"
    _ok("--users", USERS, "--seed", "4", "--lake", str(lake), "--workers", "2", *engine)
    assert sorted(p.name for p in lake.iterdir()) == [
        "proving_ground_export.json",
        "raw",
        "truth",
    ]
    assert lake_contents(lake, list(warehouse)) == warehouse
    assert warehouse["raw.events"][0] > 100_000


def test_a_lake_replaces_only_a_lake_of_ours(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    result = run_generator("--users", "300", "--lake", str(photos))
    assert result.returncode == 2 and "not an export of Proving Ground" in result.stderr
    assert (photos / "cat.jpg").read_bytes() == b"\xff\xd8 a cat"
    lake = tmp_path / "lake"
    _ok("--users", "300", "--lake", str(lake))
    _ok("--users", "300", "--lake", str(lake), "--seed", "5")  # its own: replaced
    shutil.rmtree(lake)
    for flags, word in (
        (("--lake", str(lake), "--through", "2024-01-31"), "--through"),
        (("--spark",), "--lake"),
    ):
        result = run_generator("--users", "300", *flags)
        assert result.returncode == 2 and word in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]
