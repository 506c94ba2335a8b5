"""A scenario fitted from an event log: each part of the world estimated the way the
simulator plants it, then written as a scenario that validates and generates."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from generator.calendar import DAYS_PER_YEAR
from generator.fit.activity import ActivityData, ActivityFit, fit_activity
from generator.fit.calendar import (
    DailyModel,
    day_ranges,
    fit_daily,
    hour_weights,
    zero_runs,
)
from generator.fit.chain import Chain, read_chain
from generator.fit.log import Log, scenario_names
from generator.fit.segments import Mixture, choose_segments
from generator.section import MAX_SIGMA, MONTHS, SESSION_END, WEEKDAYS

EARLY_WINDOW_DAYS = 28  # the first weeks' sessions, a trait of a segment
ROUND = 4  # decimals of a probability or a weight in the scenario
MIN_PROBABILITY = 5e-5  # transitions rarer than this are left out of the chain
MAX_VALUE_SIGMA = 1.5
DAYS_PER_MONTH = 30


@dataclass
class Fitted:
    """The fitted scenario and the estimates behind it (with their standard errors)."""

    scenario: dict
    log: Log
    chain: Chain
    mixture: Mixture
    bic: list[tuple[int, float]]
    activity: ActivityFit
    activity_data: ActivityData
    signups: DailyModel
    sessions: DailyModel
    start: dt.date
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        a, m = self.activity, self.mixture
        out = [
            f"read {self.log.rows:,} events by {self.log.users:,} users "
            f"({self.start} .. {self.scenario['end']})",
            f"events: {len(self.log.events)}; sessions open with "
            f"'{self.scenario['events']['session_start']}', users sign up with "
            f"'{self.scenario['events']['signup']}'",
            "segments: "
            + ", ".join(f"k={k} BIC {b:,.0f}" for k, b in self.bic)
            + f" -> {m.k} (lowest BIC)",
            f"signups grow {self.signups.growth_per_year:+.3f} +/- "
            f"{self.signups.growth_se:.3f} a year (log)",
            f"sessions per day {self.scenario['activity']['sessions_per_day']:.4f}, "
            f"heterogeneity shape {a.shape:.2f}, churn "
            f"{self.scenario['churn']['monthly_probability']:.3f} a month",
        ]
        return out + [f"note: {n}" for n in self.notes]


def _round_row(row: dict[str, float]) -> dict[str, float]:
    """Probabilities rounded to ROUND decimals, the rarest left out, summing to exactly 1."""
    kept = {k: round(v, ROUND) for k, v in row.items() if v >= MIN_PROBABILITY}
    kept = {k: v for k, v in kept.items() if v > 0}
    top = max(kept, key=lambda k: kept[k])
    kept[top] = round(1.0 - sum(v for k, v in kept.items() if k != top), ROUND + 2)
    return kept


def _chain_rows(p: np.ndarray, names: list[str]) -> dict[str, dict[str, float]]:
    targets = [*names, SESSION_END]
    rows = {}
    for i, name in enumerate(names):
        row = {targets[j]: float(p[i, j]) for j in range(len(targets)) if p[i, j] > 0}
        rows[name] = _round_row(row) if row else {SESSION_END: 1.0}
    return rows


def _weights(values: np.ndarray, keys: tuple[str, ...]) -> dict[str, float]:
    return {k: round(float(v), 3) for k, v in zip(keys, values, strict=True)}


def fit_world(log: Log, name: str, seed: int = 42, currency: str | None = None) -> Fitted:
    chain = read_chain(log, EARLY_WINDOW_DAYS)
    mixture, bic = choose_segments(chain, seed)
    labels = mixture.labels
    notes = list(log.skipped)
    start, end, days = _timeframe(log)
    day_of = np.arange(days)
    dates = np.datetime64(start) + day_of
    weekday = ((dates.astype(np.int64) + 3) % 7).astype(np.int8)
    month = (dates.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int8)

    users = log.array(
        f"""select user_id, datediff('day', date '{start}', signed_up_at) as day,
            hour(signed_up_at) as hour from us order by user_id"""
    )
    signup_day = users["day"].astype(np.int64)
    sess = log.array(
        f"""with s as (select user_id, session, min(ts) as opened from ev group by all)
        select s.user_id, datediff('day', date '{start}', s.opened) as day,
            hour(s.opened) as hour
        from s order by s.user_id, s.opened"""
    )
    after = sess["day"] > signup_day[sess["user_id"]]
    s_user, s_day = sess["user_id"][after], sess["day"][after].astype(np.int64)

    # signups: a paused acquisition is an anomaly of no signups, then growth and weekdays
    signups = np.bincount(signup_day, minlength=days).astype(float)
    paused = np.zeros(days, dtype=bool)
    for a, b in zero_runs(signups):
        paused[a : b + 1] = True
    signup_model, signup_flags = fit_daily(signups, weekday, month, excluded=paused)
    # sessions over the users at risk (between signup and their last session)
    last_day = signup_day.copy()
    np.maximum.at(last_day, s_user, s_day)
    at_risk = np.zeros(days + 1)
    np.add.at(at_risk, signup_day + 1, 1)
    np.add.at(at_risk, last_day + 1, -1)
    at_risk = np.cumsum(at_risk)[:days]
    daily_sessions = np.bincount(s_day, minlength=days).astype(float)
    with np.errstate(divide="ignore"):
        offset = np.where(at_risk > 0, np.log(at_risk), -np.inf)
    session_model, session_flags = fit_daily(
        daily_sessions, weekday, month, offset=offset, excluded=paused, trend=False
    )
    anomalies, anomaly_factor = _anomalies(
        start, paused, signup_flags, signup_model, session_flags, session_model
    )
    calendar = session_model.weekday[weekday] * session_model.month[month] * anomaly_factor

    unit, unit_days, buckets = _age_unit(days)
    age_bucket = np.minimum((s_day - signup_day[s_user]) // unit_days, buckets - 1)
    data = ActivityData(
        signup_day=signup_day,
        last_day=last_day,
        sessions=np.bincount(s_user, minlength=log.users),
        segment=labels,
        calendar=calendar,
        unit=unit,
        unit_days=unit_days,
        buckets=buckets,
        session_user=s_user,
        session_bucket=age_bucket,
    )
    activity = fit_activity(data, mixture.k, seed)

    hours = np.r_[users["hour"], sess["hour"][after]].astype(np.int64)
    scenario = _scenario(
        log,
        name,
        chain,
        mixture,
        activity,
        signup_model,
        session_model,
        anomalies,
        start,
        end,
        hour_weights(hours),
        unit,
        currency,
    )
    if not session_model.months_fitted:
        notes.append(f"the log spans {days} days: month weights need two years, so all are 1")
    return Fitted(
        scenario,
        log,
        chain,
        mixture,
        bic,
        activity,
        data,
        signup_model,
        session_model,
        start,
        notes,
    )


def _timeframe(log: Log) -> tuple[dt.date, dt.date, int]:
    first, last = log.con.execute(
        "select min(cast(signed_up_at as date)), (select max(cast(ts as date)) from ev) from us"
    ).fetchall()[0]
    return first, last, (last - first).days + 1


def _age_unit(days: int) -> tuple[str, int, int]:
    """Months over a long log, weeks over a short one; up to ten steps of the curve."""
    if days >= 4 * DAYS_PER_MONTH:
        return "month", DAYS_PER_MONTH, int(min(10, days // DAYS_PER_MONTH - 1))
    return "week", 7, int(max(1, min(10, days // 7 - 1)))


def _anomalies(start, paused, signup_flags, signup_model, session_flags, session_model):
    """Anomaly days and ranges with both multipliers, and each day's activity factor."""
    days = len(paused)
    flagged = np.flatnonzero(paused | signup_flags | session_flags)
    factor = np.ones(days)
    out = []
    for i, (a, b) in enumerate(day_ranges(flagged)):
        span = slice(a, b + 1)
        sign = 0.0 if paused[a] else float(np.mean(signup_model.ratio[span]))
        if not signup_flags[span].any() and not paused[a]:
            sign = 1.0
        act = float(np.mean(session_model.ratio[span])) if session_flags[span].any() else 1.0
        act = min(max(act, 0.0), 100.0)
        sign = min(max(sign, 0.0), 100.0)
        factor[span] = act
        entry = {"name": f"anomaly_{i + 1}", "date": start + dt.timedelta(days=a)}
        if b > a:
            entry["end"] = start + dt.timedelta(days=b)
        entry["signups"] = round(sign, 3)
        entry["activity"] = round(act, 3)
        out.append(entry)
    return out, factor


def _scenario(
    log: Log,
    name: str,
    chain: Chain,
    mixture: Mixture,
    activity: ActivityFit,
    signups: DailyModel,
    sessions: DailyModel,
    anomalies: list[dict],
    start: dt.date,
    end: dt.date,
    hours: list[float],
    unit: str,
    currency: str | None,
) -> dict:
    names = log.events
    seg_names = [f"persona_{i + 1}" for i in range(mixture.k)]
    # a segment is the users the mixture places in it: shares, chains, activity and
    # values are all of that partition, so the world reproduces the log's mix
    labels = mixture.labels
    shares = np.bincount(labels, minlength=mixture.k) / len(labels)
    base_rate = float((shares * activity.rate).sum())
    base_hazard = float((shares * activity.hazard).sum())
    pooled, _ = chain.probabilities()
    segments = {}
    for g, seg in enumerate(seg_names):
        segments[seg] = {
            "share": 0.0,
            "role": "user",
            "activity": round(float(activity.rate[g] / base_rate), ROUND),
            "session_depth": 1.0,
            "churn": round(float(activity.hazard[g] / base_hazard), ROUND),
            "reengagement": 0.0,
        }
    rounded = np.round(shares, ROUND)
    rounded[0] = round(1.0 - rounded[1:].sum(), ROUND + 2)
    for g, seg in enumerate(seg_names):
        segments[seg]["share"] = float(rounded[g])
    catalog = {}
    for i, event in enumerate(names):
        median = float(np.exp(chain.gap_log_mean[i])) if chain.gap_n[i] else 60.0
        sigma = float(chain.gap_log_sd[i]) if chain.gap_n[i] > 1 else 0.5
        entry: dict = {}
        feature = log.features[i]
        if feature:
            entry["feature"] = _name(feature)
        entry["gap_seconds"] = {
            "median": round(min(max(median, 0.001), 86_400.0), 3),
            "sigma": round(min(sigma, MAX_SIGMA), 3),
        }
        catalog[event] = entry
    events = {
        "session_start": names[chain.session_start],
        "signup": names[chain.signup],
        "catalog": catalog,
        "transitions": _chain_rows(pooled, names),
    }
    if mixture.k > 1:
        events["segment_transitions"] = {
            seg: _chain_rows(chain.probabilities((labels == g).astype(float))[0], names)
            for g, seg in enumerate(seg_names)
        }
    monthly = 1 - math.exp(-base_hazard * DAYS_PER_MONTH)
    scenario: dict = {
        "name": name,
        "description": (
            f"Fitted from {log.source}: {log.rows:,} events by {log.users:,} users from "
            f"{start} to {end}."
        ),
        "start": start,
        "end": end,
        "users": log.users,
        "arrivals": {
            "growth": {
                "kind": "exponential",
                "annual_rate": round(float(np.clip(signups.growth_per_year, -10, 10)), ROUND),
            },
            "weekday_weights": _weights(signups.weekday, WEEKDAYS),
            "month_seasonality": _weights(signups.month, MONTHS),
            "hour_weights": [round(h, 3) for h in hours],
            "anomalies": anomalies,
        },
        "segments": segments,
        "attributes": _attributes(log, mixture.labels, seg_names),
        "activity": {
            "sessions_per_day": round(base_rate, 6),
            "heterogeneity_shape": round(float(np.clip(activity.shape, 0.1, 1e4)), ROUND),
            "age_decay": {"unit": unit, "curve": [round(float(c), ROUND) for c in activity.curve]},
            "cohort_trend_per_year": round(float(np.clip(activity.cohort_trend, -10, 10)), ROUND),
            "weekday_weights": _weights(sessions.weekday, WEEKDAYS),
            "month_seasonality": _weights(sessions.month, MONTHS),
        },
        "churn": {
            "monthly_probability": round(monthly, 6),
            "reengagement_gap_days": {"median": 30.0, "sigma": 0.5},
        },
        "events": events,
    }
    values = _values(log, mixture.labels, seg_names, start, currency)
    if values:
        scenario["values"] = values
    return scenario


def _name(text: str) -> str:
    return scenario_names([text])[0]


def _attributes(log: Log, labels: np.ndarray, seg_names: list[str]) -> dict:
    """Categorical columns of the users file: each segment's shares of each value."""
    out: dict = {}
    for column, kind in log.attributes.items():
        if kind != "categorical":
            continue  # numbers by segment are left for a later fit
        rows = log.array(
            f'select user_id, cast("{column}" as varchar) as v from us '
            f'where "{column}" is not null order by user_id'
        )
        found, codes = np.unique(rows["v"], return_inverse=True)
        values = found.tolist()
        if len(values) < 2:
            continue
        table = np.zeros((len(seg_names), len(values)))
        np.add.at(table, (labels[rows["user_id"]], codes), 1)
        table += 0.5  # a value unseen in a small segment keeps a small share
        shares = {}
        for g, seg in enumerate(seg_names):
            row = np.round(table[g] / table[g].sum(), ROUND)
            row[np.argmax(row)] += round(1.0 - row.sum(), ROUND + 2)
            shares[seg] = [float(v) for v in row]
        out[_name(column)] = {"values": [_name(v) for v in values], "shares": shares}
    return out


def _values(
    log: Log, labels: np.ndarray, seg_names: list[str], start: dt.date, currency: str | None
) -> dict:
    """Events that carry an amount: a log-normal median and spread, a multiplier per
    segment and a trend a year."""
    if not log.has_amount:
        return {}
    rows = log.array(
        f"""select code, user_id, ln(amount) as v,
            datediff('day', date '{start}', ts) / {DAYS_PER_YEAR} as years
        from ev where amount > 0 order by code, user_id"""
    )
    out = {}
    for code in np.unique(rows["code"]):
        pick = rows["code"] == code
        v, years, user = rows["v"][pick], rows["years"][pick], rows["user_id"][pick]
        if len(v) < 10:
            continue
        seg = labels[user]
        x = np.column_stack([np.ones(len(v)), years] + [seg == g for g in range(1, len(seg_names))])
        beta, *_ = np.linalg.lstsq(x.astype(float), v, rcond=None)
        resid = v - x.astype(float) @ beta
        effects = np.r_[0.0, beta[2:]]
        centre = float((np.bincount(seg, minlength=len(seg_names)) * effects).sum() / len(seg))
        entry: dict = {"currency": currency} if currency else {"unit": "amount"}
        entry.update(
            {
                "median": round(float(np.exp(beta[0] + centre)), 4),
                "sigma": round(float(min(resid.std(), MAX_VALUE_SIGMA)), 4),
                "decimals": 2,
                "segments": {
                    s: round(float(np.exp(effects[g] - centre)), 4) for g, s in enumerate(seg_names)
                },
                "trend_per_year": round(float(np.clip(beta[1], -10, 10)), 4),
            }
        )
        out[log.events[int(code)]] = entry
    return out
