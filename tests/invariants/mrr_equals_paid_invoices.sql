{#- Each month's MRR in fct_mrr equals, to the cent, what the raw paid invoices covering
    that month's snapshot date say (amount / months covered), recomputed here from the
    source rather than from the staging the mart uses (an amount that arrived in cents,
    100 times its plan's price, read in dollars). Returns months that differ. -#}
with

raw_invoices as (

    select * from {{ source('billing', 'invoices') }}

),

prices as (

    select
        plan,
        billing_interval,
        min(amount) as price
    from raw_invoices
    where amount > 0
    group by plan, billing_interval

),

invoices as (

    select
        raw_invoices.billing_interval,
        raw_invoices.period_start,
        raw_invoices.period_end,
        raw_invoices.status,
        case
            when raw_invoices.amount = 100 * prices.price then raw_invoices.amount / 100
            else raw_invoices.amount
        end as amount
    from raw_invoices
    left join prices
        on
        raw_invoices.plan = prices.plan
        and raw_invoices.billing_interval = prices.billing_interval

),

mrr as (

    select * from {{ ref('fct_mrr') }}

),

snapshots as (

    select distinct
        mrr_month,
        snapshot_date
    from mrr

),

from_invoices as (

    select
        snapshots.mrr_month,
        sum(cast(
            invoices.amount / case invoices.billing_interval when 'year' then 12 else 1 end
            as {{ dbt.type_numeric() }}
        )) as invoiced_mrr
    from snapshots
    inner join invoices
        on invoices.period_start <= snapshots.snapshot_date
        and snapshots.snapshot_date < invoices.period_end
        and invoices.status = 'paid'
    group by snapshots.mrr_month

),

from_mart as (

    select
        mrr_month,
        sum(mrr) as mart_mrr
    from mrr
    group by mrr_month

)

select
    coalesce(from_mart.mrr_month, from_invoices.mrr_month) as mrr_month,
    from_mart.mart_mrr,
    from_invoices.invoiced_mrr
from from_mart
full outer join from_invoices on from_mart.mrr_month = from_invoices.mrr_month
where from_mart.mart_mrr is null
    or from_invoices.invoiced_mrr is null
    or from_mart.mart_mrr != from_invoices.invoiced_mrr
