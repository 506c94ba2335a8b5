"""The only code that touches storage: a DuckDB warehouse written to a new file and swapped
in on success, and the optional Parquet export."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.ipc  # noqa: F401  (pa.ipc)

from generator.schema import RAW_TABLES, TRUTH_TABLES, create_sql

MEMORY_LIMIT = "512MB"


def spool(table: pa.Table, path: Path) -> Path:
    """Hand a table from a worker process to the writer through an uncompressed Arrow file:
    the writer maps it without copying, which beats pickling it through a pipe."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
        out.write_table(table)
    return path


def unspool(path: Path) -> pa.Table:
    """The spooled table, memory-mapped; the file is unlinked (the mapping stays valid)."""
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    path.unlink()
    return table


class WarehouseWriter:
    """Writes into `<db>.tmp`; `commit()` swaps it in, `abort()` removes it. The previous
    warehouse at `db` is never opened, so a failed run cannot change it."""

    def __init__(self, db_path: str | Path):
        self.path = Path(db_path)
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self._remove_tmp()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Bounded, so memory does not grow with the scale: DuckDB spills to disk instead.
        self.con = duckdb.connect(str(self.tmp), config={"memory_limit": MEMORY_LIMIT})
        for schema, tables in (("raw", RAW_TABLES), ("truth", TRUTH_TABLES)):
            self.con.execute(f"create schema {schema}")
            for table, columns in tables.items():
                self.con.execute(create_sql(schema, table, columns))

    def _remove_tmp(self) -> None:
        for p in (self.tmp, self.tmp.with_name(self.tmp.name + ".wal")):
            p.unlink(missing_ok=True)

    def append(self, schema: str, table: str, data: pa.Table) -> None:
        """Insert an Arrow table, casting each column to the declared type."""
        declared = (RAW_TABLES if schema == "raw" else TRUTH_TABLES)[table]
        select = ", ".join(f"cast({c} as {t}) as {c}" for c, t in declared.items())
        self.con.register("_batch", data)
        try:
            self.con.execute(f"insert into {schema}.{table} select {select} from _batch")
        finally:
            self.con.unregister("_batch")

    def export_parquet(self, directory: str | Path) -> None:
        """Users as one file, events partitioned by event date; swapped in like the db."""
        target = Path(directory)
        staging = target.with_name(target.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        self.con.execute(f"copy raw.users to '{staging / 'users.parquet'}' (format parquet)")
        self.con.execute(
            f"copy (select *, cast(event_at as date) as event_date from raw.events) "
            f"to '{staging / 'events'}' (format parquet, partition_by (event_date))"
        )
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)

    def commit(self) -> None:
        self.con.execute("checkpoint")
        self.con.close()
        os.replace(self.tmp, self.path)
        Path(str(self.path) + ".wal").unlink(missing_ok=True)

    def abort(self) -> None:
        try:
            self.con.close()
        finally:
            self._remove_tmp()
