"""Outcomes: what follows from each user's behaviour. An outcome reached by behaviour is
read off the events drawn (the Nth event of its kind within its window after signup); an
outcome of chance is drawn once the outcome it follows happened or its window closed, and
recorded after a delay, if that falls within the timeframe."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generator.behaviours.outcomes.section import BehaviourOutcome
from generator.calendar import MS_PER_DAY
from generator.columns import timestamps
from generator.state import Shard

NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Reached:
    """One outcome for every user of the shard."""

    name: str
    achieved_ms: np.ndarray  # NEVER when not achieved
    window_end_ms: np.ndarray  # when its window closes (behaviour) or it would be recorded
    after_achieved: np.ndarray | None  # chance outcomes: whether the one it follows happened
    chance: np.ndarray | None


def nth_event_ms(s: Shard, code: int, count: int, within_ms: float) -> np.ndarray:
    """Each user's `count`-th session event of `code` within `within_ms` of signing up."""
    mine = np.flatnonzero(s.event_code == code)
    user = s.session_user[s.event_session[mine]].astype(np.int64)
    ms = s.event_ms[mine]
    keep = ms - s.signed_up_ms[user] <= within_ms
    user, ms = user[keep], ms[keep]
    order = np.lexsort((ms, user))
    user, ms = user[order], ms[order]
    users, first, events = np.unique(user, return_index=True, return_counts=True)
    enough = events >= count
    out = np.full(s.n, NEVER, dtype=np.int64)
    out[users[enough]] = ms[first[enough] + count - 1]
    return out


def draw(s: Shard) -> None:
    scenario, rng = s.scenario, s.rng["outcomes"]
    names = scenario.event_names()
    seg_names = scenario.segment_names()
    s.outcomes = []
    by_name: dict[str, Reached] = {}
    for name, o in scenario.outcomes.items():
        if isinstance(o, BehaviourOutcome):
            within = o.after.within_days * MS_PER_DAY
            achieved = nth_event_ms(s, names.index(o.after.event), o.after.count, within)
            window_end = s.signed_up_ms + np.int64(round(within))
            reached = Reached(name, achieved, window_end, None, None)
        else:
            parent = by_name[o.after_outcome]
            done = parent.achieved_ms != NEVER
            multiplier = np.array([o.segments.get(g, 1.0) for g in seg_names])[s.segment]
            chance = np.where(done, o.probability, o.otherwise) * multiplier
            base = np.where(done, parent.achieved_ms, parent.window_end_ms)
            delay = rng.uniform(o.delay_days.min_days, o.delay_days.max_days, s.n) * MS_PER_DAY
            at_ms = base + np.round(delay).astype(np.int64)
            hit = rng.random(s.n) < chance
            reached = Reached(name, np.where(hit, at_ms, NEVER), at_ms, done, chance)
        by_name[name] = reached
        s.outcomes.append(reached)


def log(s: Shard) -> None:
    """raw.outcomes: each outcome reached within the timeframe, when it was recorded; and
    truth.outcomes: every user's result and chance for every outcome."""
    if not s.outcomes:
        return
    end_ms = s.cal.days * MS_PER_DAY
    raw_parts, truth_parts = [], []
    for r in s.outcomes:
        recorded = r.achieved_ms < end_ms
        users = np.flatnonzero(recorded)
        users = users[np.argsort(r.achieved_ms[users], kind="stable")]  # as they were recorded
        raw_parts.append(
            pa.table(
                {
                    "user_id": pa.array(s.user_id[users]),
                    "outcome": pa.array([r.name] * len(users), type=pa.string()),
                    "recorded_at": timestamps(s.cal, r.achieved_ms[users]),
                }
            )
        )
        truth_parts.append(
            pa.table(
                {
                    "user_id": pa.array(s.user_id),
                    "outcome": pa.array([r.name] * s.n, type=pa.string()),
                    "after_achieved": _optional(r.after_achieved, pa.bool_(), s.n),
                    "chance": _optional(r.chance, pa.float64(), s.n),
                    "observable": pa.array(r.window_end_ms < end_ms),
                    "achieved": pa.array(r.achieved_ms != NEVER),
                    "achieved_at": pa.array(
                        np.where(recorded, r.achieved_ms, 0) + s.cal.epoch_seconds * 1000,
                        type=pa.timestamp("ms"),
                        mask=~recorded,
                    ),
                }
            )
        )
    s.raw["outcomes"] = pa.concat_tables(raw_parts)
    s.truth["outcomes"] = pa.concat_tables(truth_parts)


def _optional(values: np.ndarray | None, kind: pa.DataType, n: int) -> pa.Array:
    return pa.nulls(n, kind) if values is None else pa.array(values, type=kind)
