with

source as (

    select * from {{ source('marketing', 'marketing_spend') }}
    where {{ known_by_as_of_date('spend_date') }}

),

renamed as (

    select
        ----------  ids
        channel || '-' || campaign || '-' || cast(spend_date as {{ dbt.type_string() }})
            as spend_id,

        ---------- strings
        channel,
        campaign,
        currency,

        ---------- numerics
        spend,

        ---------- dates
        spend_date

    from source

)

select * from renamed
