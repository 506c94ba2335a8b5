"""Funnels: ordered steps after signup. Each step is reached with its planted rate (times
the segment's multiplier, capped at 1) after a log-normal delay from the previous step,
in the first session the user opens from then on when it is a user action (at the system's
drawn time otherwise), and only within the funnel's window from step 1 and before the data
ends."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generator.behaviours.events.simulate import NO_SESSION, Hosts
from generator.behaviours.funnels.section import answer_shares, attempt_step_cap, step_rates
from generator.behaviours.segments.simulate import draw_categorical
from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import dictionary, timestamps
from generator.maths import expand_ranges, lognormal_cdf
from generator.scenario import Scenario
from generator.state import Shard

MS_PER_HOUR = 3_600_000


@dataclass(frozen=True)
class FunnelChances:
    """The experiment funnel as planted for each user: step rates (segment multipliers
    and every experiment's lifts applied, before capping at 1) and whether the user's
    drawn delays fit the window (so completing is the product of the rates, or 0)."""

    rates: np.ndarray  # (user, later step)
    fits: np.ndarray  # (user,)


@dataclass(frozen=True)
class FunnelRun:
    """Step events of a shard's users, and for truth every step a user could take."""

    event_user: np.ndarray
    event_code: np.ndarray  # index into scenario.funnel_events()
    event_ms: np.ndarray
    event_session: np.ndarray  # the session a user action was done in, or NO_SESSION
    # a signup funnel's steps done off its order (repeated, skipped to, early): logged,
    # but no step of the funnel's planted path
    stray_user: np.ndarray
    stray_code: np.ndarray
    stray_ms: np.ndarray
    stray_session: np.ndarray
    # truth: one row per (user, funnel, step) the user had a chance of reaching: the
    # summed chance over their opportunities until they reached it, and its variance
    truth_user: np.ndarray
    truth_funnel: np.ndarray
    truth_step: np.ndarray  # 1, 2, ... (a signup funnel's step 1 is certain: no row)
    truth_expected: np.ndarray
    truth_variance: np.ndarray
    truth_reached: np.ndarray
    # per signup funnel, each user's step rates and whether their delays fit the window
    chances: dict[str, FunnelChances]
    # per step of a signup funnel (by its event code): the delay's distribution among the
    # users who reach it (delay_sums)
    delays: dict[str, np.ndarray]


@dataclass(frozen=True)
class FreePlanDecisions:
    """The sessions users spent on a plan paying nothing, each a chance of checking out
    to a paid plan at its end, ordered by user then time."""

    user: np.ndarray
    session: np.ndarray  # shard-local session index
    at_ms: np.ndarray  # when a checkout would start
    p_convert: np.ndarray  # chance the session moves the user to a paid plan
    converted: np.ndarray
    steps_ms: np.ndarray  # (converted session, step): each converting checkout's step times


def plan_conversion_funnel(scenario: Scenario):
    """The funnel tried in every session on a plan paying nothing, if the world has one."""
    return next((f for f in scenario.funnels.values() if f.entry == "plan_conversion"), None)


def attempt_offsets(funnel, n: int, rng: np.random.Generator) -> np.ndarray:
    """(attempt, step) times of n checkout attempts' steps from their start (ms): step 1
    at 0, each later one its log-normal delay after the previous (capped, so an attempt
    stays in its session)."""
    cap = attempt_step_cap(funnel)
    out = np.zeros((n, len(funnel.steps)), dtype=np.int64)
    for k, step in enumerate(funnel.steps[1:], start=1):
        median = step.hours.median * MS_PER_HOUR
        delay = np.minimum(median * np.exp(step.hours.sigma * rng.standard_normal(n)), cap)
        out[:, k] = out[:, k - 1] + np.floor(delay).astype(np.int64)
    return out


def longest_checkout_ms(scenario: Scenario) -> int:
    """The most a checkout attempt can take from its first step to its last (ms): a
    session closer than this to the end of the timeframe cannot hold one."""
    funnel = plan_conversion_funnel(scenario)
    if funnel is None:
        return 0
    return int(np.ceil(attempt_step_cap(funnel))) * (len(funnel.steps) - 1)


def checkout_steps(scenario: Scenario, rng: np.random.Generator):
    """How subscriptions times a checkout that moves a user to a paid plan: n -> its
    steps' offsets (the last step completes it), or None without a plan-conversion funnel."""
    funnel = plan_conversion_funnel(scenario)
    if funnel is None:
        return None
    return lambda n: attempt_offsets(funnel, n, rng)


def simulate(
    scenario: Scenario,
    days: int,
    signup_ms: np.ndarray,
    segment: np.ndarray,
    rng: np.random.Generator,
    hosts: Hosts,
    decisions: FreePlanDecisions | None = None,
    multipliers: dict[str, np.ndarray] | None = None,
) -> FunnelRun:
    """`multipliers`, when given, lift a signup funnel's step rates per (user, step)."""
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in FunnelRun.__dataclass_fields__ if k not in ("chances", "delays")
    }
    chances: dict[str, FunnelChances] = {}
    delays: dict[str, np.ndarray] = {}
    code = 0
    for f, (name, funnel) in enumerate(scenario.funnels.items()):
        if funnel.entry == "signup":
            rates = step_rates(scenario, funnel, cap=False)[segment]
            if multipliers is not None and name in multipliers:
                rates = rates * multipliers[name]
            chances[name] = _after_signup(
                funnel, f, code, days, signup_ms, rates, rng, hosts, (parts, delays)
            )
        elif decisions is not None:
            _conversion_attempts(funnel, f, code, segment, scenario, decisions, rng, parts)
        code += len(scenario.own_events(funnel))
    kinds = {"truth_expected": np.float64, "truth_variance": np.float64, "truth_reached": bool}
    arrays = {
        k: np.concatenate(v) if v else np.zeros(0, dtype=kinds.get(k, np.int64))
        for k, v in parts.items()
    }
    return FunnelRun(**arrays, chances=chances, delays=delays)


DELAY_GRID_POINTS = 481


def delay_grid(median_ms: float, sigma: float, window_ms: float) -> np.ndarray:
    """The delays a step's distribution is kept at, evenly in log: from 6 log sds below
    the median to 6 above or the window, whichever is longer (waiting for a session can
    make a delay far longer than the planted one)."""
    low = median_ms * np.exp(-6.0 * sigma)
    high = max(median_ms * np.exp(6.0 * sigma), window_ms, low * 2)
    return np.geomspace(low, high, DELAY_GRID_POINTS)


def delay_sums(
    median_ms: float, sigma: float, window_ms: float, p: np.ndarray, room: np.ndarray
) -> np.ndarray:
    """A step reached with chance p_i and a log-normal delay that must fit in room_i: the
    sums over users of p_i P(delay <= min(t, room_i)) at each t of the grid, and last of
    p_i P(delay <= room_i). Their ratio is the delay's distribution function among the
    users who reach the step (the window and the end of the data cut long delays short)."""
    t = delay_grid(median_ms, sigma, window_ms)
    order = np.argsort(room, kind="stable")
    room, p = room[order], p[order]
    fitting = p * lognormal_cdf(room, median_ms, sigma)
    cut = np.r_[0.0, np.cumsum(fitting)]
    weight = np.r_[0.0, np.cumsum(p)]
    below = np.searchsorted(room, t, side="left")  # users whose room is under t
    sums = cut[below] + lognormal_cdf(t, median_ms, sigma) * (weight[-1] - weight[below])
    return np.r_[sums, cut[-1]]


def hosted_delay_sums(
    median_ms: float,
    sigma: float,
    window_ms: float,
    p: np.ndarray,
    after: np.ndarray,
    user: np.ndarray,
    last: np.ndarray,
    hosts: Hosts,
) -> np.ndarray:
    """delay_sums for a step taken in the first session starting once its log-normal
    delay has passed (after the previous step at `after`), where `last` is the user's last
    session that can host it in time: a delay up to x (from the previous step) means the
    hosting session is one whose hosted time is at most after + x, so the intent came by
    the start of the last such session. Piecewise constant in x, summed on the grid."""
    t = delay_grid(median_ms, sigma, window_ms)
    first = hosts.first_from(user, after, by="starts")
    count = np.where((first >= 0) & (last >= first), last - first + 1, 0)
    owner, session = expand_ranges(np.arange(len(user)), first, count)
    hosted = hosts.hosted_at("funnels").astype(np.float64)
    h = after[owner]
    low = hosted[session] - h
    high = np.where(
        session < last[owner], hosted[np.minimum(session + 1, len(hosted) - 1)] - h, np.inf
    )
    value = p[owner] * lognormal_cdf(hosts.starts_ms[session] - h, median_ms, sigma)
    i0 = np.searchsorted(t, low, side="left")
    i1 = np.searchsorted(t, high, side="left")
    diff = np.bincount(i0, weights=value, minlength=len(t) + 1)[: len(t) + 1]
    diff -= np.bincount(i1, weights=value, minlength=len(t) + 1)[: len(t) + 1]
    total = value[session == last[owner]].sum()
    return np.r_[np.cumsum(diff)[: len(t)], total]


def _after_signup(funnel, f, code, days, signup_ms, uncapped, rng, hosts, out) -> FunnelChances:
    """A signup funnel's steps: a system step at its drawn time; a user action in the
    first session starting once its delay has passed (so reaching it needs a session
    that can host it within the window)."""
    parts, delays = out
    end_ms = days * MS_PER_DAY
    window_ms = funnel.window_days * MS_PER_DAY
    rates = np.minimum(uncapped, 1.0)
    n = len(signup_ms)
    fits = np.ones(n, dtype=bool)
    limit = np.minimum(signup_ms + window_ms, end_ms - 1)
    reached = np.ones(n, dtype=bool)
    at = signup_ms.astype(np.float64)
    everyone = np.arange(n)
    path = [(reached.copy(), at.copy())]  # per step: who reached it, and when
    for k, step in enumerate(funnel.steps[1:], start=2):
        p = rates[:, k - 2]
        median = step.hours.median * MS_PER_HOUR
        delay = median * np.exp(step.hours.sigma * rng.standard_normal(n))
        takes = rng.random(n) < p
        candidates = np.flatnonzero(reached)
        hosted = step.type == "user_action"
        if hosted:
            last = hosts.last_hosting_by("funnels", candidates, limit[candidates])
            latest = np.where(last >= 0, hosts.starts_ms[np.maximum(last, 0)], -np.inf)
        else:
            latest = limit[candidates]
        room = latest - at[candidates]
        chance = p[candidates] * lognormal_cdf(room, median, step.hours.sigma)
        parts["truth_user"].append(candidates)
        parts["truth_funnel"].append(np.full(len(candidates), f))
        parts["truth_step"].append(np.full(len(candidates), k))
        parts["truth_expected"].append(chance)
        parts["truth_variance"].append(chance * (1 - chance))
        if hosted:
            delays[str(code + k - 2)] = hosted_delay_sums(
                median,
                step.hours.sigma,
                window_ms,
                p[candidates],
                at[candidates],
                candidates,
                last,
                hosts,
            )
        else:
            delays[str(code + k - 2)] = delay_sums(
                median, step.hours.sigma, window_ms, p[candidates], room
            )
        at = at + delay
        session = np.full(n, NO_SESSION)
        if hosted:
            session = hosts.first_from(everyone, at, by="starts")
            at = np.where(session >= 0, hosts.hosted_at("funnels")[np.maximum(session, 0)], np.inf)
        fits &= (at <= limit) & (at < end_ms)
        reached = reached & takes & fits
        parts["truth_reached"].append(reached[candidates])
        users = np.flatnonzero(reached)
        parts["event_user"].append(users)
        parts["event_code"].append(np.full(len(users), code + k - 2))
        parts["event_ms"].append(np.floor(at[users]).astype(np.int64))
        parts["event_session"].append(session[users])
        path.append((reached.copy(), np.where(reached, at, np.inf)))
    _strays(funnel, code, path, end_ms, rng, hosts, parts)
    return FunnelChances(uncapped, fits)


STRAY_DELAY_DAYS = (2.0, 1.0)  # median and log sd of the days before a step is done again


def _strays(funnel, code, path, end_ms, rng, hosts: Hosts, parts) -> None:
    """Events of a signup funnel's steps off its order (Irregular), as strays: each in the
    first session starting at the time it is meant for (a system step's at that time),
    kept only within the data (an early one only before the step it comes early for)."""
    irregular = funnel.irregular
    n = len(path[0][0])
    median, sigma = STRAY_DELAY_DAYS
    no_bound = np.full(n, np.inf)
    for k in range(2, len(funnel.steps) + 1):
        before_reached, before_at = path[k - 2]
        reached, at = path[k - 1]
        wait = median * MS_PER_DAY * np.exp(sigma * rng.standard_normal(n))
        # (step, who, when meant, must come before)
        intents = [(k, reached & (rng.random(n) < irregular.repeat), at + wait, no_bound)]
        if k < len(funnel.steps):
            skipped = before_reached & ~reached & (rng.random(n) < irregular.skip)
            intents.append((k + 1, skipped, before_at + wait, no_bound))
        if k > 2:
            early = reached & (rng.random(n) < irregular.early)
            intents.append((k, early, path[k - 3][1] + wait / 4, before_at))
        for target, who, when, bound in intents:
            users = np.flatnonzero(who & np.isfinite(when))
            at_ms = when[users]
            if funnel.steps[target - 1].type == "user_action":
                session = hosts.first_from(users, at_ms, by="starts")
                ok = session >= 0
                users, session = users[ok], session[ok]
                at_ms = hosts.hosted_at("strays")[session].astype(np.float64)
            else:
                session = np.full(len(users), NO_SESSION)
            keep = (at_ms < end_ms) & (at_ms < bound[users])
            parts["stray_user"].append(users[keep])
            parts["stray_code"].append(np.full(int(keep.sum()), code + target - 2))
            parts["stray_ms"].append(np.floor(at_ms[keep]).astype(np.int64))
            parts["stray_session"].append(session[keep])


def _conversion_attempts(funnel, f, code, segment, scenario, decisions, rng, parts) -> None:
    """In each session on a plan paying nothing an attempt reaches step s (0 = none): the
    last step exactly when the session converted, otherwise s < last with the chances
    that make every step's rate the planted one. Steps run forward from the session's end,
    a converting checkout's as subscriptions timed it."""
    n_steps = len(funnel.steps)
    user = decisions.user
    if len(user) == 0:
        return
    p_convert = decisions.p_convert
    rates = step_rates(scenario, funnel)[segment[user]]  # (decision, step >= 2)
    through = np.cumprod(np.column_stack([np.ones(len(user)), rates]), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        entry = np.where(p_convert > 0, p_convert / through[:, -1], 0.0)
    q = entry[:, None] * through  # (decision, step k = 1..n): chance the attempt reaches k
    # deepest step of a non-converting attempt: P(s = j) = q_j - q_(j+1), P(0) = 1 - q_1
    stay = np.column_stack([1 - q[:, 0], q[:, :-1] - q[:, 1:]])
    cumulative = np.cumsum(stay, axis=1) / np.maximum(1 - p_convert, 1e-300)[:, None]
    deepest = (rng.random(len(user))[:, None] >= cumulative[:, :-1]).sum(axis=1)
    deepest = np.where(decisions.converted, n_steps, deepest)

    tried = np.flatnonzero(deepest > 0)
    times = decisions.at_ms[tried, None] + attempt_offsets(funnel, len(tried), rng)
    done = decisions.converted[tried]
    times[done] = decisions.steps_ms[: int(done.sum())].reshape(int(done.sum()), -1)
    for k in range(1, n_steps + 1):
        logged = deepest[tried] >= k
        parts["event_user"].append(user[tried[logged]])
        parts["event_code"].append(np.full(int(logged.sum()), code + k - 1))
        parts["event_ms"].append(times[logged, k - 1])
        parts["event_session"].append(decisions.session[tried[logged]])

    # Truth: summed chances of each step over the decisions before the user first reached
    # it (the compensator of "ever reached"), so counts of users have a known mean.
    users, first = np.unique(user, return_index=True)
    group = np.repeat(np.arange(len(users)), np.diff(np.append(first, len(user))))
    key = group * (n_steps + 1) + deepest
    best_so_far = np.maximum.accumulate(key) - group * (n_steps + 1)
    before = np.where(np.r_[True, group[1:] != group[:-1]], 0, np.r_[0, best_so_far[:-1]])
    best = np.maximum.reduceat(deepest, first)
    for k in range(1, n_steps + 1):
        open_ = before < k
        chance = q[:, k - 1] * open_
        parts["truth_user"].append(users)
        parts["truth_funnel"].append(np.full(len(users), f))
        parts["truth_step"].append(np.full(len(users), k))
        parts["truth_expected"].append(np.bincount(group, weights=chance, minlength=len(users)))
        parts["truth_variance"].append(
            np.bincount(group, weights=chance * (1 - chance), minlength=len(users))
        )
        parts["truth_reached"].append(best >= k)


def funnel_steps(scenario: Scenario) -> pa.Table:
    """The tracking plan's funnels (raw.funnel_steps): the planted funnels, then the flows
    worth reporting, each step in order with the funnel's conversion window."""
    funnels = [
        (name, [s.event for s in f.steps], f.window_days) for name, f in scenario.funnels.items()
    ]
    funnels += [(name, f.steps, f.window_days) for name, f in scenario.events.flows.items()]
    rows = [
        {
            "funnel_name": name,
            "funnel_number": number,
            "step_number": step,
            "event_name": event,
            "window_days": window,
        }
        for number, (name, events, window) in enumerate(funnels, start=1)
        for step, event in enumerate(events, start=1)
    ]
    schema = pa.schema(
        [
            ("funnel_name", pa.string()),
            ("funnel_number", pa.int32()),
            ("step_number", pa.int32()),
            ("event_name", pa.string()),
            ("window_days", pa.float64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def draw(s: Shard, multipliers: dict[str, np.ndarray]) -> None:
    """Each funnel's step events; `multipliers` (per signup funnel, user x later step)
    scale the step rates, as experiments do."""
    s.funnel_run = simulate(
        s.scenario,
        s.cal.days,
        s.signed_up_ms,
        s.segment,
        s.rng["funnels"],
        s.hosts,
        s.history.free_plan if s.history is not None else None,
        multipliers,
    )


def record(s: Shard) -> None:
    s.truth["funnel_users"] = _funnel_truth(s.scenario, s.funnel_run, s.user_id)
    s.sums["funnel_delays"] = s.funnel_run.delays


CHECK_IN_DELAY_MS = (120_000, 0.8)  # median and log sd of the time to answer after a step


def log(s: Shard) -> None:
    """raw.check_ins: the answers to each signup funnel's questions, asked at its steps
    (step 1 is the signup as logged); an answer comes minutes after the step, within the
    timeframe."""
    scenario, run, rng = s.scenario, s.funnel_run, s.rng["check_ins"]
    own = scenario.funnel_events()
    # codes into these names, read as strings by dictionary columns
    events = [e for f in scenario.funnels.values() for q in f.states.values() for e in q.shares]
    events = list(dict.fromkeys(events))
    questions = [q for f in scenario.funnels.values() for q in f.states]
    answers = list(
        dict.fromkeys(
            v for f in scenario.funnels.values() for q in f.states.values() for v in q.values
        )
    )
    parts: dict[str, list] = {k: [] for k in ("user", "event", "question", "answer", "at")}
    end_ms = s.cal.days * MS_PER_DAY - 1
    median, sigma = CHECK_IN_DELAY_MS
    for funnel in scenario.funnels.values():
        for question, state in funnel.states.items():
            value_code = np.array([answers.index(v) for v in state.values])
            for event in state.shares:
                if event == funnel.steps[0].event:
                    user, at = np.arange(s.n), s.signed_up_ms
                else:
                    hit = run.event_code == own.index(event)
                    user, at = run.event_user[hit], run.event_ms[hit]
                answered = rng.random(len(user)) < state.response_rate
                user, at = user[answered], at[answered]
                shares = answer_shares(scenario, state, event)
                delay = median * np.exp(sigma * rng.standard_normal(len(user)))
                parts["user"].append(user)
                parts["event"].append(np.full(len(user), events.index(event)))
                parts["question"].append(np.full(len(user), questions.index(question)))
                parts["answer"].append(value_code[draw_categorical(shares, s.segment[user], rng)])
                parts["at"].append(np.minimum(at + delay.astype(np.int64), end_ms))
    if not parts["user"]:
        return
    column = {k: np.concatenate(v) for k, v in parts.items()}
    order = np.lexsort((column["at"], column["user"]))
    s.raw["check_ins"] = pa.table(
        {
            "user_id": pa.array(s.user_id[column["user"][order]]),
            "event_name": dictionary(column["event"][order], events),
            "question": dictionary(column["question"][order], questions),
            "answer": dictionary(column["answer"][order], answers),
            "answered_at": timestamps(s.cal, column["at"][order]),
        }
    )


def _funnel_truth(scenario: Scenario, run: FunnelRun, user_id: np.ndarray) -> pa.Table:
    """Each step a user had a chance of reaching: the summed chance and whether they did."""
    funnel_names = list(scenario.funnels)
    step_events = [s.event for f in scenario.funnels.values() for s in f.steps]
    first_step = np.cumsum([0, *[len(f.steps) for f in scenario.funnels.values()]])[:-1]
    step_code = first_step[run.truth_funnel] + run.truth_step - 1
    return pa.table(
        {
            "user_id": pa.array(user_id[run.truth_user]),
            "funnel_name": dictionary(run.truth_funnel, funnel_names),
            "step_number": pa.array(run.truth_step.astype(np.int32)),
            "event_name": dictionary(step_code, step_events),
            "expected_reach": pa.array(run.truth_expected),
            "variance": pa.array(run.truth_variance),
            "is_reached": pa.array(run.truth_reached),
        }
    )


def reference_tables(scenario: Scenario, cal: Calendar) -> dict[str, pa.Table]:
    """The tracking plan's funnels."""
    return {"funnel_steps": funnel_steps(scenario)}
