with

source as (

    select * from {{ source('billing', 'invoices') }}
    where {{ known_by_as_of_date('issued_at') }}

),

-- an amount written in cents is 100 times its price: at least 50 times the smallest
-- amount billed for the same plan, interval and currency
plan_floors as (

    select
        plan,
        billing_interval,
        currency,
        min(amount) as floor_amount
    from source
    where amount > 0
    group by plan, billing_interval, currency

),

amounts as (

    select
        source.*,
        coalesce(source.amount >= 50 * plan_floors.floor_amount, false) as is_in_cents
    from source
    left join plan_floors
        on
        source.plan = plan_floors.plan
        and source.billing_interval = plan_floors.billing_interval
        and source.currency = plan_floors.currency

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
        cast(case when is_in_cents then amount / 100 else amount end as decimal(12, 2))
            as amount,
        case billing_interval when 'year' then 12 else 1 end as interval_months,

        ---------- booleans
        status = 'paid' as is_paid,
        is_in_cents as was_amount_in_cents,

        ---------- dates
        period_start,
        period_end,

        ---------- timestamps
        issued_at

    from amounts

)

select * from renamed
