with

events as (

    select * from {{ ref('int_events_sessionized') }}

),

final as (

    select
        event_id,
        session_id,
        user_id,
        event_name,
        event_type,
        is_user_action,
        feature,
        case
            when session_id is not null
                then row_number() over (
                        partition by session_id order by event_at, event_id
                    )
        end as event_number_in_session,
        duration_ms,
        event_value,
        value_unit,
        event_date,
        event_at
    from events

)

select * from final
