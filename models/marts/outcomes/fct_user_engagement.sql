{#- One row per user: what their activity says about them. Early sessions are the sessions
    opened (the tracking plan's session event) on the days 1..early_activity_days after
    the signup date, for users whose early days have all elapsed by the as-of date. -#}
{%- set sessions = tracked_events('is_session_start', var('experiment_session_event')) -%}
{%- set early_days = var('early_activity_days') -%}
{%- set churn_days = var('churn_inactive_days') -%}
with

as_of as (

    select {{ as_of_date() }} as as_of

),

users as (

    select
        *,
        {{ dbt.dateadd('day', early_days, 'signup_date') }} as early_days_end
    from {{ ref('dim_users') }}

),

active_days as (

    select
        user_id,
        activity_date,
        lag(activity_date) over (
            partition by user_id order by activity_date
        ) as previous_activity_date
    from {{ ref('int_user_activity_daily') }}

),

returns as (

    select
        user_id,
        min(activity_date) as reengaged_date
    from active_days
    where
        {{ dbt.datediff('previous_activity_date', 'activity_date', 'day') }}
        > {{ churn_days }}
    group by user_id

),

early_sessions as (

    select
        events.user_id,
        count(*) as early_sessions
    from {{ ref('fct_events') }} as events
    inner join users on events.user_id = users.user_id
    where
        events.event_name in {{ sessions }}
        and events.event_date > users.signup_date
        and events.event_date <= users.early_days_end
    group by events.user_id

),

final as (

    select
        users.user_id,
        users.signup_date,
        users.cohort_month,
        users.early_days_end <= as_of.as_of as has_early_days,
        case
            when users.early_days_end <= as_of.as_of
                then coalesce(early_sessions.early_sessions, 0)
        end as early_sessions,
        users.days_active,
        users.active_days_last_28,
        users.active_days_last_28 >= {{ var('power_user_active_days') }} as is_power_user,
        {{ dbt.dateadd('day', 2 * churn_days, 'users.signup_date') }} <= as_of.as_of
        and cast(users.last_active_at as date)
        <= {{ dbt.dateadd('day', churn_days, 'users.signup_date') }}
            as is_churned_early,
        returns.reengaged_date is not null as is_reengaged,
        returns.reengaged_date
    from users
    cross join as_of
    left join early_sessions on users.user_id = early_sessions.user_id
    left join returns on users.user_id = returns.user_id

)

select * from final
