"""Each dynamic draws what the scenario planted (tolerances: 4 standard errors)."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from conftest import DEFAULT_SCENARIO
from generator import maths, simulate
from generator.behaviours.arrivals import simulate as arrivals
from generator.behaviours.churn import simulate as churn
from generator.behaviours.events import simulate as events
from generator.behaviours.funnels import simulate as funnels
from generator.behaviours.lifecycle import simulate as lifecycle
from generator.behaviours.segments import simulate as segments
from generator.behaviours.subscriptions import simulate as subscriptions
from generator.calendar import Calendar
from generator.scenario import load_scenario


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(DEFAULT_SCENARIO)


def test_arrivals_draw_exactly_the_users_in_signup_order(scenario):
    cal = Calendar.of(scenario)
    days = arrivals.draw_signup_days(scenario, cal, np.random.default_rng(1))
    assert len(days) == scenario.users
    assert np.all(np.diff(days) >= 0)
    assert days.min() >= 0 and days.max() < cal.days


def test_signup_curve_multiplies_the_planted_factors(scenario):
    cal = Calendar.of(scenario)
    curve = arrivals.signup_curve(scenario, cal)
    assert curve["expected_share"].sum() == pytest.approx(1.0)
    anomaly = scenario.arrivals.anomalies[0]
    day = (anomaly.date - scenario.start).days
    assert curve["anomaly_multiplier"][day] == anomaly.signups
    # a week apart, same month, no anomaly: the ratio is the weekday ratio times the trend
    a, b = 10, 17
    trend = np.exp(scenario.arrivals.growth.annual_rate * 7 / 365.25)
    assert curve["expected_share"][b] / curve["expected_share"][a] == pytest.approx(trend)


def test_segment_shares_match_the_planted_shares(scenario):
    n = 200_000
    drawn = segments.draw_segments(scenario, n, np.random.default_rng(2))
    for i, seg in enumerate(scenario.segments.values()):
        share = (drawn == i).mean()
        assert abs(share - seg.share) < 4 * np.sqrt(seg.share * (1 - seg.share) / n)


def test_first_step_of_the_event_chain_follows_the_transition_matrix(scenario):
    matrices = events.transition_matrices(scenario)
    assert np.allclose(matrices.sum(axis=2), 1.0)
    n = 100_000
    start = scenario.event_names().index(scenario.events.session_start)
    seg = np.zeros(n, dtype=np.int8)
    session, code = events.walk_sessions(
        matrices, seg, np.full(n, start, dtype=np.int16), np.random.default_rng(3)
    )
    first_of_session = np.r_[True, session[1:] != session[:-1]]
    is_second = np.r_[False, ~first_of_session[1:] & first_of_session[:-1]]
    next_codes = code[is_second]
    width = matrices.shape[2]
    counts = np.bincount(next_codes, minlength=width).astype(float)
    counts[-1] = n - len(next_codes)  # sessions that ended after the first event
    p = matrices[0, start]
    assert np.all(np.abs(counts / n - p) <= 4 * np.sqrt(p * (1 - p) / n) + 1e-12)


def test_session_depth_makes_sessions_longer(scenario):
    matrices = events.transition_matrices(scenario)
    names = scenario.segment_names()
    power, at_risk = names.index("power_student"), names.index("at_risk_student")
    n = 50_000
    seg = np.r_[np.full(n, power), np.full(n, at_risk)].astype(np.int8)
    # both in one stage, neither having adopted a feature
    chain = events.chain_index(seg, 0, len(scenario.stage_names()), 0, len(scenario.adoption))
    start = scenario.event_names().index(scenario.events.session_start)
    session, _ = events.walk_sessions(
        matrices, chain, np.full(2 * n, start, dtype=np.int16), np.random.default_rng(4)
    )
    lengths = np.bincount(session, minlength=2 * n)
    assert lengths[:n].mean() > 1.3 * lengths[n:].mean()


def test_sessions_of_a_user_never_come_closer_than_the_timeout():
    rng = np.random.default_rng(5)
    user = np.sort(rng.integers(0, 50, 2000))
    start = np.zeros(2000, dtype=np.int64)
    for u in np.unique(user):  # a test fixture, not simulator code
        m = user == u
        start[m] = np.sort(rng.integers(0, 3 * 86_400_000, m.sum()))
    length = rng.integers(1_000, 3_600_000, 2000)
    moved = events.separate_sessions(user, start, length)
    assert np.all(moved >= start)
    same_user = user[1:] == user[:-1]
    gap = moved[1:] - (moved[:-1] + length[:-1])
    assert np.all(gap[same_user] >= events.SESSION_SEPARATION_MS)


def test_churn_times_follow_the_planted_hazard(tmp_path, scenario):
    """Exponential MLE per segment from truth.users, censored at the end of the timeframe."""
    # the behaviours as simulated: delivered without the pipelines' faults
    small = load_scenario(DEFAULT_SCENARIO, users=20_000).model_copy(update={"faults": None})
    db = tmp_path / "w.duckdb"
    simulate.generate(small, seed=5, db_path=db, progress=False)
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        """
        select t.segment,
               count(t.churned_at) as churned,
               sum(epoch(coalesce(t.churned_at, timestamp '2026-01-01') - u.signed_up_at))
                   / 86400 as exposure_days
        from truth.users as t join raw.users as u using (user_id)
        group by t.segment
        """
    ).fetchall()
    con.close()
    hazard = dict(zip(small.segment_names(), churn.daily_hazard(small), strict=True))
    for segment, churned, exposure in rows:
        estimate = churned / exposure
        assert abs(estimate - hazard[segment]) < 4 * estimate / np.sqrt(churned), segment


def test_alias_tables_reproduce_each_rows_distribution_exactly():
    rng = np.random.default_rng(6)
    rows = rng.dirichlet(np.ones(9) * 0.5, size=40)
    rows[0] = [0, 0, 1, 0, 0, 0, 0, 0, 0]  # a certain next event
    prob, alias = maths.alias_tables(rows)
    k = rows.shape[1]
    implied = prob / k
    for r in range(rows.shape[0]):
        np.add.at(implied[r], alias[r], (1 - prob[r]) / k)
    assert np.allclose(implied, rows, atol=1e-12)


def test_anniversaries_fall_back_to_the_last_day_of_short_months():
    import datetime as dt

    start = np.datetime64("2024-01-01")
    jan_31 = np.array([30])  # 2024-01-31
    days = [subscriptions.anniversaries(start, jan_31, k)[0] for k in range(4)]
    dates = [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in days]
    assert [d.isoformat() for d in dates] == [
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
    ]


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    # the behaviours as simulated: delivered without the pipelines' faults
    small = load_scenario(DEFAULT_SCENARIO, users=20_000).model_copy(update={"faults": None})
    db = tmp_path_factory.mktemp("small") / "w.duckdb"
    simulate.generate(small, seed=9, db_path=db, progress=False)
    return small, db


def test_plan_decisions_follow_the_planted_transition_tables(small_world):
    """Plan changes in raw against the sum of each decision's planted chances (a session
    on a plan paying nothing, a trial running out, a renewal); a failed payment is no
    decision."""
    small, db = small_world
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        """
        select t.from_plan, t.to_plan, t.expected_transitions, t.variance,
               count(c.change_id) as observed
        from truth.expected_plan_transitions as t
        left join raw.subscription_changes as c
            on c.from_plan = t.from_plan and c.to_plan = t.to_plan
            and c.reason != 'payment_failed'
        where t.from_plan != t.to_plan and t.expected_transitions > 0
        group by all
        """
    ).fetchall()
    failed = con.execute(
        "select count(*) filter (where status = 'failed'), count(*) from raw.invoices"
    ).fetchone()
    con.close()
    assert len(rows) >= 10
    for src, dst, expected, var, observed in rows:
        assert abs(observed - expected) <= 4 * max(np.sqrt(var), 1), (src, dst)
    p = small.subscriptions.failed_payment_probability
    assert abs(failed[0] - p * failed[1]) <= 4 * np.sqrt(p * (1 - p) * failed[1])


def test_normal_cdf_matches_the_error_function():
    import math

    z = np.linspace(-6, 6, 241)
    exact = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in z])
    assert np.max(np.abs(maths.normal_cdf(z) - exact)) < 2e-7


def test_every_completed_checkout_is_a_move_from_free_to_a_paid_plan(small_world):
    """The upgrade funnel's last step is the move to a paid plan itself (from the free plan
    or a trial): same user, same time."""
    _, db = small_world
    con = duckdb.connect(str(db), read_only=True)
    unmatched, matched = con.execute(
        """
        with completed as (
            select user_id, event_at from raw.events where event_name = 'checkout_completed'
        ),
        conversions as (
            select c.user_id, c.changed_at
            from raw.subscription_changes as c
            inner join truth.plans as p on c.to_plan = p.plan
            inner join truth.plans as f on c.from_plan = f.plan
            where f.price = 0 and c.reason = 'customer' and p.price > 0
        )
        select
            count(*) filter (where completed.user_id is null or conversions.user_id is null),
            count(*) filter (where completed.user_id is not null
                and conversions.user_id is not null)
        from completed
        full outer join conversions
            on completed.user_id = conversions.user_id
            and completed.event_at = conversions.changed_at
        """
    ).fetchone()
    con.close()
    assert unmatched == 0 and matched > 500


def test_lifecycle_paths_follow_the_planted_stage_machine(scenario):
    """Next stages of finished visits against the planted chances, and each stage's
    time against its rounded log-normal, over 100,000 users followed for 3,000 days."""
    life = scenario.lifecycle
    names = list(life.stages)
    n, days = 100_000, 3_000
    paths = lifecycle.draw_paths(
        scenario, np.zeros(n, dtype=np.int64), days, np.random.default_rng(8)
    )
    assert np.array_equal(np.bincount(paths.user, minlength=n) >= 1, np.ones(n, dtype=bool))
    assert np.all(paths.stage[paths.visit == 1] == names.index(life.initial))
    following = np.r_[paths.user[1:] == paths.user[:-1], False]
    nxt = np.r_[paths.stage[1:], 0]
    for i, (name, stage) in enumerate(life.stages.items()):
        here = paths.stage == i
        if not stage.next:
            assert np.all(paths.left_day[here] == lifecycle.STAYS) and not following[here].any()
            continue
        done = here & following
        for target, p in stage.next.items():
            share_n = done.sum()
            observed = (nxt[done] == names.index(target)).sum()
            assert abs(observed - p * share_n) <= 4 * np.sqrt(p * (1 - p) * share_n), (name, target)
        # whether a visit lasted at most m days is seen for every visit entered m days
        # before the end; P(max(1, round(X)) <= m) = P(X < m + 0.5) for m >= 1
        m = max(1, int(stage.days.median))
        seen = here & (paths.entered_day <= days - m - 1)
        short = ((paths.left_day - paths.entered_day)[seen] <= m).sum()
        p = float(
            maths.normal_cdf(np.array([np.log((m + 0.5) / stage.days.median) / stage.days.sigma]))[
                0
            ]
        )
        assert abs(short - p * seen.sum()) <= 4 * np.sqrt(p * (1 - p) * seen.sum()), name


def test_exposure_logs_follow_the_assignments(small_world):
    """Every assigned user whose logs arrive is first logged on the exposure day truth
    records, in the variant drawn, and only while the experiment runs; a user whose logs
    were lost has none. Variants are drawn by the planned weights and logs lost at the
    planted share (within 4 standard errors)."""
    small, db = small_world
    con = duckdb.connect(str(db), read_only=True)
    wrong = con.execute(
        """
        with logs as (
            select user_id, experiment_key, min(cast(exposed_at as date)) as first_day,
                max(cast(exposed_at as date)) as last_day, min(variant) as variant,
                count(distinct variant) as variants
            from raw.experiment_exposures group by all
        )
        select count(*) from truth.experiment_assignments as a
        full outer join logs using (user_id, experiment_key)
        left join raw.experiments as e
            on e.experiment_key = coalesce(a.experiment_key, logs.experiment_key)
            and e.variant = a.variant
        where a.is_logged is distinct from (logs.user_id is not null)
            or (logs.user_id is not null and (logs.first_day != a.exposed_on
                or logs.variant != a.variant or logs.variants != 1
                or logs.last_day > e.ends_on or logs.first_day < e.starts_on))
        """
    ).fetchone()[0]
    shares = con.execute(
        """
        select experiment_key, variant, users, sum(users) over (partition by experiment_key), lost
        from (
            select experiment_key, variant, count(*) as users,
                sum(case when is_logged then 0 else 1 end) as lost
            from truth.experiment_assignments group by experiment_key, variant
        ) as arms
        """
    ).fetchall()
    con.close()
    assert wrong == 0
    assert len(shares) == sum(len(e.variants) for e in small.experiments.values())
    for name, variant, users, total, lost in shares:
        exp = small.experiments[name]
        w = exp.variants[variant]
        assert abs(users - w * total) <= 4 * np.sqrt(total * w * (1 - w)), (name, variant)
        p = exp.lost_exposures.get(variant, 0.0)
        assert abs(lost - p * users) <= 4 * np.sqrt(users * p * (1 - p)), (name, variant)


def test_a_steps_delay_among_those_who_reach_it_is_cut_by_their_room():
    """Delays drawn for users with chance p and room to fit: the distribution function
    truth keeps (delay_sums) matches the delays of the users who did reach the step."""
    rng = np.random.default_rng(5)
    n, median, sigma = 400_000, 3_600_000.0, 0.9
    p = rng.uniform(0.2, 0.9, n)
    room = median * np.exp(rng.normal(0.3, 1.0, n))
    delay = median * np.exp(sigma * rng.standard_normal(n))
    reached = (rng.random(n) < p) & (delay <= room)
    window = 14 * 86_400_000.0
    sums = funnels.delay_sums(median, sigma, window, p, room)
    cdf = sums[:-1] / sums[-1]
    t = funnels.delay_grid(median, sigma, window)
    empirical = np.searchsorted(np.sort(delay[reached]), t, side="right") / reached.sum()
    # a distribution function's estimate at a point has sd at most 0.5 / sqrt(n)
    assert np.max(np.abs(empirical - cdf)) < 4 * 0.5 / np.sqrt(reached.sum())
    assert abs(sums[-1] - reached.sum()) < 4 * np.sqrt(reached.sum())
    # the cut makes the median shorter than the planted one
    assert np.interp(0.5, cdf, t) < median


def test_a_step_waiting_for_a_session_has_the_delay_truth_keeps():
    """A user action drawn after a log-normal delay happens in the first session starting
    from then on, only if that session can host it by the limit: hosted_delay_sums gives
    the reach and the distribution of the delays (waits included) the users who reach it
    show, and hosting never puts a step before its drawn time."""
    rng = np.random.default_rng(11)
    n, median, sigma, day = 60_000, 6 * 3_600_000.0, 1.0, 86_400_000
    window = 14.0 * day
    # each user's sessions: a Poisson number over the window at uniform times, 10 minutes
    # long, the last event two minutes before the end
    per_user = rng.poisson(rng.gamma(2.0, 3.0, n))
    user = np.repeat(np.arange(n), per_user)
    starts = np.sort(rng.uniform(0, 16 * day, len(user)) + user * 100.0 * day).astype(np.int64)
    starts = starts - user * np.int64(100 * day)
    order = np.lexsort((starts, user))
    user, starts = user[order], starts[order]
    hosts = events.Hosts(user, starts, starts, starts + 8 * 60_000, np.full(len(user), 2 * 60_000))
    after = rng.uniform(0, 2 * day, n)  # the previous step
    limit = np.full(n, window)
    p = rng.uniform(0.3, 0.9, n)
    everyone = np.arange(n)
    last = hosts.last_hosting_by("funnels", everyone, limit)
    sums = funnels.hosted_delay_sums(median, sigma, window, p, after, everyone, last, hosts)
    drawn = after + median * np.exp(sigma * rng.standard_normal(n))
    session = hosts.first_from(everyone, drawn, by="starts")
    at = np.where(session >= 0, hosts.hosted_at("funnels")[np.maximum(session, 0)], np.inf)
    assert np.all(at[session >= 0] >= drawn[session >= 0])
    reached = (rng.random(n) < p) & (at <= limit)
    assert abs(sums[-1] - reached.sum()) < 4 * np.sqrt(reached.sum())
    t = funnels.delay_grid(median, sigma, window)
    empirical = np.searchsorted(np.sort((at - after)[reached]), t, side="right") / reached.sum()
    assert np.max(np.abs(empirical - sums[:-1] / sums[-1])) < 4 * 0.5 / np.sqrt(reached.sum())
    # waiting for a session makes the delay longer than the planted one
    assert np.interp(0.5, sums[:-1] / sums[-1], t) > median
