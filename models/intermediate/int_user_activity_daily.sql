{#- Incremental by user, as int_events_sessionized (macro users_with_arrivals). -#}
{{ config(**incremental_by_user()) }}
-- depends_on: {{ ref('stg_app__excluded_accounts') }}
with

events as (

    select * from {{ ref('int_events_sessionized') }}
    where is_user_action
    {% if is_incremental() %}
        and user_id in ({{
            users_with_arrivals(ref('int_events_sessionized'), this_column='last_received_at')
        }})
    {% endif %}

),

aggregated as (

    select
        user_id,
        event_date as activity_date,
        count(*) as events,
        sum(case when is_session_start then 1 else 0 end) as sessions_started,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        max(received_at) as last_received_at
    from events
    group by user_id, event_date

),

final as (

    select
        user_id || '-' || cast(activity_date as {{ dbt.type_string() }}) as user_day_id,
        *
    from aggregated

)

select * from final
