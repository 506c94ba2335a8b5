{#- The days MetricFlow joins metrics to: every day from the first signup to the as-of
    date, the days fct_kpi_daily has a row for. -#}
with

kpi_days as (

    select kpi_date from {{ ref('fct_kpi_daily') }}

),

final as (

    select kpi_date as date_day
    from kpi_days

)

select * from final
