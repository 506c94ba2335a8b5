{#- Incremental by user, as int_events_sessionized (macro users_with_arrivals). -#}
{{ config(**incremental_by_user()) }}
-- depends_on: {{ ref('stg_app__excluded_accounts') }}
with

events as (

    select * from {{ ref('int_events_sessionized') }}
    where session_id is not null
    {% if is_incremental() %}
        and user_id in ({{
            users_with_arrivals(ref('int_events_sessionized'), this_column='last_received_at')
        }})
    {% endif %}

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
        max(received_at) as last_received_at,
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
        is_signup_session,
        last_received_at
    from sessions

)

select * from final
