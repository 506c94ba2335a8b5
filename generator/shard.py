"""One shard of users simulated end to end: the dynamics composed into raw rows, per-user
truth, and the shard's share of the expected curves that the recovery tests use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generator.calendar import MS_PER_DAY, Calendar
from generator.dynamics import (
    adoption,
    arrivals,
    churn,
    events,
    experiments,
    funnels,
    lifecycle,
    llm,
    marketing,
    segments,
    sessions,
    subscriptions,
)
from generator.dynamics.vintage import cohort_factor
from generator.scenario import Scenario, present
from generator.schema import INACTIVE_DAYS_FOR_CHURN, RETENTION_PERIODS

# Fixed streams per dynamic inside a shard: adding a dynamic appends, never reorders.
STREAMS = (
    "segments",
    "attributes",
    "activity",
    "churn",
    "sessions",
    "events",
    "identity",
    "billing",
    "funnels",
    "lifecycle",
    "llm",
    "experiments",
    "adoption",
    "marketing",
)


@dataclass
class ShardResult:
    index: int
    users: pa.Table
    events: pa.Table  # without ids: the run numbers events and sessions across shards
    event_session: np.ndarray  # shard-local session index of each event
    n_sessions: int
    truth_users: pa.Table
    daily: dict[str, np.ndarray]
    retention: dict[str, dict[str, np.ndarray]]
    funnel_truth: pa.Table
    lifecycle_truth: pa.Table
    llm_responses: pa.Table | None  # without ids
    llm_rating_sums: dict[str, np.ndarray]  # truth: (model, feature, role) rating sums
    exposures: pa.Table | None  # raw exposure logs, without ids
    assignments: pa.Table | None  # truth: every exposed user's variant
    experiment_sums: dict[str, dict[str, np.ndarray]]  # truth: counterfactual metric sums
    adoption: dict[str, np.ndarray]  # truth: (feature, day) expected adopters
    touches: pa.Table | None  # raw marketing touches, without ids
    marketing: dict[str, np.ndarray]  # truth: expected touches and conversions they drive
    billing: dict[str, pa.Table]  # raw billing tables, without ids
    transitions: dict[str, np.ndarray]  # truth: summed chances of plan decisions


def shard_streams(seed: int, shard_index: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed, spawn_key=(1, shard_index)).spawn(len(STREAMS))
    return {
        name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)
    }


def _timestamps(cal: Calendar, ms_since_start: np.ndarray) -> pa.Array:
    return pa.array(ms_since_start + cal.epoch_seconds * 1000, type=pa.timestamp("ms"))


def _optional_timestamps(cal: Calendar, days: np.ndarray) -> pa.Array:
    inside = np.isfinite(days) & (days < cal.days)
    ms = np.where(inside, np.round(days * MS_PER_DAY), 0).astype(np.int64)
    return pa.array(ms + cal.epoch_seconds * 1000, type=pa.timestamp("ms"), mask=~inside)


def _dictionary(codes: np.ndarray, names: Sequence[str | None]) -> pa.Array:
    """Codes into strings; a None name reads as null."""
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int16, copy=False)), pa.array(list(names), type=pa.string())
    )


def simulate_shard(
    scenario: Scenario,
    seed: int,
    shard_index: int,
    first_user_id: int,
    signup_day: np.ndarray,
    name_pool: list[str],
) -> ShardResult:
    cal = Calendar.of(scenario)
    rng = shard_streams(seed, shard_index)
    n = len(signup_day)
    user_id = np.arange(first_user_id, first_user_id + n, dtype=np.int64)

    # --- who the users are ------------------------------------------------------------
    segment = segments.draw_segments(scenario, n, rng["segments"])
    attributes = segments.draw_attributes(scenario, segment, rng["attributes"])
    role_names, role_of_segment = segments.roles(scenario)
    multiplier = segments.activity_multipliers(scenario, segment, rng["activity"])
    signup_seconds = arrivals.draw_seconds_of_day(
        scenario.arrivals.hour_weights, n, rng["activity"]
    )
    signup_ms = signup_day.astype(np.int64) * MS_PER_DAY + signup_seconds * 1000
    spells = churn.draw_spells(scenario, segment, signup_ms / MS_PER_DAY, rng["churn"])
    adopted = adoption.draw(scenario, cal, signup_ms, spells, rng["adoption"])
    touches = None
    if scenario.marketing is not None:
        touches = marketing.draw_touches(scenario, cal, signup_ms, spells, rng["marketing"])
    adopted_at = np.full((len(scenario.adoption), n), np.iinfo(np.int64).max)
    adopted_at[adopted.feature, adopted.user] = adopted.at_ms

    # --- when they are active, and in which lifecycle stage ------------------------------
    days = sessions.user_days(scenario, cal, signup_day, multiplier, spells)
    paths, day_visit = None, None
    day_stage, initial = np.zeros(len(days.user), dtype=np.int64), 0  # one unnamed stage
    if scenario.lifecycle is not None:
        paths = lifecycle.draw_paths(scenario, signup_day, cal.days, rng["lifecycle"])
        visit = lifecycle.stage_on(paths, days.user, days.day, cal.days)
        days, kept = days.scaled(lifecycle.activity(scenario)[paths.stage[visit]])
        day_visit = visit[kept]
        day_stage = paths.stage[day_visit]
        initial = scenario.stage_names().index(scenario.lifecycle.initial)
    counts = sessions.draw_session_counts(days, rng["sessions"])

    # --- experiments: exposed at the first session in the window, lifted from the next day
    exposures: list[experiments.Exposures] = []
    conversion_lifts, rating_lifts = [], []
    for exp in scenario.experiments.values():
        exposed = experiments.expose(
            exp,
            cal,
            signup_day,
            role_of_segment[segment],
            role_names,
            days,
            counts,
            rng["experiments"],
        )
        exposures.append(exposed)
        lift = experiments.lifts(scenario, cal, exp, "session_rate")
        if lift is not None:
            days, counts = experiments.treat_sessions(
                lift, exposed, segment, days, counts, rng["experiments"]
            )
        lift = experiments.lifts(scenario, cal, exp, "plan_conversion")
        if lift is not None:
            conversion_lifts.append((lift, exposed))
        lift = experiments.lifts(scenario, cal, exp, "answer_rating")
        if lift is not None:
            rating_lifts.append((lift, exposed))
    sess_user = np.repeat(days.user, counts)
    sess_seconds = arrivals.draw_seconds_of_day(
        scenario.arrivals.hour_weights, len(sess_user), rng["sessions"]
    )
    sess_start = np.repeat(days.day.astype(np.int64), counts) * MS_PER_DAY + sess_seconds * 1000
    # The signup happens in each user's first session.
    all_user = np.concatenate([np.arange(n, dtype=np.int32), sess_user])
    all_start = np.concatenate([signup_ms, sess_start])
    names = scenario.event_names()
    first_event = np.concatenate(
        [
            np.full(n, names.index(scenario.events.signup), dtype=np.int16),
            np.full(len(sess_user), names.index(scenario.events.session_start), dtype=np.int16),
        ]
    )
    all_stage = np.concatenate([np.full(n, initial), np.repeat(day_stage, counts)])
    order = np.lexsort((all_start, all_user))
    all_user, all_start, first_event = all_user[order], all_start[order], first_event[order]
    all_day = all_start // MS_PER_DAY
    # sessions after a user adopted a feature walk the chain with the feature's rows
    mask = (all_start[None, :] >= adopted_at[:, all_user]) << np.arange(len(adopted_at))[:, None]
    chain = events.chain_index(
        segment[all_user],
        all_stage[order],
        len(scenario.stage_names()),
        mask.sum(axis=0),
        len(scenario.adoption),
    )
    n_sessions = len(all_user)

    # --- what they do -------------------------------------------------------------------
    matrices = events.transition_matrices(scenario)
    ev_session, ev_code = events.walk_sessions(matrices, chain, first_event, rng["events"])
    gaps = events.event_gaps_ms(scenario, ev_code, rng["events"])
    offset, length = events.offsets_in_session(ev_session, gaps, n_sessions)
    opened = events.keep_in_day(all_start, length)  # when the app asks for feature flags
    start = events.separate_sessions(all_user, opened, length)
    features = [e.feature for e in scenario.events.catalog.values()]
    # The extract ends with the timeframe: drop what spills past midnight of the last day.
    event_ms = start[ev_session] + offset
    inside = event_ms < cal.days * MS_PER_DAY
    if not inside.all():
        ev_session, ev_code, gaps, event_ms = (
            ev_session[inside],
            ev_code[inside],
            gaps[inside],
            event_ms[inside],
        )

    # --- the model's answers to the requests among them -----------------------------------
    llm_responses, rated = None, None
    rating_sums: dict[str, np.ndarray] = {}
    if scenario.llm is not None:
        session_user = all_user[ev_session]
        by_experiments = experiments.combined_multiplier(rating_lifts, segment)
        answers = llm.answer(
            scenario,
            cal,
            ev_session,
            ev_code,
            event_ms,
            role_of_segment[segment[session_user]],
            role_names,
            rng["llm"],
            (lambda e: by_experiments(session_user[e], event_ms[e] // MS_PER_DAY))
            if rating_lifts
            else None,
        )
        asked = answers.event
        llm_responses = _llm_table(
            scenario, cal, answers, user_id[session_user[asked]], event_ms[asked]
        )
        rated, rating_sums = _rated_answers(
            scenario, answers, session_user, event_ms, role_of_segment[segment], role_names
        )

    # The account exists from the signup event as logged (its session may have moved).
    is_signup = first_event == names.index(scenario.events.signup)
    signed_up_ms = np.empty(n, dtype=np.int64)
    signed_up_ms[all_user[is_signup]] = start[is_signup]

    # --- plans, then funnels: step events, each logged as a one-event session -------------
    history = None
    decision_time = subscriptions.decision_times(signup_day, signed_up_ms)
    if scenario.subscriptions is not None:
        history = subscriptions.simulate(
            scenario,
            cal.days,
            signup_day,
            signed_up_ms,
            segment,
            spells,
            rng["billing"],
            _conversion_lift(scenario, conversion_lifts, touches, segment, decision_time),
        )
    run = funnels.simulate(
        scenario,
        cal.days,
        signed_up_ms,
        segment,
        rng["funnels"],
        history.free_plan if history is not None else None,
        experiments.funnel_multipliers(scenario, exposures, segment, signup_day),
    )
    # and adoptions, each its own one-event session too
    adoption_code = np.array([names.index(a.event) for a in scenario.adoption.values()], dtype=int)
    forced_user = np.concatenate([run.event_user, adopted.user]).astype(np.int64)
    forced_ms = np.concatenate([run.event_ms, adopted.at_ms]).astype(np.int64)
    n_funnel = len(run.event_user)
    event_user = np.concatenate([all_user[ev_session], forced_user]).astype(np.int64)
    ev_code = np.concatenate([ev_code, run.event_code + len(names), adoption_code[adopted.feature]])
    event_ms = np.concatenate([event_ms, forced_ms])
    gaps = np.concatenate(
        [
            gaps,
            events.event_gaps_ms(scenario, np.zeros(n_funnel, dtype=np.int64), rng["funnels"]),
            events.event_gaps_ms(scenario, adoption_code[adopted.feature], rng["adoption"]),
        ]
    )
    ev_session = np.concatenate([ev_session, n_sessions + np.arange(len(forced_user))])
    n_sessions += len(forced_user)
    all_names = [*names, *scenario.funnel_events()]
    all_features = [*features, *[None] * len(scenario.funnel_events())]

    events_table = pa.table(
        {
            "user_id": pa.array(user_id[event_user]),
            "event_name": _dictionary(ev_code, all_names),
            "feature": _dictionary(ev_code, all_features),
            "event_at": _timestamps(cal, event_ms),
            "duration_ms": pa.array(gaps.astype(np.int32)),
        }
    )

    # --- raw users --------------------------------------------------------------------------
    pool = np.asarray(name_pool, dtype=str)
    handle = pool[rng["identity"].integers(0, len(pool), size=n)]
    emails = np.char.add(np.char.add(handle, user_id.astype(str)), "@example.com")
    users_table = pa.table(
        {
            "user_id": pa.array(user_id),
            "signed_up_at": _timestamps(cal, signed_up_ms),
            "email": pa.array(emails, type=pa.string()),
            "role": _dictionary(role_of_segment[segment], role_names),
            **{
                name: _dictionary(codes, scenario.attributes[name].values)
                for name, codes in attributes.items()
            },
        }
    )

    # --- truth ----------------------------------------------------------------------------
    # Days a funnel step makes a user active for sure (besides the signup day).
    forced_user, forced_day = _forced_days(forced_user, forced_ms, signup_day, cal.days)
    final_window = days.day >= cal.days - INACTIVE_DAYS_FOR_CHURN
    final_rate = np.bincount(days.user[final_window], weights=days.rate[final_window], minlength=n)
    silent_for_sure = (
        np.bincount(forced_user[forced_day >= cal.days - INACTIVE_DAYS_FOR_CHURN], minlength=n) == 0
    )
    p_inactive = (
        np.exp(-final_rate) * (signup_day < cal.days - INACTIVE_DAYS_FOR_CHURN) * silent_for_sure
    )
    truth_users = pa.table(
        {
            "user_id": pa.array(user_id),
            "segment": _dictionary(segment, scenario.segment_names()),
            "activity_multiplier": pa.array(multiplier),
            "cohort_factor": pa.array(cohort_factor(scenario, signup_day)),
            "churned_at": _optional_timestamps(cal, spells.churned_at),
            "returned_at": _optional_timestamps(cal, spells.returned_at),
            "churned_again_at": _optional_timestamps(cal, spells.churned_again_at),
            "p_inactive_final_28d": pa.array(p_inactive),
        }
    )

    billing, transitions = billing_tables(scenario, cal, history, user_id)
    return ShardResult(
        index=shard_index,
        users=users_table,
        events=events_table,
        event_session=ev_session,
        n_sessions=n_sessions,
        truth_users=truth_users,
        daily=expected_daily_activity(
            cal, days, signup_day, forced_user, forced_day, forced_ms // MS_PER_DAY
        ),
        retention=expected_retention(cal, days, signup_day, forced_user, forced_day),
        funnel_truth=_funnel_truth(scenario, run, user_id),
        lifecycle_truth=_lifecycle_truth(
            scenario, cal, paths, day_visit, days, signed_up_ms, user_id
        ),
        llm_responses=llm_responses,
        llm_rating_sums=rating_sums,
        **_experiment_tables(
            scenario,
            cal,
            exposures,
            segment,
            days,
            history.every_decision if history is not None else None,
            run.chances.get(funnel)
            if (funnel := experiments.experiment_funnel(scenario))
            else None,
            rated,
            signup_day,
            all_user,
            all_day,
            opened,
            user_id,
        ),
        adoption=adopted.expected,
        **_marketing_tables(
            scenario,
            cal,
            touches,
            history.every_decision if history is not None else None,
            decision_time,
            user_id,
        ),
        billing=billing,
        transitions=transitions,
    )


def _conversion_lift(scenario, conversion_lifts, touches, segment, decision_time):
    """The multiplier on plan conversion chances: experiments' lifts times marketing's."""
    if not conversion_lifts and touches is None:
        return None
    by_experiments = experiments.combined_multiplier(conversion_lifts, segment)

    def at(user: np.ndarray, day: np.ndarray) -> np.ndarray:
        m = by_experiments(user, day)
        if touches is not None:
            window = marketing.window_strength(scenario, touches, user, decision_time(user, day))
            m = m * marketing.lift(scenario, window.strength.sum(axis=0))
        return m

    return at


def _marketing_tables(
    scenario: Scenario,
    cal: Calendar,
    touches: marketing.Touches | None,
    decisions: experiments.Decisions | None,
    decision_time,
    user_id: np.ndarray,
) -> dict:
    """Touches as the ad platforms report them, and for truth per channel and day the
    expected touches and the conversions its touches caused (what removing it would
    cost), and per count of touches in the window the expected conversions."""
    if touches is None or decisions is None:
        return {"touches": None, "marketing": {}}
    pairs = marketing.campaigns(scenario)
    table = pa.table(
        {
            "user_id": pa.array(user_id[touches.user]),
            "channel": _dictionary(touches.channel, list(present(scenario.marketing).channels)),
            "campaign": _dictionary(touches.campaign, [name for _, name in pairs]),
            "touched_at": _timestamps(cal, touches.at_ms),
        }
    )
    free = np.flatnonzero(decisions.p_convert > 0)
    user, day, p = decisions.user[free], decisions.day[free], decisions.p_convert[free]
    window = marketing.window_strength(scenario, touches, user, decision_time(user, day))
    total = window.strength.sum(axis=0)
    base = p / marketing.lift(scenario, total)
    removal = np.array(
        [
            np.bincount(
                day,
                weights=base
                * (marketing.lift(scenario, total) - marketing.lift(scenario, total - s_c)),
                minlength=cal.days,
            )
            for s_c in window.strength
        ]
    )
    bucket = np.minimum(window.touches, marketing.MAX_TOUCH_BUCKET)
    width = marketing.MAX_TOUCH_BUCKET + 1
    return {
        "touches": table,
        "marketing": {
            "expected_touches": touches.expected,
            "removal_conversions": removal,
            "decisions": np.bincount(bucket, minlength=width).astype(float),
            "expected_conversions": np.bincount(bucket, weights=p, minlength=width),
            "conversion_variance": np.bincount(bucket, weights=p * (1 - p), minlength=width),
            "baseline_conversions": np.bincount(bucket, weights=base, minlength=width),
        },
    }


def _experiment_tables(
    scenario: Scenario,
    cal: Calendar,
    exposures: list[experiments.Exposures],
    segment: np.ndarray,
    days: sessions.UserDays,
    decisions: experiments.Decisions | None,
    funnel: experiments.FunnelChances | None,
    rated: experiments.RatedAnswers | None,
    signup_day: np.ndarray,
    session_user: np.ndarray,
    session_day: np.ndarray,
    session_opened_ms: np.ndarray,
    user_id: np.ndarray,
) -> dict:
    """Exposure logs as a feature-flag SDK sends them (every session of an exposed user
    while the experiment runs, unless the user's logs are lost), every assignment, and
    per hidden segment the counterfactual metric sums of the exposed users."""
    if not exposures:
        return {"exposures": None, "assignments": None, "experiment_sums": {}}
    names = list(scenario.experiments)
    logs, assigned, sums = [], [], {}
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
                    "exposed_at": _timestamps(cal, session_opened_ms[logged]),
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
        expected = experiments.expected_metrics(
            scenario, e, exposed, segment, days, decisions, cal, funnel, signup_day, rated
        )
        seg = segment[exposed.user]
        sums[name] = {
            "users": np.bincount(seg, minlength=n_segments).astype(float),
            "expected": np.stack([expected[seg == s].sum(axis=0) for s in range(n_segments)]),
        }
    order = [("user_id", "ascending"), ("exposed_at", "ascending")]
    return {
        "exposures": pa.concat_tables(logs).sort_by(order),
        "assignments": pa.concat_tables(assigned),
        "experiment_sums": sums,
    }


def _rated_answers(
    scenario: Scenario,
    answers: llm.Answers,
    session_user: np.ndarray,
    event_ms: np.ndarray,
    role: np.ndarray,
    roles: list[str],
) -> tuple[experiments.RatedAnswers, dict[str, np.ndarray]]:
    """Every rated answer for the experiments' truth, and per model x feature x role the
    ratings with the sum of their expected scores and variances (lifts applied)."""
    llm_spec = present(scenario.llm)
    rated = np.flatnonzero(answers.rating > 0)
    event = answers.event[rated]
    user = session_user[event]
    mu = answers.mu[rated]
    sigma = llm_spec.rating_sigma
    mean, variance = llm.expected_score(mu, sigma)
    shape = (len(llm_spec.models), len(scenario.llm_features()), len(roles))
    cell = np.ravel_multi_index((answers.model[rated], answers.feature[rated], role[user]), shape)
    size = int(np.prod(shape))
    sums = {
        "ratings": np.bincount(cell, minlength=size).reshape(shape).astype(float),
        "expected_sum": np.bincount(cell, weights=mean, minlength=size).reshape(shape),
        "variance_sum": np.bincount(cell, weights=variance, minlength=size).reshape(shape),
    }
    return experiments.RatedAnswers(user, event_ms[event] // MS_PER_DAY, mu, sigma), sums


def _llm_table(
    scenario: Scenario,
    cal: Calendar,
    answers: llm.Answers,
    asked_by: np.ndarray,
    asked_ms: np.ndarray,
) -> pa.Table:
    """Answers as the LLM gateway logs them: one row per request, its rating if any."""
    rated = answers.rating > 0
    flagged = answers.flag_source > 0
    return pa.table(
        {
            "user_id": pa.array(asked_by),
            "feature": _dictionary(answers.feature, scenario.llm_features()),
            "model_version": _dictionary(answers.model, list(present(scenario.llm).models)),
            "requested_at": _timestamps(cal, asked_ms),
            "latency_ms": pa.array(answers.latency_ms),
            "rating": pa.array(answers.rating.astype(np.int32), mask=~rated),
            "hallucination_flag": pa.array(flagged),
            "flag_source": _dictionary(answers.flag_source, llm.FLAG_SOURCES),
        }
    )


def _funnel_truth(scenario: Scenario, run: funnels.FunnelRun, user_id: np.ndarray) -> pa.Table:
    """Each step a user had a chance of reaching: the summed chance and whether they did."""
    funnel_names = list(scenario.funnels)
    step_events = [s.event for f in scenario.funnels.values() for s in f.steps]
    first_step = np.cumsum([0, *[len(f.steps) for f in scenario.funnels.values()]])[:-1]
    step_code = first_step[run.truth_funnel] + run.truth_step - 1
    return pa.table(
        {
            "user_id": pa.array(user_id[run.truth_user]),
            "funnel_name": _dictionary(run.truth_funnel, funnel_names),
            "step_number": pa.array(run.truth_step.astype(np.int32)),
            "event_name": _dictionary(step_code, step_events),
            "expected_reach": pa.array(run.truth_expected),
            "variance": pa.array(run.truth_variance),
            "is_reached": pa.array(run.truth_reached),
        }
    )


def _lifecycle_truth(
    scenario: Scenario,
    cal: Calendar,
    paths: lifecycle.StagePaths | None,
    day_visit: np.ndarray | None,
    days: sessions.UserDays,
    signed_up_ms: np.ndarray,
    user_id: np.ndarray,
) -> pa.Table:
    """Every stage visit, with the sessions its days at risk are expected to open."""
    if paths is None or day_visit is None:
        return pa.table({})
    entered_ms = np.where(
        paths.visit == 1, signed_up_ms[paths.user], paths.entered_day * MS_PER_DAY
    )
    ends = paths.left_day < cal.days
    left_ms = np.where(ends, paths.left_day, 0) * MS_PER_DAY + cal.epoch_seconds * 1000
    return pa.table(
        {
            "user_id": pa.array(user_id[paths.user]),
            "visit_number": pa.array(paths.visit.astype(np.int32)),
            "stage": _dictionary(paths.stage, scenario.stage_names()),
            "entered_at": _timestamps(cal, entered_ms),
            "left_at": pa.array(left_ms, type=pa.timestamp("ms"), mask=~ends),
            "expected_sessions": pa.array(
                np.bincount(day_visit, weights=days.rate, minlength=len(paths.user))
            ),
        }
    )


def billing_tables(
    scenario: Scenario,
    cal: Calendar,
    history: subscriptions.BillingHistory | None,
    user_id: np.ndarray,
) -> tuple[dict[str, pa.Table], dict[str, np.ndarray]]:
    """Plan changes and invoices as the billing system logs them, ordered by user and time."""
    if history is None:
        return {}, {}
    subs = present(scenario.subscriptions)
    plans = list(subs.plans)
    start = np.datetime64(cal.start, "D")
    c = np.lexsort((history.change_at_ms, history.change_user))
    i = np.lexsort((history.invoice_at_ms, history.invoice_user))
    plan = history.invoice_plan[i]
    price = np.array([subs.plans[p].price for p in plans])
    interval = [subs.plans[p].interval for p in plans]
    tables = {
        "subscription_changes": pa.table(
            {
                "user_id": pa.array(user_id[history.change_user[c]]),
                "changed_at": _timestamps(cal, history.change_at_ms[c]),
                "from_plan": _dictionary(history.change_from[c], plans),
                "to_plan": _dictionary(history.change_to[c], plans),
                "reason": _dictionary(history.change_reason[c], subscriptions.REASONS),
            }
        ),
        "invoices": pa.table(
            {
                "user_id": pa.array(user_id[history.invoice_user[i]]),
                "plan": _dictionary(plan, plans),
                "billing_interval": _dictionary(plan, interval),
                "amount": pa.array(price[plan]),
                "currency": pa.array(np.full(len(plan), subs.currency)),
                "period_start": pa.array(start + history.invoice_start_day[i]),
                "period_end": pa.array(start + history.invoice_end_day[i]),
                "issued_at": _timestamps(cal, history.invoice_at_ms[i]),
                "status": _dictionary(history.invoice_paid[i].astype(np.int16), ["failed", "paid"]),
            }
        ),
    }
    truth = {
        "expected_transitions": history.expected_transitions,
        "transition_variance": history.transition_variance,
        "decisions": history.decisions,
        "billed_decisions": history.billed_decisions,
        "expected_billed": history.expected_billed,
        "billed_variance": history.billed_variance,
    }
    return tables, truth


def _forced_days(user: np.ndarray, at_ms: np.ndarray, signup_day: np.ndarray, days: int):
    """Unique (user, day) pairs with a funnel step or adoption event, other than the
    signup day."""
    key = np.unique(user * days + at_ms // MS_PER_DAY)
    user, day = key // days, key % days
    keep = day != signup_day[user]
    return user[keep], day[keep]


def expected_daily_activity(
    cal: Calendar,
    days: sessions.UserDays,
    signup_day: np.ndarray,
    forced_user: np.ndarray,
    forced_day: np.ndarray,
    forced_session_day: np.ndarray,
) -> dict[str, np.ndarray]:
    """Sum over users of P(active that day) and its variance, with and without anomalies.
    A user is active for sure on the signup day and on days of a funnel step or adoption."""
    p = -np.expm1(-days.rate)
    signups = np.bincount(signup_day, minlength=cal.days).astype(float)

    def by_day(w: np.ndarray, where: np.ndarray | slice = slice(None)) -> np.ndarray:
        return np.bincount(days.day[where], weights=w, minlength=cal.days)

    def on(day: np.ndarray, w: np.ndarray | float) -> np.ndarray:
        return np.bincount(day, weights=np.broadcast_to(w, day.shape), minlength=cal.days)

    with np.errstate(divide="ignore", invalid="ignore"):
        base_rate = np.where(days.anomaly > 0, days.rate / days.anomaly, 0.0)
    p0 = -np.expm1(-base_rate)
    # a forced day lifts P(active) to 1: on a day at risk, by 1 - p; otherwise by 1
    key = days.user.astype(np.int64) * cal.days + days.day
    at = np.searchsorted(key, forced_user * cal.days + forced_day)
    hit = at < len(key)
    hit[hit] = key[at[hit]] == (forced_user * cal.days + forced_day)[hit]
    idx, hit_day, miss_day = at[hit], forced_day[hit], forced_day[~hit]
    lift = on(miss_day, 1.0)
    return {
        "expected_dau": by_day(p) + signups + lift + on(hit_day, 1 - p[idx]),
        "dau_variance": by_day(p * (1 - p)) - on(hit_day, p[idx] * (1 - p[idx])),
        "baseline_dau": by_day(p0) + signups + lift + on(hit_day, 1 - p0[idx]),
        "baseline_dau_variance": by_day(p0 * (1 - p0)) - on(hit_day, p0[idx] * (1 - p0[idx])),
        "expected_sessions": by_day(days.rate)
        + signups
        + on(forced_session_day.astype(np.int64), 1.0),
    }


def expected_retention(
    cal: Calendar,
    days: sessions.UserDays,
    signup_day: np.ndarray,
    forced_user: np.ndarray,
    forced_day: np.ndarray,
) -> dict[str, dict[str, np.ndarray]]:
    """Per period type, (cohort month x period number) sums of P(retained) and variance,
    over users whose period has fully elapsed (matured), for 'on' and 'on or after'."""
    n = len(signup_day)
    cohort = cal.month_index[signup_day]
    n_cohorts = int(cal.month_index[-1]) + 1
    out = {}
    age = days.day - signup_day[days.user]
    user = days.user.astype(np.int64)
    for period_type, (length, last) in RETENTION_PERIODS.items():
        width = last + 2  # periods 0..last and one bucket for everything later
        period = np.minimum(age // length, last + 1)
        rate = np.bincount(user * width + period, weights=days.rate, minlength=n * width).reshape(
            n, width
        )
        tail = np.cumsum(rate[:, ::-1], axis=1)[:, ::-1]
        p_on = -np.expm1(-rate[:, : last + 1])
        p_after = -np.expm1(-tail[:, : last + 1])
        p_on[:, 0] = p_after[:, 0] = 1.0  # the signup day lies in period 0
        # a funnel step's day is active for sure: its period, and every one before, count
        forced_period = np.minimum((forced_day - signup_day[forced_user]) // length, last + 1)
        shown = forced_period <= last
        p_on[forced_user[shown], forced_period[shown]] = 1.0
        last_forced = np.full(n, -1)
        np.maximum.at(last_forced, forced_user, forced_period)
        p_after[np.arange(last + 1)[None, :] <= last_forced[:, None]] = 1.0
        matured_through = (cal.days - signup_day) // length - 1
        eligible = np.arange(last + 1)[None, :] <= matured_through[:, None]

        sums = {
            "eligible_users": np.ones_like(p_on),
            "expected_retained_on": p_on,
            "variance_on": p_on * (1 - p_on),
            "expected_retained_on_or_after": p_after,
            "variance_on_or_after": p_after * (1 - p_after),
        }
        out[period_type] = {
            k: _sum_by_cohort(v * eligible, cohort, n_cohorts) for k, v in sums.items()
        }
    return out


def _sum_by_cohort(values: np.ndarray, cohort: np.ndarray, n_cohorts: int) -> np.ndarray:
    """Column sums per cohort; users come sorted by signup day, so a cohort is one run."""
    acc = np.zeros((n_cohorts, values.shape[1]))
    if len(cohort):
        present, first_row = np.unique(cohort, return_index=True)
        acc[present] = np.add.reduceat(values, first_row, axis=0)
    return acc
