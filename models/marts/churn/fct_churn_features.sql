{{ config(post_hook="{{ comment_breakdown_attributes() }}") }}
{#- One row per user whose outcome window has elapsed by the as-of date: what the warehouse
    observes about the user by the end of their first weeks (attributes, activity, depth,
    feature use), and whether they then churned (no activity at all in the outcome window
    that follows). Day 0 is the signup date. -#}
{%- set feature_days = var('churn_model')['feature_days'] -%}
{%- set outcome_days = var('churn_model')['outcome_days'] -%}
with

users as (

    select * from {{ ref('dim_users') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

events as (

    select * from {{ ref('fct_events') }}

),

as_of as (

    select {{ as_of_date() }} as as_of_date

),

matured as (

    select users.*
    from users
    cross join as_of
    where
        {{ dbt.dateadd('day', feature_days + outcome_days - 1, 'users.signup_date') }}
        <= as_of.as_of_date

),

user_days as (

    select
        activity.user_id,
        activity.events,
        activity.sessions_started,
        {{ dbt.datediff('matured.signup_date', 'activity.activity_date', 'day') }}
            as day_number
    from activity
    inner join matured on activity.user_id = matured.user_id

),

early_activity as (

    select
        user_id,
        count(*) as active_days,
        sum(case when day_number < 7 then 1 else 0 end) as active_days_week_1,
        sum(case when day_number >= {{ feature_days - 7 }} then 1 else 0 end)
            as active_days_last_week,
        sum(sessions_started) as sessions,
        sum(events) as events,
        {{ feature_days - 1 }} - max(day_number) as days_since_last_active
    from user_days
    where day_number between 0 and {{ feature_days - 1 }}
    group by user_id

),

outcome_activity as (

    select distinct user_id
    from user_days
    where day_number between {{ feature_days }} and {{ feature_days + outcome_days - 1 }}

),

early_features as (

    select
        events.user_id,
        count(distinct events.feature) as features_used
    from events
    inner join matured on events.user_id = matured.user_id
    where
        events.is_user_action
        and events.feature is not null
        and events.event_date
        <= {{ dbt.dateadd('day', feature_days - 1, 'matured.signup_date') }}
    group by events.user_id

),

final as (

    select
        matured.user_id,
        matured.signup_date,
        {{ breakdown_value('matured.role') }} as role,
        {%- for attribute in user_attributes() %}
        {{ breakdown_value('matured.' ~ attribute) }} as {{ attribute }},
        {%- endfor %}
        coalesce(early_activity.active_days, 0) as active_days,
        coalesce(early_activity.active_days_week_1, 0) as active_days_week_1,
        coalesce(early_activity.active_days_last_week, 0) as active_days_last_week,
        coalesce(early_activity.sessions, 0) as sessions,
        coalesce(early_activity.events, 0) as events,
        cast(early_activity.events as {{ dbt.type_float() }})
        / nullif(early_activity.sessions, 0) as events_per_session,
        coalesce(early_features.features_used, 0) as features_used,
        coalesce(early_activity.days_since_last_active, {{ feature_days }})
            as days_since_last_active,
        outcome_activity.user_id is null as churned
    from matured
    left join early_activity on matured.user_id = early_activity.user_id
    left join early_features on matured.user_id = early_features.user_id
    left join outcome_activity on matured.user_id = outcome_activity.user_id

)

select * from final
