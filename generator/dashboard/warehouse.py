"""The dashboard's view of a warehouse: every query opens the file read-only, runs and
closes it again, so dbt and the generator are blocked for no longer than one query. A
missing, locked or unbuilt warehouse is one line (WarehouseError), never a stack trace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from generator.outputs import OutputError, open_read_only

# an attribute with more values than this is no breakdown (an id, an e-mail, a time zone)
MAX_BREAKDOWN_VALUES = 24
# dim_users columns that are never breakdowns: ids, times and per-user counts
NOT_BREAKDOWNS = {"user_id", "email", "signed_up_at", "first_active_at", "last_active_at"}


class WarehouseError(Exception):
    """The warehouse cannot answer: missing, not DuckDB, written by another process,
    not built, or a query failed. The message is one line for the page and the terminal."""


@dataclass(frozen=True)
class Warehouse:
    path: Path

    def stamp(self) -> tuple[int, int]:
        """Changes whenever the file does, so cached answers are dropped after a rebuild."""
        try:
            st = self.path.stat()
        except OSError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_size)

    def query(self, sql: str) -> pd.DataFrame:
        try:
            con = open_read_only(self.path)
        except OutputError as exc:
            raise WarehouseError(str(exc)) from None
        try:
            con.execute("set enable_progress_bar = false")
            return con.execute(sql).df()
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            raise WarehouseError(f"{self.path}: {first}") from None
        finally:
            con.close()

    def tables(self) -> set[str]:
        """`schema.table` of every table and view."""
        frame = self.query(
            "select table_schema || '.' || table_name as name from information_schema.tables"
        )
        return set(frame.name)

    def check(self) -> None:
        """Raises WarehouseError unless the marts are built."""
        if "marts.fct_kpi_daily" not in self.tables():
            raise WarehouseError(f"{self.path}: no marts yet (run dbt build, or make build)")


def breakdowns(wh: Warehouse) -> list[str]:
    """The user attributes a page may break down by: dim_users' text, boolean and band
    columns with a few values each (whatever the world calls them), then the cohort."""
    columns = wh.query(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'dim_users' order by ordinal_position"
    )
    candidates = [
        c.column_name
        for c in columns.itertuples()
        if c.column_name not in NOT_BREAKDOWNS
        and (c.data_type in ("VARCHAR", "BOOLEAN") or c.column_name.endswith("_band"))
    ]
    if not candidates:
        return ["cohort_month"]
    counts = wh.query(
        "select "
        + ", ".join(f'count(distinct "{c}") as "{c}"' for c in candidates)
        + " from marts.dim_users"
    ).iloc[0]
    kept = [c for c in candidates if 1 < counts[c] <= MAX_BREAKDOWN_VALUES]
    return [*kept, "cohort_month"]
