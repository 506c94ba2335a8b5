{#- ChartMogul's movements per customer and month, from fct_mrr: each month a customer
    pays, and the month after their last paying month in a run (churn). -#}
with

mrr as (

    select * from {{ ref('int_invoices_covering_months') }}

),

last_month as (

    select max(mrr_month) as last_mrr_month from mrr

),

first_months as (

    select
        user_id,
        min(mrr_month) as first_month
    from mrr
    group by user_id

),

paying as (

    select
        mrr.user_id,
        mrr.mrr_month,
        mrr.plan,
        previous.plan as previous_plan,
        mrr.mrr,
        coalesce(previous.mrr, 0) as previous_mrr,
        first_months.first_month
    from mrr
    inner join first_months on mrr.user_id = first_months.user_id
    left join mrr as previous
        on mrr.user_id = previous.user_id
        and previous.mrr_month = {{ dbt.dateadd('month', -1, 'mrr.mrr_month') }}

),

churned as (

    select
        previous.user_id,
        cast({{ dbt.dateadd('month', 1, 'previous.mrr_month') }} as date) as mrr_month,
        cast(null as {{ dbt.type_string() }}) as plan,
        previous.plan as previous_plan,
        cast(0 as {{ dbt.type_numeric() }}) as mrr,
        previous.mrr as previous_mrr
    from mrr as previous
    cross join last_month
    left join mrr as current_month
        on previous.user_id = current_month.user_id
        and current_month.mrr_month = {{ dbt.dateadd('month', 1, 'previous.mrr_month') }}
    where current_month.user_id is null
        and previous.mrr_month < last_month.last_mrr_month

),

classified as (

    select
        user_id,
        mrr_month,
        plan,
        previous_plan,
        previous_mrr,
        mrr,
        case
            when previous_mrr = 0 and mrr_month = first_month then 'new'
            when previous_mrr = 0 then 'reactivation'
            when mrr > previous_mrr then 'expansion'
            when mrr < previous_mrr then 'contraction'
            else 'unchanged'
        end as movement
    from paying

    union all

    select
        user_id,
        mrr_month,
        plan,
        previous_plan,
        previous_mrr,
        mrr,
        'churn' as movement
    from churned

),

final as (

    select
        user_id || '-' || cast(mrr_month as {{ dbt.type_string() }}) as movement_id,
        *,
        mrr - previous_mrr as mrr_change
    from classified

)

select * from final
