with

source as (

    select * from {{ source('app', 'event_catalog') }}

),

renamed as (

    select
        ---------- strings
        event_name,
        feature,
        event_type,
        value_kind,
        value_unit,

        ---------- booleans
        is_session_start,
        is_signup,
        is_paid_conversion

    from source

)

select * from renamed
