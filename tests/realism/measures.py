"""What a blind analyst measures to judge whether a warehouse's data looks real: each
function takes a DuckDB connection to a built world and returns one figure. They read
only what an analyst has (raw tables, marts, the event catalogue), never a world's
names: events by their role in raw.event_catalog, plans by their invoices. Events and
users are read as staging keeps them (schema clean: the planted faults, retries, skewed
clocks, staff and scripted accounts, repaired), since the behaviour is what is judged."""

from __future__ import annotations

import duckdb

# events that are user actions; before the catalogue typed events, every event was one
USER_ACTIONS = """
    select event_name from raw.event_catalog where event_type = 'user_action'
"""
PAID_PLANS = "select distinct plan from raw.invoices where amount > 0"
# the plan a failed payment drops a user to: the free fallback
FALLBACK_PLAN = """
    select to_plan from raw.subscription_changes where reason = 'payment_failed'
    group by to_plan order by count(*) desc limit 1
"""


def one(con: duckdb.DuckDBPyConnection, sql: str) -> float | None:
    rows = con.execute(sql).fetchall()
    return None if not rows or rows[0][0] is None else float(rows[0][0])


def paid_months_with_activity(con) -> float | None:
    """Share of paid monthly invoices whose period holds a user action by the payer."""
    return one(
        con,
        f"""
        select avg(case when exists (
            select 1 from clean.events e
            where e.user_id = i.user_id and e.event_name in ({USER_ACTIONS})
              and e.event_at >= i.period_start and e.event_at < i.period_end
        ) then 1.0 else 0.0 end)
        from raw.invoices i
        where i.status = 'paid' and i.billing_interval = 'month' and i.amount > 0
          and i.period_end <= (select max(event_at) from clean.events)
        """,
    )


def _conversions() -> str:
    return f"""
        select c.user_id, c.changed_at, u.signed_up_at
        from raw.subscription_changes c join clean.users u using (user_id)
        where c.to_plan in ({PAID_PLANS}) and c.from_plan not in ({PAID_PLANS})
    """


def conversions_active_30d_before(con) -> float | None:
    """Share of moves from an unpaid to a paid plan with a user action in the 30 days
    before (the signup itself excluded: a user converting in the first month counts)."""
    return one(
        con,
        f"""
        select avg(case when exists (
            select 1 from clean.events e
            where e.user_id = c.user_id and e.event_name in ({USER_ACTIONS})
              and e.event_at < c.changed_at
              and e.event_at >= c.changed_at - interval 30 day
        ) then 1.0 else 0.0 end)
        from ({_conversions()}) c
        """,
    )


def one_day_users_paying_within_year(con) -> float | None:
    """Of users with user actions on one single day, the share who pay within a year of
    signing up (only users signed up a year before the data ends)."""
    return one(
        con,
        f"""
        with days as (
            select user_id, count(distinct cast(event_at as date)) as active_days
            from clean.events where event_name in ({USER_ACTIONS}) group by user_id
        ),
        eligible as (
            select u.user_id, u.signed_up_at from clean.users u join days d using (user_id)
            where d.active_days = 1
              and u.signed_up_at < (select max(event_at) from clean.events) - interval 365 day
        )
        select avg(case when exists (
            select 1 from raw.invoices i where i.user_id = e.user_id and i.amount > 0
              and i.status = 'paid' and i.issued_at < e.signed_up_at + interval 365 day
        ) then 1.0 else 0.0 end)
        from eligible e
        """,
    )


def users_paying_within_year(con) -> float | None:
    """Of all users signed up a year before the data ends, the share who pay within a
    year of signing up (the yardstick for one_day_users_paying_within_year)."""
    return one(
        con,
        """
        select avg(case when exists (
            select 1 from raw.invoices i where i.user_id = u.user_id and i.amount > 0
              and i.status = 'paid' and i.issued_at < u.signed_up_at + interval 365 day
        ) then 1.0 else 0.0 end)
        from clean.users u
        where u.signed_up_at < (select max(event_at) from clean.events) - interval 365 day
        """,
    )


def conversions_in_first_28_days(con) -> float | None:
    """Share of moves to a paid plan within 28 days of signing up."""
    return one(
        con,
        f"""
        select avg(case when changed_at < signed_up_at + interval 28 day then 1.0 else 0.0 end)
        from ({_conversions()})
        """,
    )


def plan_changes_at_signup_time_of_day(con) -> float | None:
    """Share of plan changes at the second of the day the user signed up at."""
    return one(
        con,
        """
        select avg(case when abs(
            epoch(cast(c.changed_at as time)) - epoch(cast(u.signed_up_at as time))) < 1
            then 1.0 else 0.0 end)
        from raw.subscription_changes c join clean.users u using (user_id)
        """,
    )


def conversions_through_checkout(con) -> float | None:
    """Share of moves from an unpaid plan (free or a trial) to a paid one with the
    catalogue's paid-conversion event by the user within 10 minutes before it."""
    return one(
        con,
        f"""
        select avg(case when exists (
            select 1 from clean.events e join raw.event_catalog k using (event_name)
            where k.is_paid_conversion and e.user_id = c.user_id
              and e.event_at <= c.changed_at
              and e.event_at >= c.changed_at - interval 10 minute
        ) then 1.0 else 0.0 end)
        from ({_conversions()}) c
        """,
    )


def day_one_retention_gap(con) -> float | None:
    """The mart's day-1 retention (all cohorts) minus the share of users who opened the
    app (a session-start event) on the day after signing up: what counting system events
    as activity adds."""
    return one(
        con,
        """
        with mart as (
            select sum(retained_on) * 1.0 / sum(eligible_users) as rate
            from marts.fct_cohort_retention where period_type = 'day' and period_number = 1
        ),
        opened as (
            select avg(case when exists (
                select 1 from clean.events e join raw.event_catalog k using (event_name)
                where k.is_session_start and e.user_id = u.user_id
                  and cast(e.event_at as date) = cast(u.signed_up_at as date) + 1
            ) then 1.0 else 0.0 end) as rate
            from clean.users u
            where cast(u.signed_up_at as date)
                < (select max(cast(event_at as date)) from clean.events)
        )
        select mart.rate - opened.rate from mart, opened
        """,
    )


def sessions_not_opened_by_a_start(con) -> float | None:
    """Share of the tracker's sessions whose first event is neither the session start nor
    the signup: one-event sessions of onboarding, billing or adoption events."""
    return one(
        con,
        """
        with firsts as (
            select session_id, arg_min(event_name, event_at) as first_event
            from clean.events where session_id is not null group by session_id
        )
        select avg(case when k.is_session_start or k.is_signup then 0.0 else 1.0 end)
        from firsts f join raw.event_catalog k on k.event_name = f.first_event
        """,
    )


def spend_noise(con) -> float | None:
    """Median over campaigns of the daily spend's coefficient of variation around its own
    7-day centred mean: 0 for a deterministic ramp."""
    return one(
        con,
        """
        with smoothed as (
            select channel, campaign, spend,
                avg(spend) over (partition by channel, campaign order by spend_date
                    rows between 3 preceding and 3 following) as centred
            from raw.marketing_spend
        )
        select median(cv) from (
            select channel, campaign,
                sqrt(avg(power(spend - centred, 2))) / nullif(avg(spend), 0) as cv
            from smoothed group by channel, campaign having avg(spend) > 0
        )
        """,
    )


def campaigns_spending_identically(con) -> float | None:
    """Share of days on which two campaigns of one channel spend the same to the cent."""
    return one(
        con,
        """
        with per_day as (
            select channel, spend_date, count(*) as campaigns,
                count(distinct round(spend, 2)) as amounts
            from raw.marketing_spend group by channel, spend_date having count(*) > 1
        )
        select avg(case when amounts < campaigns then 1.0 else 0.0 end) from per_day
        """,
    )


def touches_before_signup(con) -> float | None:
    """Share of marketing touches that reach a person before they sign up."""
    return one(
        con,
        """
        select avg(case when t.touched_at < u.signed_up_at then 1.0 else 0.0 end)
        from raw.marketing_touches t join clean.users u using (user_id)
        """,
    )


def paid_channel_users_touched_by_it(con) -> float | None:
    """Of users whose acquisition channel is one marketing spends on, the share with a
    touch of that channel before signing up."""
    return one(
        con,
        """
        select avg(case when exists (
            select 1 from raw.marketing_touches t
            where t.user_id = u.user_id and t.channel = u.acquisition_channel
              and t.touched_at <= u.signed_up_at
        ) then 1.0 else 0.0 end)
        from clean.users u
        where u.acquisition_channel in (select distinct channel from raw.marketing_spend)
        """,
    )


def spend_per_paid_channel_signup(con) -> float | None:
    """Total spend over signups whose acquisition channel is one marketing spends on."""
    return one(
        con,
        """
        select (select sum(spend) from raw.marketing_spend) / nullif((
            select count(*) from clean.users
            where acquisition_channel in (select distinct channel from raw.marketing_spend)
        ), 0)
        """,
    )


def attribute_mix_drift(con, attributes: list[str]) -> float | None:
    """Largest change, first signup year to last, of any value's share of signups among
    the given users' attributes (in share points)."""
    parts = []
    for a in attributes:
        parts.append(
            f"""
            select '{a}' as attr, cast({a} as varchar) as val, year(signed_up_at) as yr,
                count(*) * 1.0 / sum(count(*)) over (partition by year(signed_up_at)) as s
            from clean.users group by 1, 2, 3
            """
        )
    return one(
        con,
        f"""
        with shares as ({" union all ".join(parts)}),
        ends as (select min(yr) as first_yr, max(yr) as last_yr from shares)
        select max(abs(coalesce(l.s, 0) - coalesce(f.s, 0)))
        from (select * from shares, ends where yr = first_yr) f
        full join (select * from shares, ends where yr = last_yr) l using (attr, val)
        """,
    )


def least_irregular_signup_funnel(con) -> float | None:
    """Over the funnels that start at the signup, the smallest share of users who logged
    a later step's event and either logged one of the steps twice or logged a step
    without the one before it: 0 when some funnel is perfectly nested."""
    return one(
        con,
        """
        with steps as (
            select f.funnel_name, f.step_number, f.event_name
            from raw.funnel_steps f
            where f.funnel_name in (
                select funnel_name from raw.funnel_steps s
                join raw.event_catalog k using (event_name)
                where s.step_number = 1 and k.is_signup
            )
        ),
        logged as (
            select s.funnel_name, s.step_number, e.user_id, count(*) as times
            from clean.events e join steps s using (event_name)
            where s.step_number > 1
            group by all
        ),
        per_user as (
            select
                cur.funnel_name, cur.user_id,
                max(case when cur.times > 1 then 1 else 0 end) as repeated,
                max(case when cur.step_number > 2 and prev.user_id is null then 1 else 0 end)
                    as skipped
            from logged cur
            left join logged prev
              on prev.funnel_name = cur.funnel_name and prev.user_id = cur.user_id
             and prev.step_number = cur.step_number - 1
            group by all
        )
        select min(share) from (
            select funnel_name, avg(greatest(repeated, skipped)) as share
            from per_user group by funnel_name
        )
        """,
    )


def paid_conversions_in_sessions(con) -> float | None:
    """Share of the catalogue's paid-conversion events that sit in a tracker session the
    app opened (one holding a session-start or signup event): a checkout an outage or a
    quiet day cannot reach."""
    return one(
        con,
        """
        with opened as (
            select distinct e.session_id from clean.events e join raw.event_catalog k
            using (event_name) where k.is_session_start or k.is_signup
        )
        select avg(case when o.session_id is not null then 1.0 else 0.0 end)
        from clean.events e join raw.event_catalog k using (event_name)
        left join opened o on o.session_id = e.session_id
        where k.is_paid_conversion
        """,
    )


def assignments_without_exposure(con) -> float | None:
    """Share of the flag service's assignments with no exposure logged (lost logs)."""
    return one(
        con,
        """
        select avg(case when x.user_id is null then 1.0 else 0.0 end)
        from raw.experiment_assignments a
        left join (select distinct user_id, experiment_key from raw.experiment_exposures) x
          using (user_id, experiment_key)
        """,
    )


def answers_with_cost(con) -> float | None:
    """Share of LLM answers logged with their tokens and provider cost."""
    return one(
        con,
        """
        select avg(case when prompt_tokens is not null and completion_tokens is not null
                        and cost_usd is not null then 1.0 else 0.0 end)
        from raw.llm_responses
        """,
    )


def peak_hour_spread(con, by: str) -> float | None:
    """Circular spread (hours, 0-12) between the UTC hours at which session starts peak
    in each value of `by` (a users' column such as a country)."""
    rows = con.execute(
        f"""
        select u.{by}, hour(e.event_at) as h, count(*) as n
        from clean.events e join raw.event_catalog k using (event_name)
        join clean.users u using (user_id)
        where k.is_session_start group by all
        """
    ).fetchall()
    peaks: dict[str, tuple[int, int]] = {}
    for value, hour, n in rows:
        if value not in peaks or n > peaks[value][1]:
            peaks[value] = (hour, n)
    hours = [h for h, _ in peaks.values()]
    return float(
        max(min(abs(a - b), 24 - abs(a - b)) for a in hours for b in hours) if hours else 0
    )


def adoptions_at_modal_offset(con) -> float | None:
    """Share of users' first event of a feature (for users signed up after its first
    use anywhere) at the most common whole-second offset from their signup."""
    return one(
        con,
        """
        with launches as (
            select feature, min(event_at) as launched_at from clean.events
            where feature is not null group by feature
        ),
        firsts as (
            select e.feature, e.user_id, min(e.event_at) as first_at
            from clean.events e where e.feature is not null group by all
        ),
        offsets as (
            select f.feature,
                floor(epoch(f.first_at) - epoch(u.signed_up_at)) as seconds
            from firsts f join clean.users u using (user_id) join launches l using (feature)
            where u.signed_up_at > l.launched_at + interval 30 day
        ),
        modal as (
            select feature, max(n) * 1.0 / sum(n) as share
            from (select feature, seconds, count(*) as n from offsets group by all)
            group by feature
        )
        select max(share) from modal
        """,
    )


def outage_checkout_ratio(con) -> float | None:
    """On the planted day that cut activity most, the paid-conversion events' count over
    their mean on the same weekday 1 and 2 weeks either side, divided by the same ratio of
    session starts: 1 when the outage hits checkout as it hits the app. Reported, not
    judged: the default world has a handful of checkouts a day, too few for this ratio
    to tell the two apart (test_checkouts_happen_in_sessions judges the cause instead)."""
    return one(
        con,
        """
        with outage as (
            select anomaly_date as d from truth.anomalies
            order by activity_multiplier limit 1
        ),
        daily as (
            select cast(e.event_at as date) as d,
                count(*) filter (where k.is_paid_conversion) as checkouts,
                count(*) filter (where k.is_session_start) as starts
            from clean.events e join raw.event_catalog k using (event_name) group by 1
        ),
        around as (
            select avg(checkouts) as checkouts, avg(starts) as starts from daily, outage
            where daily.d in (outage.d - 14, outage.d - 7, outage.d + 7, outage.d + 14)
        )
        select (daily.checkouts / around.checkouts) / (daily.starts / around.starts)
        from daily, outage, around where daily.d = outage.d
        """,
    )


def churn_reasons(con) -> float | None:
    """Distinct reasons logged for moves to the free fallback plan."""
    return one(
        con,
        f"""
        select count(distinct reason) from raw.subscription_changes
        where to_plan = ({FALLBACK_PLAN})
        """,
    )
