{#- Incremental by user, as int_events_sessionized (macro users_with_arrivals). -#}
{{ config(**incremental_by_user()) }}
-- depends_on: {{ ref('stg_app__excluded_accounts') }}
with

events as (

    select * from {{ ref('int_events_sessionized') }}
    {% if is_incremental() %}
        where user_id in ({{ users_with_arrivals(ref('int_events_sessionized')) }})
    {% endif %}

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
        event_at,
        received_at
    from events

)

select * from final
