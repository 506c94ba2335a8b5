with

source as (

    select * from {{ source('marketing', 'marketing_touches') }}
    where {{ known_by_as_of_date('touched_at') }}

),

renamed as (

    select
        ----------  ids
        cast(touch_id as {{ dbt.type_string() }}) as touch_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,

        ---------- strings
        channel,
        campaign,
        touch_type,

        ---------- dates
        cast(touched_at as date) as touch_date,

        ---------- timestamps
        touched_at

    from source

)

select * from renamed
