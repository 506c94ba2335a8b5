"""Experiments: who is exposed and when, which variant they get, and the relative lift
each variant plants on a behaviour. A user is exposed at their first session while the
experiment runs (the signup session for a user who joins then) and keeps the variant
until the experiment's last metric window closes; the lift applies from the day after
exposure. For truth, every exposed user's expected metrics under every variant: the
counterfactual means the marts' lifts estimate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from generator.behaviours.activity.simulate import UserDays
from generator.behaviours.events.simulate import transition_matrices
from generator.behaviours.experiments.chain import (
    changed_variants,
    session_expectations,
    with_changes,
)
from generator.behaviours.experiments.section import WINDOW_DAYS, WINDOWS, Experiment
from generator.behaviours.funnels.simulate import FunnelChances
from generator.behaviours.llm.simulate import RatedAnswers, expected_score
from generator.behaviours.subscriptions.simulate import Decisions
from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import timestamps
from generator.scenario import Scenario
from generator.section import present
from generator.state import Shard

# Per exposed user and variant (a ratio metric's denominator among them too).
METRICS = (
    "sessions",
    "retained_d7",
    "converted",
    "revenue",
    "active",
    "completed_funnel",
    "rating_sum",
    "ratings",
    "journey_sessions",  # sessions from the exposure day through the sessions window
    "journey_events",  # user actions in them
    "goal_sessions",  # sessions in that window reaching the goal event
    "goal_reached",  # the goal reached at least once in it
)


@dataclass(frozen=True)
class Journeys:
    """Every session of the shard, for the chain metrics of an experiment with a goal."""

    user: np.ndarray
    day: np.ndarray
    chain: np.ndarray  # events.chain_index, before any change
    slot: np.ndarray  # chain copy walked (experiments.chain.session_slots)
    first_event: np.ndarray
    extra: np.ndarray  # user actions logged in it besides its walk (funnel steps, adoptions)
    matrices: np.ndarray  # every chain, then each changed variant's copies
    n_chains: int


@dataclass(frozen=True)
class Exposures:
    """Exposed users of one experiment, in user order (shard-local user index)."""

    user: np.ndarray
    day: np.ndarray  # the exposure day
    variant: np.ndarray
    lost: np.ndarray  # the user's exposure logs never arrive


@dataclass(frozen=True)
class Lifts:
    """One behaviour's lift of one experiment, per variant (and hidden segment)."""

    base: np.ndarray  # (variant, segment)
    novelty: np.ndarray  # (variant,) extra lift on the day after exposure
    half_life: np.ndarray  # (variant,) days
    last_day: int  # the variant is withdrawn after this day

    def multiplier(self, variant: np.ndarray, segment: np.ndarray, days_since: np.ndarray):
        """1 + lift for days since exposure >= 1 while the variant is on, else 1."""
        on = (days_since >= 1) & (days_since <= self.last_day)
        fade = 0.5 ** ((np.maximum(days_since, 1) - 1) / self.half_life[variant])
        return np.where(on, 1.0 + self.base[variant, segment] + self.novelty[variant] * fade, 1.0)


def lifts(scenario: Scenario, cal: Calendar, exp: Experiment, behaviour: str) -> Lifts | None:
    segments = scenario.segment_names()
    variants = list(exp.variants)
    base = np.zeros((len(variants), len(segments)))
    novelty = np.zeros(len(variants))
    half_life = np.ones(len(variants))
    planted = False
    for v, name in enumerate(variants):
        effect = exp.effects.get(name, {}).get(behaviour)
        if effect is None:
            continue
        planted = True
        base[v] = [effect.segments.get(s, effect.lift) for s in segments]
        if effect.novelty is not None:
            novelty[v] = effect.novelty.lift
            half_life[v] = effect.novelty.half_life_days
    if not planted:
        return None
    return Lifts(base, novelty, half_life, (exp.end - cal.start).days + WINDOW_DAYS)


def expose(
    exp: Experiment,
    cal: Calendar,
    signup_day: np.ndarray,
    role: np.ndarray,
    role_names: list[str],
    days: UserDays,
    counts: np.ndarray,
    rng: np.random.Generator,
) -> Exposures:
    first, last = (exp.start - cal.start).days, (exp.end - cal.start).days
    n = len(signup_day)
    eligible = np.ones(n, dtype=bool)
    if exp.eligible.role is not None:
        eligible &= role == role_names.index(exp.eligible.role)
    joins = (signup_day >= first) & (signup_day <= last)
    day = np.where(joins, signup_day, -1).astype(np.int64)
    if not exp.eligible.new_users:
        seen = (counts > 0) & (days.day >= first) & (days.day <= last) & ~joins[days.user]
        users, at = np.unique(days.user[seen], return_index=True)
        day[users] = days.day[seen][at]
    user = np.flatnonzero(eligible & (day >= 0))
    weights = np.cumsum(list(exp.variants.values()))
    draw = rng.random(len(user))
    variant = np.minimum(np.searchsorted(weights, draw, side="right"), len(weights) - 1)
    lost_share = np.array([exp.lost_exposures.get(v, 0.0) for v in exp.variants])
    lost = rng.random(len(user)) < lost_share[variant]
    return Exposures(user, day[user], variant, lost)


def _per_user(exposures: Exposures, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exposure day and variant per user (-1 when not exposed)."""
    day = np.full(n, -1, dtype=np.int64)
    variant = np.full(n, -1, dtype=np.int64)
    day[exposures.user] = exposures.day
    variant[exposures.user] = exposures.variant
    return day, variant


def rate_multiplier(
    lift: Lifts, exposures: Exposures, segment: np.ndarray, user: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """The lift on (user, day) pairs from the variant each user got (1 if unexposed)."""
    exposed_day, variant = _per_user(exposures, len(segment))
    d, v = exposed_day[user], variant[user]
    since = np.where(d >= 0, day - d, 0)
    return lift.multiplier(np.maximum(v, 0), segment[user], since)


def experiment_funnel(scenario: Scenario) -> str | None:
    """The funnel whose completion the experiments measure: the first signup funnel."""
    return next((n for n, f in scenario.funnels.items() if f.entry == "signup"), None)


def funnel_step_lifts(scenario: Scenario, exp: Experiment) -> dict[str, np.ndarray]:
    """Per funnel: (variant, segment, later step) multipliers on the step rates."""
    segments = scenario.segment_names()
    out: dict[str, np.ndarray] = {}
    for v, variant in enumerate(exp.variants):
        effect = exp.effects.get(variant, {}).get("funnel_step")
        if effect is None:
            continue
        name, _, event = present(effect.step).partition(".")
        steps = [s.event for s in scenario.funnels[name].steps]
        m = out.setdefault(name, np.ones((len(exp.variants), len(segments), len(steps) - 1)))
        m[v, :, steps.index(event) - 1] = [
            1 + effect.segments.get(g, effect.lift) for g in segments
        ]
    return out


def exposed_at_signup(exposures: Exposures, signup_day: np.ndarray) -> np.ndarray:
    return exposures.day == signup_day[exposures.user]


def funnel_multipliers(s: Shard) -> dict[str, np.ndarray]:
    """Per signup funnel: (user, later step) multipliers on the step rates, for users
    exposed at signup to a variant with a funnel_step effect."""
    scenario, segment, signup_day = s.scenario, s.segment, s.signup_day
    out: dict[str, np.ndarray] = {}
    for exp, exposures in zip(scenario.experiments.values(), s.exposures, strict=True):
        for name, table in funnel_step_lifts(scenario, exp).items():
            steps = len(scenario.funnels[name].steps) - 1
            m = out.setdefault(name, np.ones((len(segment), steps)))
            at_signup = exposed_at_signup(exposures, signup_day)
            users = exposures.user[at_signup]
            m[users] *= table[exposures.variant[at_signup], segment[users]]
    return out


def combined_multiplier(treated: list[tuple[Lifts, Exposures]], segment: np.ndarray):
    """The combined lift of every experiment on one behaviour, per (user, day)."""

    def at(user: np.ndarray, day: np.ndarray) -> np.ndarray:
        m = np.ones(len(user))
        for lift, exposures in treated:
            m *= rate_multiplier(lift, exposures, segment, user, day)
        return m

    return at


def treat_sessions(
    lift: Lifts,
    exposures: Exposures,
    segment: np.ndarray,
    days: UserDays,
    counts: np.ndarray,
    rng: np.random.Generator,
) -> tuple[UserDays, np.ndarray]:
    """Treated days get the lifted rate and their session counts drawn again (a day's
    Poisson count is independent of the earlier days that fixed the exposure)."""
    m = rate_multiplier(lift, exposures, segment, days.user, days.day)
    changed = np.flatnonzero(m != 1.0)
    rate = days.rate.copy()
    rate[changed] *= m[changed]
    counts = counts.copy()
    counts[changed] = rng.poisson(rate[changed])
    return replace(days, rate=rate), counts


def expected_metrics(
    scenario: Scenario,
    exp_index: int,
    exposures: Exposures,
    segment: np.ndarray,
    days: UserDays,
    decisions: Decisions | None,
    cal: Calendar,
    funnel: FunnelChances | None,
    signup_day: np.ndarray,
    rated: RatedAnswers | None = None,
    journeys: Journeys | None = None,
) -> np.ndarray:
    """(exposed user, variant, metric): each metric's expectation had the user got that
    variant, all else (their activity, churn and plan path before exposure) as it was."""
    exp = list(scenario.experiments.values())[exp_index]
    n_variants = len(exp.variants)
    n = len(segment)
    row = np.full(n, -1, dtype=np.int64)
    row[exposures.user] = np.arange(len(exposures.user))
    out = np.zeros((len(exposures.user), n_variants, len(METRICS)))
    w = WINDOWS

    def counterfactual(lift: Lifts | None, user, day, value):
        """(pair, variant) values: the applied lift taken out, each variant's put in."""
        if lift is None:
            return np.repeat(value[:, None], n_variants, axis=1)
        applied = rate_multiplier(lift, exposures, segment, user, day)
        d = exposures.day[row[user]]
        per_variant = [
            lift.multiplier(np.full(len(user), v), segment[user], day - d)
            for v in range(n_variants)
        ]
        return (value / applied)[:, None] * np.column_stack(per_variant)

    session_lift = lifts(scenario, cal, exp, "session_rate")
    exposed = row[days.user]
    keep = exposed >= 0
    since = days.day[keep] - exposures.day[exposed[keep]]
    inside = (since >= 1) & (since <= w["conversion_days"])
    pick = np.flatnonzero(keep)[inside]
    since = since[inside]
    owner = exposed[pick]
    rate = counterfactual(session_lift, days.user[pick], days.day[pick], days.rate[pick])

    def by_owner(owner: np.ndarray, weights: np.ndarray, where: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [
                np.bincount(owner[where], weights=weights[where, v], minlength=len(out))
                for v in range(n_variants)
            ]
        )

    out[:, :, 0] = by_owner(owner, rate, since <= w["sessions_days"])
    out[:, :, 1] = by_owner(owner, -np.expm1(-rate), since == w["retention_day"])
    out[:, :, 4] = -np.expm1(-by_owner(owner, rate, np.ones(len(since), dtype=bool)))

    if decisions is not None:
        conversion_lift = lifts(scenario, cal, exp, "plan_conversion")
        exposed = row[decisions.user]
        keep = np.flatnonzero(exposed >= 0)
        since = decisions.day[keep] - exposures.day[exposed[keep]]
        inside = (since >= 1) & (since <= w["conversion_days"])
        pick = keep[inside]
        owner = exposed[pick]
        user, day = decisions.user[pick], decisions.day[pick]
        p = counterfactual(conversion_lift, user, day, decisions.p_convert[pick])
        paid = counterfactual(conversion_lift, user, day, decisions.converting_revenue[pick])
        paid += decisions.other_revenue[pick][:, None]
        everything = np.ones(len(pick), dtype=bool)
        out[:, :, 2] = by_owner(owner, p, everything)
        out[:, :, 3] = by_owner(owner, paid, everything)

    if rated is not None:
        exposed = row[rated.user]
        keep = np.flatnonzero(exposed >= 0)
        since = rated.day[keep] - exposures.day[exposed[keep]]
        pick = keep[(since >= 1) & (since <= w["sessions_days"])]
        owner = exposed[pick]
        mu = counterfactual(
            lifts(scenario, cal, exp, "answer_rating"),
            rated.user[pick],
            rated.day[pick],
            rated.mu[pick],
        )
        score = expected_score(mu, rated.sigma)[0]
        out[:, :, 6] = by_owner(owner, score, np.ones(len(pick), dtype=bool))
        out[:, :, 7] = np.bincount(owner, minlength=len(out))[:, None]

    if exp.goal is not None and journeys is not None:
        _journey_metrics(scenario, exp_index, exposures, journeys, row, out)

    name = experiment_funnel(scenario)
    if funnel is not None and name is not None:
        at_signup = np.flatnonzero(exposed_at_signup(exposures, signup_day))
        user = exposures.user[at_signup]
        table = funnel_step_lifts(scenario, exp).get(name)
        rates = funnel.rates[user]
        if table is not None:
            rates = rates / table[exposures.variant[at_signup], segment[user]]
        for v in range(n_variants):
            lifted = rates * (table[v, segment[user]] if table is not None else 1.0)
            out[at_signup, v, 5] = np.minimum(lifted, 1.0).prod(axis=1) * funnel.fits[user]
    return out


def _journey_metrics(
    scenario: Scenario,
    exp_index: int,
    exposures: Exposures,
    journeys: Journeys,
    row: np.ndarray,
    out: np.ndarray,
) -> None:
    """Each exposed user's sessions from the exposure day through the sessions window as
    they were, each walked under every variant's chain: expected user actions (the walk's
    expected length plus what else was logged in the session), expected sessions reaching
    the goal, and the chance of reaching it at least once. A session walking another
    experiment's changed chain keeps it."""
    exp = list(scenario.experiments.values())[exp_index]
    goal = scenario.event_names().index(present(exp.goal))
    walk, reach = session_expectations(journeys.matrices, goal)
    slots = changed_variants(scenario)
    experiment_of_slot = np.array([-1, *[e for e, _ in slots]])
    slot_of_variant = {v: k for k, (e, v) in enumerate(slots, start=1) if e == exp_index}
    owner_all = row[journeys.user]
    keep = np.flatnonzero(owner_all >= 0)
    since = journeys.day[keep] - exposures.day[owner_all[keep]]
    pick = keep[(since >= 0) & (since <= WINDOWS["sessions_days"])]
    owner = owner_all[pick]
    own = journeys.slot[pick]
    other = (own > 0) & (experiment_of_slot[own] != exp_index)
    first = journeys.first_event[pick]
    m = METRICS.index
    for v in range(len(exp.variants)):
        slot = np.where(other, own, slot_of_variant.get(v, 0))
        chain = journeys.chain[pick] + journeys.n_chains * slot
        events = walk[chain, first] + journeys.extra[pick]
        p = np.minimum(reach[chain, first], 1.0)
        out[:, v, m("journey_sessions")] = np.bincount(owner, minlength=len(out))
        out[:, v, m("journey_events")] = np.bincount(owner, weights=events, minlength=len(out))
        out[:, v, m("goal_sessions")] = np.bincount(owner, weights=p, minlength=len(out))
        never = np.bincount(owner, weights=np.log1p(-np.minimum(p, 1 - 1e-15)), minlength=len(out))
        out[:, v, m("goal_reached")] = -np.expm1(never)


def journeys(s: Shard) -> Journeys | None:
    """The sessions as the chain metrics need them, when an experiment has a goal."""
    if not any(exp.goal is not None for exp in s.scenario.experiments.values()):
        return None
    base = transition_matrices(s.scenario)
    in_session = s.event_session[s.event_session >= 0]
    logged = np.bincount(in_session, minlength=s.n_sessions)
    return Journeys(
        user=s.session_user,
        day=s.session_day,
        chain=s.session_chain,
        slot=s.session_slot,
        first_event=s.session_first_event,
        extra=logged - s.session_walk_events,
        matrices=with_changes(s.scenario, base),
        n_chains=len(base),
    )


def draw(s: Shard) -> None:
    """Users exposed at their first session in each experiment's window, assigned a
    variant; a session-rate effect lifts their sessions from the next day."""
    s.exposures, s.conversion_lifts, s.rating_lifts = [], [], []
    for exp in s.scenario.experiments.values():
        exposed = expose(
            exp,
            s.cal,
            s.signup_day,
            s.role_of_segment[s.segment],
            s.role_names,
            s.days,
            s.counts,
            s.rng["experiments"],
        )
        s.exposures.append(exposed)
        lift = lifts(s.scenario, s.cal, exp, "session_rate")
        if lift is not None:
            s.days, s.counts = treat_sessions(
                lift, exposed, s.segment, s.days, s.counts, s.rng["experiments"]
            )
        lift = lifts(s.scenario, s.cal, exp, "plan_conversion")
        if lift is not None:
            s.conversion_lifts.append((lift, exposed))
        lift = lifts(s.scenario, s.cal, exp, "answer_rating")
        if lift is not None:
            s.rating_lifts.append((lift, exposed))


def rating_multiplier(s: Shard) -> Callable[[np.ndarray], np.ndarray] | None:
    """The experiments' lift on the rating of each event (by index), if any lifts it."""
    if not s.rating_lifts:
        return None
    by_experiments = combined_multiplier(s.rating_lifts, s.segment)
    event_user = s.session_user[s.event_session]
    event_ms = s.event_ms
    return lambda e: by_experiments(event_user[e], event_ms[e] // MS_PER_DAY)


def log(s: Shard) -> None:
    tables = _experiment_tables(
        s.scenario,
        s.cal,
        s.exposures,
        s.segment,
        s.days,
        s.history.every_decision if s.history is not None else None,
        s.funnel_run.chances.get(funnel) if (funnel := experiment_funnel(s.scenario)) else None,
        s.rated,
        s.signup_day,
        journeys(s),
        s.session_user,
        s.session_day,
        s.session_opened_ms,
        s.user_id,
    )
    if tables["exposures"] is not None:
        s.raw["experiment_exposures"] = tables["exposures"]
        s.raw["experiment_assignments"] = tables["assignment_log"]
        s.truth["experiment_assignments"] = tables["assignments"]
    s.sums["experiment_sums"] = tables["experiment_sums"]


def _experiment_tables(
    scenario: Scenario,
    cal: Calendar,
    exposures: list[Exposures],
    segment: np.ndarray,
    days: UserDays,
    decisions: Decisions | None,
    funnel: FunnelChances | None,
    rated: RatedAnswers | None,
    signup_day: np.ndarray,
    journeys: Journeys | None,
    session_user: np.ndarray,
    session_day: np.ndarray,
    session_opened_ms: np.ndarray,
    user_id: np.ndarray,
) -> dict:
    """Exposure logs as a feature-flag SDK sends them (every session of an exposed user
    while the experiment runs, unless the user's logs are lost), every assignment, and
    per hidden segment the counterfactual metric sums of the exposed users."""
    if not exposures:
        return {
            "exposures": None,
            "assignments": None,
            "assignment_log": None,
            "experiment_sums": {},
        }
    names = list(scenario.experiments)
    logs, assigned, registry, sums = [], [], [], {}
    n_segments = len(scenario.segment_names())
    for e, (name, exp, exposed) in enumerate(
        zip(names, scenario.experiments.values(), exposures, strict=True)
    ):
        variants = list(exp.variants)
        exposed_day = np.full(len(segment), -1, dtype=np.int64)
        exposed_day[exposed.user[~exposed.lost]] = exposed.day[~exposed.lost]
        variant = np.zeros(len(segment), dtype=np.int64)
        variant[exposed.user] = exposed.variant
        d = exposed_day[session_user]
        last = (exp.end - cal.start).days
        logged = np.flatnonzero((d >= 0) & (session_day >= d) & (session_day <= last))
        u = session_user[logged]
        logs.append(
            pa.table(
                {
                    "user_id": pa.array(user_id[u]),
                    "experiment_key": pa.array(np.full(len(u), name)),
                    "variant": pa.array(np.asarray(variants)[variant[u]]),
                    "exposed_at": timestamps(cal, session_opened_ms[logged]),
                }
            )
        )
        # the flag service assigns at the first session of the exposure day, lost or not
        key = session_user.astype(np.int64) * (1 << 20) + session_day
        first = np.searchsorted(key, exposed.user.astype(np.int64) * (1 << 20) + exposed.day)
        registry.append(
            pa.table(
                {
                    "user_id": pa.array(user_id[exposed.user]),
                    "experiment_key": pa.array(np.full(len(exposed.user), name)),
                    "variant": pa.array(np.asarray(variants)[exposed.variant]),
                    "assigned_at": timestamps(cal, session_opened_ms[first]),
                }
            )
        )
        assigned.append(
            pa.table(
                {
                    "user_id": pa.array(user_id[exposed.user]),
                    "experiment_key": pa.array(np.full(len(exposed.user), name)),
                    "variant": pa.array(np.asarray(variants)[exposed.variant]),
                    "exposed_on": pa.array(np.datetime64(cal.start, "D") + exposed.day),
                    "is_logged": pa.array(~exposed.lost),
                }
            )
        )
        expected = expected_metrics(
            scenario, e, exposed, segment, days, decisions, cal, funnel, signup_day, rated,
            journeys,
        )  # fmt: skip
        seg = segment[exposed.user]
        sums[name] = {
            "users": np.bincount(seg, minlength=n_segments).astype(float),
            "expected": np.stack([expected[seg == s].sum(axis=0) for s in range(n_segments)]),
        }
    order = [("user_id", "ascending"), ("exposed_at", "ascending")]
    return {
        "exposures": pa.concat_tables(logs).sort_by(order),
        "assignments": pa.concat_tables(assigned),
        "assignment_log": pa.concat_tables(registry).sort_by(
            [("user_id", "ascending"), ("assigned_at", "ascending")]
        ),
        "experiment_sums": sums,
    }


def reference_tables(scenario: Scenario, cal: Calendar) -> dict[str, pa.Table]:
    """What the feature-flag system keeps about the world: the experiments' definitions."""
    return {"experiments": _experiment_registry(scenario)} if scenario.experiments else {}


def _experiment_registry(scenario: Scenario) -> pa.Table:
    """The feature-flag system's experiment definitions: every variant and its weight."""
    rows = [
        (name, i, variant, weight, exp.start, exp.end, exp.goal)
        for name, exp in scenario.experiments.items()
        for i, (variant, weight) in enumerate(exp.variants.items())
    ]
    cols = list(zip(*rows, strict=True))
    return pa.table(
        {
            "experiment_key": list(cols[0]),
            "variant_index": pa.array(cols[1], type=pa.int32()),
            "variant": list(cols[2]),
            "weight": pa.array(cols[3], type=pa.float64()),
            "starts_on": pa.array(cols[4], type=pa.date32()),
            "ends_on": pa.array(cols[5], type=pa.date32()),
            "goal_event": pa.array(cols[6], type=pa.string()),
        }
    )
