"""Events inside a session: a per-segment Markov chain over event names (session depth
scales the chance of ending), log-normal gaps between events, and sessions of one user
kept apart by more than the tracker's inactivity timeout."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generator.behaviours.adoption.simulate import Adoptions
from generator.behaviours.arrivals.simulate import draw_seconds_of_day
from generator.behaviours.experiments.chain import session_slots, with_changes
from generator.behaviours.segments.simulate import local_to_utc
from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import dictionary, timestamps
from generator.maths import alias_tables
from generator.scenario import Scenario
from generator.section import SESSION_END
from generator.state import Shard

MAX_EVENTS_PER_SESSION = 200
MAX_GAP_MS = 25 * 60 * 1000  # the tracker ends a session after 30 idle minutes
SESSION_SEPARATION_MS = 31 * 60 * 1000
SPAN = np.int64(1) << 42  # more milliseconds than any timeframe has
# where in the dwell after a session's last event each kind of hosted action falls, so
# two in one session never share a timestamp
HOSTED_AT = {"funnels": 0.2, "adoption": 0.4, "checkout": 0.6, "strays": 0.8}


@dataclass(frozen=True)
class Hosts:
    """A shard's sessions as the places where actions the user means to take at some time
    happen: in the first session they open at or after that time, after its last event
    and before the session's idle time runs out. Sessions are sorted by user, then by
    when they were meant to open (the time drawn for the day, before sessions were kept
    apart); hosted times rise with it for each user."""

    user: np.ndarray
    opens_ms: np.ndarray  # when it was meant to open
    starts_ms: np.ndarray  # when it did
    last_ms: np.ndarray  # the session's last event
    dwell_ms: np.ndarray  # from its last event to the session's end

    def first_from(self, user: np.ndarray, t: np.ndarray, by: str = "opens") -> np.ndarray:
        """Each user's first session meant to open (by="opens") or starting ("starts") at
        or after t (-1: none)."""
        times = self.opens_ms if by == "opens" else self.starts_ms
        return first_session_from(self.user, times, user, t, self.key(by))

    def key(self, by: str) -> np.ndarray:
        """user x SPAN + the sessions' times (by "opens", "starts" or a hosted kind),
        ascending: computed once per shard."""
        cache = self.__dict__.setdefault("_keys", {})
        if by not in cache:
            times = {"opens": self.opens_ms, "starts": self.starts_ms}.get(by)
            if times is None:
                times = self.hosted_at(by)
            cache[by] = self.user.astype(np.int64) * SPAN + times
        return cache[by]

    def hosted_at(self, kind: str) -> np.ndarray:
        """Per session, when an action of this kind it hosts happens (ms)."""
        return self.last_ms + np.floor(HOSTED_AT[kind] * self.dwell_ms).astype(np.int64)

    def last_hosting_by(self, kind: str, user: np.ndarray, limit: np.ndarray) -> np.ndarray:
        """Each user's last session whose hosted action of this kind falls at or before
        limit (-1: none)."""
        key = self.key(kind)
        want = user.astype(np.int64) * SPAN + np.floor(limit).astype(np.int64)
        k = np.searchsorted(key, want, side="right") - 1
        found = (k >= 0) & (self.user[np.maximum(k, 0)] == user) if len(key) else k >= 0
        return np.where(found, k, -1)


def first_session_from(
    session_user: np.ndarray,
    opens_ms: np.ndarray,
    user: np.ndarray,
    t: np.ndarray,
    key: np.ndarray | None = None,
) -> np.ndarray:
    """Index of each user's first session (sorted by user then opening) meant to open at
    or after t, or -1 when there is none (t may be infinite); `key` is their user x SPAN +
    opening, when already made."""
    if len(session_user) == 0:
        return np.full(len(user), -1)
    if key is None:
        key = session_user.astype(np.int64) * SPAN + opens_ms
    finite = np.isfinite(t)
    at = np.ceil(np.minimum(np.where(finite, t, 0.0), float(SPAN - 1))).astype(np.int64)
    k = np.searchsorted(key, user.astype(np.int64) * SPAN + at, side="left")
    found = finite & (k < len(key)) & (session_user[np.minimum(k, len(key) - 1)] == user)
    return np.where(found, k, -1)


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
    step), and the unit of the number an event carries (a currency for money). An event is
    a user action (done in the app, in a session) unless the product's systems log it."""
    names = scenario.logged_events()
    step_type: dict[str, str] = {
        step.event: step.type for f in scenario.funnels.values() for step in f.steps
    }
    step_type.update({name: "billing" for name in scenario.billing_events()})
    features = [e.feature for e in scenario.events.catalog.values()]
    features += [None] * (len(names) - len(features))
    valued = [scenario.values.get(n) for n in names]
    conversions = {
        f.steps[-1].event for f in scenario.funnels.values() if f.entry == "plan_conversion"
    }
    return pa.table(
        {
            "event_name": names,
            "feature": pa.array(features, type=pa.string()),
            "event_type": [step_type.get(n, "user_action") for n in names],
            "is_session_start": [n == scenario.events.session_start for n in names],
            "is_signup": [n == scenario.events.signup for n in names],
            "is_paid_conversion": [n in conversions for n in names],
            "value_kind": pa.array([v and v.kind for v in valued], type=pa.string()),
            "value_unit": pa.array([v and v.value_unit for v in valued], type=pa.string()),
        }
    )


def count_sessions(s: Shard) -> None:
    """How many sessions each user opens on each day at risk."""
    s.counts = s.rng["sessions"].poisson(s.days.rate)


def draw(s: Shard) -> None:
    """The sessions (the signup opens each user's first) and the events each walks along
    its chain, kept within the timeframe."""
    scenario, rng, n, days = s.scenario, s.rng, s.n, s.days
    sess_user = np.repeat(days.user, s.counts)
    sess_day = np.repeat(days.day.astype(np.int64), s.counts)
    sess_seconds = local_to_utc(
        s,
        sess_user,
        sess_day,
        draw_seconds_of_day(scenario.arrivals.hour_weights, len(sess_user), rng["sessions"]),
    )
    sess_start = sess_day * MS_PER_DAY + sess_seconds * 1000
    # The signup happens in each user's first session.
    all_user = np.concatenate([np.arange(n, dtype=np.int32), sess_user])
    all_start = np.concatenate([s.signup_ms, sess_start])
    names = scenario.event_names()
    first_event = np.concatenate(
        [
            np.full(n, names.index(scenario.events.signup), dtype=np.int16),
            np.full(len(sess_user), names.index(scenario.events.session_start), dtype=np.int16),
        ]
    )
    all_stage = np.concatenate([np.full(n, s.initial_stage), np.repeat(s.day_stage, s.counts)])
    order = np.lexsort((all_start, all_user))
    all_user, all_start, first_event = all_user[order], all_start[order], first_event[order]
    # a feature is adopted in the first session opened once the user means to; the
    # sessions after it walk the chain with the feature's rows
    intents = s.intents
    adopted_in = first_session_from(all_user, all_start, intents.user, intents.at_ms)
    adopted_after = np.full((len(scenario.adoption), n), np.iinfo(np.int64).max)
    took = adopted_in >= 0
    adopted_after[intents.feature[took], intents.user[took]] = adopted_in[took]
    session_index = np.arange(len(all_user))
    mask = (session_index[None, :] > adopted_after[:, all_user]) << np.arange(len(adopted_after))[
        :, None
    ]
    chain = chain_index(
        s.segment[all_user],
        all_stage[order],
        len(scenario.stage_names()),
        mask.sum(axis=0),
        len(scenario.adoption),
    )
    n_sessions = len(all_user)

    base = transition_matrices(scenario)
    matrices = with_changes(scenario, base)
    all_day = all_start // MS_PER_DAY
    slot = session_slots(scenario, s.cal, s.exposures, all_user, all_day, n)
    s.session_chain, s.session_slot, s.session_first_event = chain, slot, first_event
    walked = chain + len(base) * slot
    ev_session, ev_code = walk_sessions(matrices, walked, first_event, rng["events"])
    gaps = event_gaps_ms(scenario, ev_code, rng["events"])
    offset, length = offsets_in_session(ev_session, gaps, n_sessions)
    opened = keep_in_day(all_start, length)  # when the app asks for feature flags
    start = separate_sessions(all_user, opened, length)
    # The extract ends with the timeframe: drop what spills past midnight of the last day.
    event_ms = start[ev_session] + offset
    ev_session_all, gaps_all = ev_session, gaps
    inside = event_ms < s.cal.days * MS_PER_DAY
    if not inside.all():
        ev_session, ev_code, gaps, event_ms = (
            ev_session[inside],
            ev_code[inside],
            gaps[inside],
            event_ms[inside],
        )
    s.session_user, s.session_opened_ms = all_user, opened
    last = np.r_[np.searchsorted(ev_session_all, np.arange(1, n_sessions)), len(ev_session_all)] - 1
    s.hosts = Hosts(all_user, all_start, start, start + length - gaps_all[last], gaps_all[last])
    hosted = s.hosts.hosted_at("adoption")[adopted_in[took]]
    logged = hosted < s.cal.days * MS_PER_DAY
    s.adopted = Adoptions(
        user=intents.user[took][logged],
        feature=intents.feature[took][logged],
        session=adopted_in[took][logged],
        at_ms=hosted[logged],
    )
    s.session_day = all_start // MS_PER_DAY
    s.session_walk_events = np.bincount(ev_session, minlength=n_sessions)
    s.n_sessions = n_sessions
    s.event_session, s.event_code, s.event_gap_ms, s.event_ms = ev_session, ev_code, gaps, event_ms
    # The account exists from the signup event as logged (its session may have moved).
    is_signup = first_event == names.index(scenario.events.signup)
    s.signed_up_ms = np.empty(n, dtype=np.int64)
    s.signed_up_ms[all_user[is_signup]] = start[is_signup]


NO_SESSION = -1  # a logged event's session when it has none (a system event)


def log(s: Shard) -> None:
    """raw.events: the sessions' events, then funnel steps and adoptions. A user action
    (an adoption, a funnel step) carries the id of the session it was done in, a system
    event none."""
    scenario, run, adopted = s.scenario, s.funnel_run, s.adopted
    names = scenario.event_names()
    adoption_code = np.array([names.index(a.event) for a in scenario.adoption.values()], dtype=int)
    session_end = s.hosts.last_ms + s.hosts.dwell_ms
    hosted_session = np.concatenate([run.event_session, run.stray_session, adopted.session]).astype(
        np.int64
    )
    hosted_ms = np.concatenate([run.event_ms, run.stray_ms, adopted.at_ms]).astype(np.int64)
    in_session = hosted_session >= 0
    # a user action done at a session's end lasts until the session ends
    hosted_gap = np.where(
        in_session,
        np.maximum(session_end[np.where(in_session, hosted_session, 0)] - hosted_ms, 0),
        0,
    )
    event_user = np.concatenate(
        [s.session_user[s.event_session], run.event_user, run.stray_user, adopted.user]
    ).astype(np.int64)
    ev_code = np.concatenate(
        [
            s.event_code,
            run.event_code + len(names),
            run.stray_code + len(names),
            adoption_code[adopted.feature],
        ]
    )
    billed_user, billed_code, billed_ms = billing_events(s)
    event_user = np.concatenate([event_user, billed_user])
    ev_code = np.concatenate([ev_code, billed_code + len(names) + len(scenario.funnel_events())])
    event_ms = np.concatenate([s.event_ms, hosted_ms, billed_ms])
    gaps = np.concatenate([s.event_gap_ms, hosted_gap, np.zeros(len(billed_user), np.int64)])
    s.event_session = np.concatenate(
        [s.event_session, hosted_session, np.full(len(billed_user), NO_SESSION)]
    )
    s.logged_user, s.logged_code, s.logged_ms = event_user, ev_code, event_ms
    features = [e.feature for e in scenario.events.catalog.values()]
    all_names = scenario.logged_events()
    all_features = [*features, *[None] * (len(all_names) - len(features))]
    s.raw["events"] = pa.table(
        {
            "user_id": pa.array(s.user_id[event_user]),
            "event_name": dictionary(ev_code, all_names),
            "feature": dictionary(ev_code, all_features),
            "event_at": timestamps(s.cal, event_ms),
            # a system event has no session, so nothing follows it there
            "duration_ms": pa.array(gaps.astype(np.int32), mask=s.event_session == NO_SESSION),
        }
    )


def billing_events(s: Shard) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, code into scenario.billing_events(), ms) of what the billing system sends to
    the event stream: paid renewals, failed payments, cancellations taking effect."""
    declared = s.scenario.subscriptions.billing_events if s.scenario.subscriptions else None
    history = s.history
    empty = np.zeros(0, dtype=np.int64)
    if declared is None or history is None:
        return empty, empty, empty
    names = s.scenario.billing_events()
    parts = []
    if declared.renewal:
        paid = history.invoice_is_renewal & history.invoice_paid
        parts.append(
            (history.invoice_user[paid], names.index(declared.renewal), history.invoice_at_ms[paid])
        )
    if declared.payment_failed:
        failed = ~history.invoice_paid
        parts.append(
            (
                history.invoice_user[failed],
                names.index(declared.payment_failed),
                history.invoice_at_ms[failed],
            )
        )
    if declared.cancellation:
        cancelled = history.change_is_cancellation
        parts.append(
            (
                history.change_user[cancelled],
                names.index(declared.cancellation),
                history.change_at_ms[cancelled],
            )
        )
    user = np.concatenate([p[0] for p in parts]).astype(np.int64)
    code = np.concatenate([np.full(len(p[0]), p[1]) for p in parts]).astype(np.int64)
    at = np.concatenate([p[2] for p in parts]).astype(np.int64)
    return user, code, at


def reference_tables(scenario: Scenario, cal: Calendar) -> dict[str, pa.Table]:
    """The tracking plan: the event catalogue."""
    return {"event_catalog": event_catalog(scenario)}
