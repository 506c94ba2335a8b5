-- Weekly retention curves (weeks 0-12 after signup) by observable attribute: role, device
-- and acquisition channel. A user counts for week n once it has fully elapsed, as in
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

breakdowns as (

    select
        user_id,
        account_age_days,
        'role' as breakdown,
        role as breakdown_value
    from users
    union all
    select
        user_id,
        account_age_days,
        'device' as breakdown,
        device as breakdown_value
    from users
    union all
    select
        user_id,
        account_age_days,
        'acquisition_channel' as breakdown,
        acquisition_channel as breakdown_value
    from users

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
