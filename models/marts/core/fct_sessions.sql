with

events as (

    select * from {{ ref('int_events_sessionized') }}
    where session_id is not null

),

sessions as (

    select
        session_id,
        user_id,
        min(session_number) as session_number,
        min(event_at) as started_at,
        max({{ dbt.dateadd('millisecond', 'duration_ms', 'event_at') }}) as ended_at,
        count(*) as events,
        count(distinct feature) as features_used,
        max(
            case
                when event_name in {{ tracked_events('is_signup', var('signup_event')) }}
                    then 1
                else 0
            end
        ) = 1 as is_signup_session
    from events
    group by session_id, user_id

),

final as (

    select
        session_id,
        user_id,
        session_number,
        cast(started_at as date) as session_date,
        started_at,
        ended_at,
        {{ dbt.datediff('started_at', 'ended_at', 'second') }}
            as duration_seconds,
        events,
        features_used,
        is_signup_session
    from sessions

)

select * from final
