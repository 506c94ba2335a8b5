with

source as (

    select * from {{ source('app', 'experiment_exposures') }}

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
