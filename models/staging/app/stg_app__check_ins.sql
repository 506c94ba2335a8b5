with

source as (

    select * from {{ source('app', 'check_ins') }}
    where {{ known_by_as_of_date('answered_at') }}

),

renamed as (

    select
        ----------  ids
        cast(check_in_id as {{ dbt.type_string() }}) as check_in_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,

        ---------- strings
        event_name,
        question,
        answer,

        ---------- dates
        cast(answered_at as date) as answered_date,

        ---------- timestamps
        answered_at

    from source

)

select * from renamed
