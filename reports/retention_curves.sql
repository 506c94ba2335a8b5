-- Weekly retention curves (weeks 0-12 after signup) by observable attribute: the role and
-- every attribute column the world's dim_users carries (all its columns but the account's
-- own and the derived ones). A user counts for week n once it has fully elapsed, as in
-- fct_cohort_retention.
with

users as (

    select * from marts.dim_users

),

events as (

    select * from marts.fct_events

),

active_weeks as (

    select distinct
        events.user_id,
        cast(floor(date_diff('day', users.signup_date, events.event_date) / 7) as integer)
            as week_number
    from events
    inner join users on events.user_id = users.user_id
    where events.event_date >= users.signup_date
        and events.event_date < users.signup_date + interval 91 day

),

attributes as (

    select
        user_id,
        account_age_days,
        cast(columns(
            * exclude (
                user_id, email, signed_up_at, signup_date, cohort_week, cohort_month,
                first_active_at, last_active_at, lifetime_sessions, lifetime_events,
                days_active, active_days_last_28, days_since_last_active, account_age_days,
                is_retained_day_7, is_churned, lifecycle_stage
            )
        ) as varchar)
    from users

),

breakdowns as (

    unpivot attributes
    on columns(* exclude (user_id, account_age_days))
    into name breakdown value breakdown_value

),

weeks as (

    select range as week_number from range(0, 13)

),

cells as (

    select
        breakdowns.breakdown,
        breakdowns.breakdown_value,
        weeks.week_number,
        count(*) as eligible_users,
        count(active_weeks.user_id) as retained_users
    from breakdowns
    cross join weeks
    left join active_weeks
        on breakdowns.user_id = active_weeks.user_id
        and weeks.week_number = active_weeks.week_number
    where breakdowns.account_age_days + 1 >= (weeks.week_number + 1) * 7
    group by breakdowns.breakdown, breakdowns.breakdown_value, weeks.week_number

)

select
    *,
    retained_users / eligible_users as retention_rate
from cells
order by breakdown, breakdown_value, week_number
