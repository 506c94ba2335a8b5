with

source as (

    select * from {{ source('app', 'funnel_steps') }}

),

renamed as (

    select
        ----------  ids
        funnel_name || '-' || cast(step_number as {{ dbt.type_string() }}) as funnel_step_id,

        ---------- strings
        funnel_name,
        event_name,

        ---------- numerics
        funnel_number,
        step_number,
        window_days

    from source

)

select * from renamed
