{#- MRR is read from paid invoices, as a billing-based revenue tool does: a customer's MRR
    in a month is the invoice covering the month's last day (or the as-of date in the
    current month), divided by the months it pays for, so an annual plan counts 1/12 of
    its price each month (ChartMogul's normalisation). A failed payment leaves the month
    uncovered. -#}
with

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(period_start)') }} as date) as first_month,
        {{ as_of_date() }} as as_of
    from invoices

),

series as (

    {{ integer_series(0, var('max_series_days') // 28) }}

),

months as (

    select
        cast({{ dbt.dateadd('month', 'series.n', 'bounds.first_month') }} as date) as mrr_month,
        bounds.as_of
    from bounds
    cross join series
    where {{ dbt.dateadd('month', 'series.n', 'bounds.first_month') }} <= bounds.as_of

),

snapshots as (

    select
        mrr_month,
        cast(case
            when {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'mrr_month')) }} < as_of
                then {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'mrr_month')) }}
            else as_of
        end as date) as snapshot_date
    from months

),

covered as (

    select
        invoices.user_id,
        snapshots.mrr_month,
        snapshots.snapshot_date,
        invoices.invoice_id,
        invoices.plan,
        invoices.billing_interval,
        invoices.currency,
        cast(invoices.amount / invoices.interval_months as {{ dbt.type_numeric() }}) as mrr
    from invoices
    inner join snapshots
        on invoices.period_start <= snapshots.snapshot_date
        and snapshots.snapshot_date < invoices.period_end
    where invoices.is_paid

),

final as (

    select
        user_id || '-' || cast(mrr_month as {{ dbt.type_string() }}) as mrr_id,
        *
    from covered

)

select * from final
