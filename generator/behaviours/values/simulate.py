"""Values on events: each valued event's number is its median x the user's segment
multiplier x the account-age multiplier x the day's calendar multiplier (trend, month,
anomalies) x log-normal noise, rounded to the decimals the world keeps."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from generator.behaviours.activity.simulate import UNIT_DAYS
from generator.behaviours.values.section import EventValue
from generator.calendar import DAYS_PER_YEAR, MS_PER_DAY, Calendar
from generator.section import MONTHS
from generator.state import Shard


def calendar_multiplier(value: EventValue, cal: Calendar) -> np.ndarray:
    """Per day of the timeframe: exp(trend x years) x the month's multiplier x the
    multipliers of the anomalies covering the day."""
    month = np.array([value.month_seasonality.get(m, 1.0) for m in MONTHS])
    trend = np.exp(value.trend_per_year * np.arange(cal.days) / DAYS_PER_YEAR)
    return trend * month[cal.month] * anomaly_multiplier(value, cal)


def anomaly_multiplier(value: EventValue, cal: Calendar) -> np.ndarray:
    """Per day: the product of the multipliers of the anomaly ranges covering it."""
    factor = np.ones(cal.days)
    for anomaly in value.anomalies:
        first = (anomaly.start - cal.start).days
        factor[first : (anomaly.last - cal.start).days + 1] *= anomaly.multiplier
    return factor


def age_multiplier(value: EventValue, age_days: np.ndarray) -> np.ndarray:
    if value.account_age is None:
        return np.ones(len(age_days))
    curve = np.asarray(value.account_age.curve)
    return curve[np.minimum(age_days // UNIT_DAYS[value.account_age.unit], len(curve) - 1)]


def segment_multiplier(value: EventValue, segments: list[str]) -> np.ndarray:
    return np.array([value.segments.get(s, 1.0) for s in segments])


def draw_values(
    s: Shard, user: np.ndarray, code: np.ndarray, event_ms: np.ndarray, names: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Each event's value (NaN where its event carries none) and its unit's code (-1 where
    none) in the order of `units(...)`."""
    scenario, rng = s.scenario, s.rng["values"]
    value = np.full(len(code), np.nan)
    unit = np.full(len(code), -1, dtype=np.int16)
    segments = scenario.segment_names()
    unit_names = units(s.scenario)
    for name, spec in scenario.values.items():
        rows = np.flatnonzero(code == names.index(name))
        day = event_ms[rows] // MS_PER_DAY
        age = day - s.signed_up_ms[user[rows]] // MS_PER_DAY
        scale = (
            spec.median
            * segment_multiplier(spec, segments)[s.segment[user[rows]]]
            * age_multiplier(spec, age)
            * calendar_multiplier(spec, s.cal)[day]
        )
        drawn = scale * np.exp(spec.sigma * rng.standard_normal(len(rows)))
        smallest = 10.0**-spec.decimals
        value[rows] = np.maximum(np.round(drawn, spec.decimals), smallest)
        unit[rows] = unit_names.index(spec.value_unit)
    return value, unit


def units(scenario) -> list[str]:
    return list(dict.fromkeys(v.value_unit for v in scenario.values.values()))


def log(s: Shard) -> None:
    """The value columns of raw.events: event_value and value_unit (null where none)."""
    names = s.scenario.logged_events()
    value, unit = draw_values(s, s.logged_user, s.logged_code, s.logged_ms, names)
    missing = unit < 0
    events = s.raw["events"]
    events = events.append_column("event_value", pa.array(value, mask=missing))
    s.raw["events"] = events.append_column(
        "value_unit",
        pa.DictionaryArray.from_arrays(
            pa.array(unit, mask=missing), pa.array(units(s.scenario), type=pa.string())
        ),
    )
