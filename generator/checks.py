"""What an expectation on the raw tables is: one Great Expectations expectation on one
frame (a query on the raw tables), and the bound a planted share or median gets from the
sample size. Each behaviour states its own expectations (behaviours/<name>/expect.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Z = 4.0  # standard errors either side of a planted share or median


@dataclass(frozen=True)
class Check:
    """One expectation on one derived frame (a query on the raw tables). With `flags`, the
    rows it must find unexpected: the faults truth labels there, no more and no fewer."""

    frame: str
    expectation: Any
    flags: int | None = None


def planted(frames: dict[str, Any], fault: str, table: str, column: str | None = None) -> int:
    """The rows truth.faults labels with `fault` in a raw table (and column)."""
    labels = frames["planted_faults"]
    mine = (labels["fault"] == fault) & (labels["table_name"] == table)
    if column is not None:
        mine &= labels["column_name"] == column
    return int(labels.loc[mine, "labelled"].sum())


def share_range(p: float, n: int) -> tuple[float, float]:
    half = Z * math.sqrt(max(p * (1 - p), 1e-12) / max(n, 1))
    return max(p - half, 0.0), min(p + half, 1.0)
