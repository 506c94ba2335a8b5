{#- A new session starts at a user's first event and after every gap longer than
    var('session_timeout_minutes') (30): the rule of GA, Amplitude and PostHog. The gap is
    compared on exact timestamps (not whole seconds), so 30:00.383 starts a new session. -#}
with

events as (

    select * from {{ ref('stg_app__events') }}

),

with_previous as (

    select
        *,
        lag(event_at) over (
            partition by user_id order by event_at, event_id
        ) as previous_event_at
    from events

),

flagged as (

    select
        *,
        case
            when previous_event_at is null then 1
            when event_at > {{ dbt.dateadd(
                'minute', var('session_timeout_minutes'), 'previous_event_at'
            ) }} then 1
            else 0
        end as is_session_start
    from with_previous

),

numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by user_id order by event_at, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from flagged

),

sessionized as (

    select
        event_id,
        user_id || '-' || cast(session_number as {{ dbt.type_string() }}) as session_id,
        user_id,
        tracker_session_id,
        session_number,
        is_session_start = 1 as is_session_start,
        event_name,
        feature,
        duration_ms,
        event_value,
        value_unit,
        event_date,
        event_at
    from numbered

)

select * from sessionized
