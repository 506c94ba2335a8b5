with

source as (

    select * from {{ source('app', 'experiment_exposures') }}
    where {{ known_by_as_of_date('exposed_at') }}

),

renamed as (

    select
        ----------  ids
        cast(exposure_id as {{ dbt.type_string() }}) as exposure_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,

        ---------- strings
        experiment_key,
        variant,

        ---------- dates
        cast(exposed_at as date) as exposed_date,

        ---------- timestamps
        exposed_at

    from source

)

select * from renamed
