with

source as (

    select * from {{ source('app', 'attribute_bands') }}

),

renamed as (

    select
        ---------- ids
        attribute_name || '-' || cast(band_number as {{ dbt.type_string() }})
            as attribute_band_id,

        ---------- strings
        attribute_name,
        band_label,

        ---------- numerics
        band_number,
        lower_bound,
        upper_bound

    from source

)

select * from renamed
