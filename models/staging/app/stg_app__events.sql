with

source as (

    select * from {{ source('app', 'events') }}
    where {{ known_by_as_of_date('event_at') }}

),

renamed as (

    select
        ----------  ids
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(session_id as {{ dbt.type_string() }}) as tracker_session_id,

        ---------- strings
        event_name,
        feature,
        value_unit,

        ---------- numerics
        duration_ms,
        event_value,

        ---------- dates
        cast(event_at as date) as event_date,

        ---------- timestamps
        event_at

    from source

)

select * from renamed
