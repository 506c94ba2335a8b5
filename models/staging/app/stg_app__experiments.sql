with

source as (

    select * from {{ source('app', 'experiments') }}

),

renamed as (

    select
        ----------  ids
        {{ dbt.concat(['experiment_key', "'-'", 'variant']) }} as experiment_variant_id,

        ---------- strings
        experiment_key,
        variant,
        goal_event,

        ---------- numerics
        variant_index,
        weight,

        ---------- booleans
        variant_index = 0 as is_control,

        ---------- dates
        starts_on,
        ends_on

    from source

)

select * from renamed
