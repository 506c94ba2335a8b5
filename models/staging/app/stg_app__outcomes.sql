with

source as (

    select * from {{ source('app', 'outcomes') }}
    where {{ known_by_as_of_date('recorded_at') }}

),

renamed as (

    select
        ----------  ids
        cast(outcome_id as {{ dbt.type_string() }}) as outcome_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,

        ---------- strings
        outcome,

        ---------- dates
        cast(recorded_at as date) as recorded_date,

        ---------- timestamps
        recorded_at

    from source

)

select * from renamed
