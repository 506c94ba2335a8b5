"""Arrow columns as the raw and truth tables hold them: timestamps from milliseconds
since the start, optional timestamps, and codes read as names."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa

from generator.calendar import MS_PER_DAY, Calendar


def timestamps(cal: Calendar, ms_since_start: np.ndarray) -> pa.Array:
    return pa.array(ms_since_start + cal.epoch_seconds * 1000, type=pa.timestamp("ms"))


def optional_timestamps(cal: Calendar, days: np.ndarray) -> pa.Array:
    inside = np.isfinite(days) & (days < cal.days)
    ms = np.where(inside, np.round(days * MS_PER_DAY), 0).astype(np.int64)
    return pa.array(ms + cal.epoch_seconds * 1000, type=pa.timestamp("ms"), mask=~inside)


def dictionary(codes: np.ndarray, names: Sequence[str | None]) -> pa.Array:
    """Codes into strings; a None name reads as null."""
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int16, copy=False)), pa.array(list(names), type=pa.string())
    )


def dates(cal: Calendar, offsets: np.ndarray) -> pa.Array:
    """Days since the start as dates."""
    return pa.array(np.datetime64(cal.start) + offsets.astype("timedelta64[D]"))


# adds one row to truth.parameters: (parameter, dimension, value, unit, description)
Add = Callable[[str, str, float, str, str], None]
