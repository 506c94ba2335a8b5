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
    """One expectation on one derived frame (a query on the raw tables)."""

    frame: str
    expectation: Any


def share_range(p: float, n: int) -> tuple[float, float]:
    half = Z * math.sqrt(max(p * (1 - p), 1e-12) / max(n, 1))
    return max(p - half, 0.0), min(p + half, 1.0)
