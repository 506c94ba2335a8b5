"""Logs no one here wrote, to fit: the CDNOW purchase log (69,659 purchases of CDs by
23,570 customers who first bought in the first quarter of 1997, followed to June 1998)
that ships inside the `lifetimes` package, written as an event log the fit reads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

from generator.fit.log import LogError

CDNOW_FILE = Path("datasets") / "CDNOW_master.txt"


def cdnow_source() -> Path:
    """The CDNOW file inside the installed `lifetimes` package."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or spec.origin is None:
        raise LogError("the CDNOW log ships in the lifetimes package: pip install lifetimes")
    path = Path(spec.origin).parent / CDNOW_FILE
    if not path.exists():
        raise LogError(f"{path}: the lifetimes package has no CDNOW log")
    return path


def write_cdnow(out: str, customers: int | None = None) -> int:
    """The log as Parquet: customer, day of purchase, `purchase`, dollars; its row count.
    `customers` keeps only the first that many customers (by id), for a small fit."""
    source = str(cdnow_source()).replace("'", "''")
    target = out.replace("'", "''")
    con = duckdb.connect()
    try:
        # the file is fixed-width: customer id, yyyymmdd, CDs bought, dollar value
        con.execute(
            f"""copy (
                select cast(parts[1] as bigint) as customer_id,
                    strptime(parts[2], '%Y%m%d')::date as date,
                    'purchase' as event_name,
                    cast(parts[4] as double) as dollar_value
                from (
                    select string_split(trim(regexp_replace(line, '\\s+', ' ', 'g')), ' ')
                        as parts
                    from read_csv('{source}', columns = {{'line': 'varchar'}}, header = true,
                        delim = '\\t')
                )
                qualify dense_rank() over (order by customer_id) <= {customers or 2**62}
                order by customer_id, date
            ) to '{target}' (format parquet)"""
        )
        return int(con.execute(f"select count(*) from '{target}'").fetchall()[0][0])
    finally:
        con.close()
