"""Events inside a session: a per-segment Markov chain over event names (session depth
scales the chance of ending), log-normal gaps between events, and sessions of one user
kept apart by more than the tracker's inactivity timeout."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from generator.calendar import MS_PER_DAY
from generator.scenario import SESSION_END, Scenario

MAX_EVENTS_PER_SESSION = 200
MAX_GAP_MS = 25 * 60 * 1000  # the tracker ends a session after 30 idle minutes
SESSION_SEPARATION_MS = 31 * 60 * 1000


def chain_index(
    segment: np.ndarray, stage: np.ndarray, n_stages: int, adopted: np.ndarray, n_adopted: int
) -> np.ndarray:
    """Row of transition_matrices for a segment in a lifecycle stage having adopted the
    features of the bit mask `adopted` (of n_adopted launched features)."""
    return (segment.astype(np.int32) * n_stages + stage) * (1 << n_adopted) + adopted


def transition_matrices(scenario: Scenario) -> np.ndarray:
    """(chain, event, next event or end) probabilities, session depth applied; one chain
    per segment x lifecycle stage x set of adopted features (see chain_index)."""
    names = scenario.event_names()
    n = len(names)
    stages = scenario.stage_names()
    launched = list(scenario.adoption)
    sets = [
        tuple(f for i, f in enumerate(launched) if mask >> i & 1)
        for mask in range(1 << len(launched))
    ]
    chains = [
        (seg, stage, adopted)
        for seg in scenario.segments.items()
        for stage in stages
        for adopted in sets
    ]
    out = np.zeros((len(chains), n, n + 1))
    for s, ((seg_name, seg), stage, adopted) in enumerate(chains):
        for state, row in scenario.transitions_for(seg_name, stage, adopted).items():
            i = names.index(state)
            for target, p in row.items():
                out[s, i, n if target == SESSION_END else names.index(target)] = p
        p_end = out[s, :, n].copy()
        # a row that can only end stays so; otherwise depth scales the chance of ending
        new_end = np.where(p_end >= 1, 1.0, np.minimum(p_end / seg.session_depth, 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(p_end < 1, (1 - new_end) / (1 - p_end), 0.0)
        out[s, :, :n] *= scale[:, None]
        out[s, :, n] = new_end
    return out


def alias_tables(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias tables, one per row: drawing column j = floor(u * K) and keeping
    it when the fraction of u * K is below prob[j] (else taking alias[j]) samples the row's
    distribution exactly with one uniform. Built once per scenario (rows x K is small)."""
    rows, k = probabilities.shape
    prob = np.zeros((rows, k))
    alias = np.tile(np.arange(k), (rows, 1))
    for r in range(rows):
        scaled = probabilities[r] * k / probabilities[r].sum()
        small = [j for j in range(k) if scaled[j] < 1.0]
        large = [j for j in range(k) if scaled[j] >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            prob[r, s], alias[r, s] = scaled[s], g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)
        for j in small + large:
            prob[r, j] = 1.0
    return prob, alias


def walk_sessions(
    matrices: np.ndarray,
    session_chain: np.ndarray,  # row of the matrices (chain_index) of each session
    first_event: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Run every session's chain in lock-step; returns (session index, event code) ordered
    by session then step."""
    _, n_events, width = matrices.shape
    prob, alias = alias_tables(matrices.reshape(-1, width))
    prob, alias = prob.ravel(), alias.ravel().astype(np.int16)
    chain_row = session_chain.astype(np.int32) * n_events
    alive = np.arange(len(first_event), dtype=np.int32)
    state = first_event.astype(np.int16)
    sessions, codes = [], []
    for _step in range(MAX_EVENTS_PER_SESSION):
        if alive.size == 0:
            break
        sessions.append(alive)
        codes.append(state)
        u = rng.random(alive.size) * width
        column = u.astype(np.int32)
        cell = (chain_row[alive] + state) * width + column
        nxt = np.where(u - column < prob[cell], column.astype(np.int16), alias[cell])
        keep = nxt < n_events
        alive, state = alive[keep], nxt[keep]
    session = np.concatenate(sessions)
    order = np.argsort(session, kind="stable")
    return session[order], np.concatenate(codes)[order]


def event_gaps_ms(scenario: Scenario, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Time from each event to the next one in its session (the last one's dwell time)."""
    catalog = list(scenario.events.catalog.values())
    log_median = np.log([e.gap_seconds.median * 1000 for e in catalog])
    sigma = np.array([e.gap_seconds.sigma for e in catalog])
    z = rng.standard_normal(len(codes), dtype=np.float32)
    gaps = np.exp(log_median.astype(np.float32)[codes] + sigma.astype(np.float32)[codes] * z)
    return np.minimum(gaps, MAX_GAP_MS).astype(np.int64)


def offsets_in_session(session: np.ndarray, gaps: np.ndarray, n_sessions: int):
    """Each event's offset from its session's start, and each session's length (ms).
    Events come ordered by session, and every session has at least one event."""
    ends = np.cumsum(gaps)
    starts = ends - gaps
    first = np.searchsorted(session, np.arange(n_sessions))
    base = starts[first]
    length = np.r_[base[1:], ends[-1] if len(ends) else 0] - base
    return starts - np.repeat(base, np.diff(np.r_[first, len(session)])), length


def keep_in_day(start_ms: np.ndarray, length_ms: np.ndarray) -> np.ndarray:
    """Move a session that would run past midnight earlier, so it ends on the day its
    rate was drawn for (a session's day is the day the user was active)."""
    day_start = start_ms // MS_PER_DAY * MS_PER_DAY
    latest = day_start + MS_PER_DAY - 1 - length_ms
    return np.maximum(np.minimum(start_ms, latest), day_start)


def separate_sessions(user: np.ndarray, start_ms: np.ndarray, length_ms: np.ndarray):
    """Push each session (sorted by user then start) to begin at least the separation
    after the same user's previous one ends: s'_i = max(s_i, s'_{i-1} + len_{i-1} + sep)."""
    step = length_ms + SESSION_SEPARATION_MS
    before = np.cumsum(step) - step
    first_of_user = np.r_[True, user[1:] != user[:-1]]
    user_base = np.maximum.accumulate(np.where(first_of_user, before, 0))
    consumed = before - user_base  # sum of steps of the user's earlier sessions
    if len(start_ms) == 0:
        return start_ms
    span = int(start_ms.max() - start_ms.min() + consumed.max() + 1)
    key = start_ms - consumed + user.astype(np.int64) * span
    return np.maximum.accumulate(key) - user.astype(np.int64) * span + consumed


def event_catalog(scenario: Scenario) -> pa.Table:
    """The tracking plan's event dictionary (raw.event_catalog): every event the product
    logs, its feature, and the events a warehouse must know by role: the one opening a
    session, the signup, and a conversion to a paid plan (a plan-conversion funnel's last
    step). Every event here is a user action."""
    names = [*scenario.event_names(), *scenario.funnel_events()]
    features = [e.feature for e in scenario.events.catalog.values()]
    features += [None] * len(scenario.funnel_events())
    conversions = {
        f.steps[-1].event for f in scenario.funnels.values() if f.entry == "plan_conversion"
    }
    return pa.table(
        {
            "event_name": names,
            "feature": pa.array(features, type=pa.string()),
            "event_type": ["user_action"] * len(names),
            "is_session_start": [n == scenario.events.session_start for n in names],
            "is_signup": [n == scenario.events.signup for n in names],
            "is_paid_conversion": [n in conversions for n in names],
        }
    )
