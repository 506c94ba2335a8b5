{{ config(materialized='table') }}
with

users as (

    select
        user_id,
        email
    from {{ source('app', 'users') }}
    where {{ known_by_as_of_date('loaded_at') }}

),

internal_domains as (

    select lower(domain) as email_domain from {{ source('app', 'internal_domains') }}

),

events as (

    select
        user_id,
        event_id,
        event_at
    from {{ source('app', 'events') }}
    where {{ known_by_as_of_date('received_at') }}

),

daily_events as (

    select
        user_id,
        cast(event_at as date) as event_date,
        count(distinct event_id) as events
    from events
    group by user_id, cast(event_at as date)

),

busiest_days as (

    select
        user_id,
        max(events) as max_daily_events
    from daily_events
    group by user_id

),

flagged as (

    select
        users.user_id,
        busiest_days.max_daily_events,
        internal_domains.email_domain is not null as is_internal,
        coalesce(busiest_days.max_daily_events > {{ var('inhuman_daily_events') }}, false)
            as is_inhuman
    from users
    left join internal_domains
        on lower({{ dbt.split_part('users.email', "'@'", 2) }}) = internal_domains.email_domain
    left join busiest_days on users.user_id = busiest_days.user_id

)

select
    cast(user_id as {{ dbt.type_string() }}) as user_id,
    case when is_internal then 'internal_domain' else 'inhuman_volume' end as exclusion_reason,
    coalesce(max_daily_events, 0) as max_daily_events
from flagged
where is_internal or is_inhuman
