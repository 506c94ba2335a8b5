-- One row per headline metric: its backtest (the forecast made one horizon before the
-- last period) beside what came: the periods compared, the share inside the 95% interval
-- and the mean absolute percentage error.
with

forecasts as (

    select * from {{ ref('fct_forecasts') }}
    where forecast_kind = 'backtest'

),

kpi as (

    select * from {{ ref('fct_kpi_daily') }}

),

mrr as (

    select * from {{ ref('fct_mrr') }}

),

actuals as (

    select
        'dau' as metric,
        kpi_date as period_start,
        cast(dau as {{ dbt.type_float() }}) as actual
    from kpi
    union all
    select
        'new_users' as metric,
        kpi_date as period_start,
        cast(new_users as {{ dbt.type_float() }}) as actual
    from kpi
    union all
    select
        'mrr' as metric,
        cast({{ dbt.date_trunc('month', 'mrr_month') }} as date) as period_start,
        cast(sum(mrr) as {{ dbt.type_float() }}) as actual
    from mrr
    group by cast({{ dbt.date_trunc('month', 'mrr_month') }} as date)
    union all
    select
        'paying_customers' as metric,
        cast({{ dbt.date_trunc('month', 'mrr_month') }} as date) as period_start,
        cast(count(distinct user_id) as {{ dbt.type_float() }}) as actual
    from mrr
    group by cast({{ dbt.date_trunc('month', 'mrr_month') }} as date)

),

compared as (

    select
        forecasts.metric,
        forecasts.grain,
        forecasts.origin,
        forecasts.forecast,
        forecasts.lower,
        forecasts.upper,
        actuals.actual
    from forecasts
    inner join actuals
        on forecasts.metric = actuals.metric
        and cast(forecasts.period_start as date) = actuals.period_start
    where actuals.actual > 0

),

final as (

    select
        metric,
        grain,
        min(origin) as origin,
        count(*) as periods,
        avg(case when actual between lower and upper then 1.0 else 0.0 end)
            as interval_coverage,
        avg(abs(forecast - actual) / actual) as mean_absolute_percentage_error
    from compared
    group by metric, grain

)

select * from final
