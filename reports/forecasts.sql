-- The headline metrics' forecasts (fct_forecasts, kind forecast) with their 95% intervals,
-- after the last 26 weeks of DAU and new users and every month of MRR and paying customers.
with

bounds as (

    select max(kpi_date) - interval 182 day as first_day
    from marts.fct_kpi_daily

),

recent as (

    select
        kpi.kpi_date,
        cast(kpi.dau as double) as dau,
        cast(kpi.new_users as double) as new_users
    from marts.fct_kpi_daily as kpi
    inner join bounds on kpi.kpi_date > bounds.first_day

),

months as (

    select
        cast(date_trunc('month', mrr_month) as date) as period_start,
        cast(sum(mrr) as double) as mrr,
        cast(count(distinct user_id) as double) as paying_customers
    from marts.fct_mrr
    group by cast(date_trunc('month', mrr_month) as date)

),

history as (

    select
        'dau' as metric,
        kpi_date as period_start,
        dau as actual
    from recent
    union all
    select
        'new_users' as metric,
        kpi_date as period_start,
        new_users as actual
    from recent
    union all
    select
        'mrr' as metric,
        period_start,
        mrr as actual
    from months
    union all
    select
        'paying_customers' as metric,
        period_start,
        paying_customers as actual
    from months

)

select
    metric,
    period_start,
    actual,
    null as forecast,
    null as lower,
    null as upper
from history
union all
select
    metric,
    cast(period_start as date) as period_start,
    null as actual,
    forecast,
    lower,
    upper
from marts.fct_forecasts
where forecast_kind = 'forecast'
order by metric asc, period_start asc
