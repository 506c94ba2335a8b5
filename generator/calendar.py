"""The scenario's timeframe as day-indexed numpy arrays, and the seasonal factors on it."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

from generator.section import MONTHS, WEEKDAYS, Seasonal

if TYPE_CHECKING:
    from generator.scenario import Scenario

SECONDS_PER_DAY = 86_400
MS_PER_DAY = SECONDS_PER_DAY * 1000
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Calendar:
    start: dt.date
    days: int
    weekday: np.ndarray  # 0 = Monday
    month: np.ndarray  # 0 = January
    epoch_seconds: int  # start date at 00:00 UTC, seconds since 1970

    @classmethod
    def of(cls, scenario: Scenario) -> Calendar:
        dates = np.arange(
            np.datetime64(scenario.start), np.datetime64(scenario.end) + 1, dtype="datetime64[D]"
        )
        weekday = ((dates.astype(np.int64) + 3) % 7).astype(np.int8)  # 1970-01-01 was Thursday
        month = (dates.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int8)
        return cls(
            start=scenario.start,
            days=len(dates),
            weekday=weekday,
            month=month,
            epoch_seconds=int(dates[0].astype("datetime64[s]").astype(np.int64)),
        )

    @property
    def month_index(self) -> np.ndarray:
        """Each day's calendar month, counted from the start's month (0, 1, ...)."""
        dates = np.datetime64(self.start) + np.arange(self.days)
        months = dates.astype("datetime64[M]").astype(np.int64)
        return (months - months[0]).astype(np.int32)

    @property
    def years(self) -> np.ndarray:
        """Each day's position in years since the start."""
        return np.arange(self.days) / DAYS_PER_YEAR

    def seasonal(self, weights: Seasonal) -> tuple[np.ndarray, np.ndarray]:
        """Per-day weekday factor and month factor, as the scenario states them."""
        wd = np.array([weights.weekday_weights[d] for d in WEEKDAYS])
        mo = np.array([weights.month_seasonality[m] for m in MONTHS])
        return wd[self.weekday], mo[self.month]

    def anomaly(self, scenario: Scenario, field: str) -> np.ndarray:
        """Per-day multiplier from the named anomaly days and ranges (1 elsewhere)."""
        factor = np.ones(self.days)
        for a in scenario.arrivals.anomalies:
            factor[(a.date - self.start).days : (a.last - self.start).days + 1] *= getattr(a, field)
        return factor

    def zone_offsets(self, zones: tuple[str, ...]) -> np.ndarray:
        """(zone, day) offset of local time from UTC in seconds at each day's noon UTC,
        daylight saving time included."""
        return _zone_offsets(self.start, self.days, zones)


@functools.lru_cache(maxsize=8)
def _zone_offsets(start: dt.date, days: int, zones: tuple[str, ...]) -> np.ndarray:
    noon = dt.datetime.combine(start, dt.time(12), dt.UTC)
    out = np.zeros((len(zones), days), dtype=np.int64)
    for z, name in enumerate(zones):
        zone = ZoneInfo(name)
        for d in range(days):
            offset = (noon + dt.timedelta(days=d)).astimezone(zone).utcoffset()
            out[z, d] = int(offset.total_seconds()) if offset is not None else 0
    out.flags.writeable = False
    return out
