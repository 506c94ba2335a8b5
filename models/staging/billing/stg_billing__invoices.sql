with

source as (

    select * from {{ source('billing', 'invoices') }}
    where {{ known_by_as_of_date('issued_at') }}

),

renamed as (

    select
        ----------  ids
        cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,

        ---------- strings
        plan,
        billing_interval,
        currency,
        status as invoice_status,

        ---------- numerics
        amount,
        case billing_interval when 'year' then 12 else 1 end as interval_months,

        ---------- booleans
        status = 'paid' as is_paid,

        ---------- dates
        period_start,
        period_end,

        ---------- timestamps
        issued_at

    from source

)

select * from renamed
