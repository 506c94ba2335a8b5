{#- ChartMogul's MRR movements, month over month per customer:
    new          - first month with MRR;
    reactivation - MRR again after at least one month without;
    expansion    - more MRR than the month before (the increase);
    contraction  - less, but some, MRR than the month before (the decrease);
    churn        - MRR the month before and none this month (the lost MRR).
    ending = starting + new + expansion + reactivation - contraction - churn. -#}
with

mrr as (

    select * from {{ ref('fct_mrr') }}

),

months as (

    select distinct mrr_month from mrr

),

first_months as (

    select user_id, min(mrr_month) as first_month
    from mrr
    group by user_id

),

this_month as (

    select
        mrr.user_id,
        mrr.mrr_month,
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
        previous.mrr as previous_mrr
    from mrr as previous
    left join mrr as current_month
        on previous.user_id = current_month.user_id
        and current_month.mrr_month = {{ dbt.dateadd('month', 1, 'previous.mrr_month') }}
    where current_month.user_id is null
        and {{ dbt.dateadd('month', 1, 'previous.mrr_month') }}
            <= (select max(mrr_month) from months)

),

classified as (

    select
        mrr_month,
        previous_mrr as starting_mrr,
        case when previous_mrr = 0 and mrr_month = first_month then mrr else 0 end as new_mrr,
        case when previous_mrr = 0 and mrr_month > first_month then mrr else 0 end
            as reactivation_mrr,
        case when previous_mrr > 0 and mrr > previous_mrr then mrr - previous_mrr else 0 end
            as expansion_mrr,
        case when previous_mrr > 0 and mrr < previous_mrr then previous_mrr - mrr else 0 end
            as contraction_mrr,
        0 as churned_mrr,
        mrr as ending_mrr,
        case when previous_mrr = 0 and mrr_month = first_month then 1 else 0 end
            as new_customers,
        case when previous_mrr = 0 and mrr_month > first_month then 1 else 0 end
            as reactivated_customers,
        0 as churned_customers,
        case when previous_mrr > 0 then 1 else 0 end as starting_customers
    from this_month

    union all

    select
        mrr_month,
        previous_mrr as starting_mrr,
        0 as new_mrr,
        0 as reactivation_mrr,
        0 as expansion_mrr,
        0 as contraction_mrr,
        previous_mrr as churned_mrr,
        0 as ending_mrr,
        0 as new_customers,
        0 as reactivated_customers,
        1 as churned_customers,
        1 as starting_customers
    from churned

),

monthly as (

    select
        months.mrr_month,
        coalesce(sum(classified.starting_mrr), 0) as starting_mrr,
        coalesce(sum(classified.new_mrr), 0) as new_mrr,
        coalesce(sum(classified.expansion_mrr), 0) as expansion_mrr,
        coalesce(sum(classified.contraction_mrr), 0) as contraction_mrr,
        coalesce(sum(classified.churned_mrr), 0) as churned_mrr,
        coalesce(sum(classified.reactivation_mrr), 0) as reactivation_mrr,
        coalesce(sum(classified.ending_mrr), 0) as ending_mrr,
        coalesce(sum(classified.starting_customers), 0) as starting_customers,
        coalesce(sum(classified.new_customers), 0) as new_customers,
        coalesce(sum(classified.reactivated_customers), 0) as reactivated_customers,
        coalesce(sum(classified.churned_customers), 0) as churned_customers
    from months
    left join classified on months.mrr_month = classified.mrr_month
    group by months.mrr_month

),

final as (

    select
        *,
        new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr
            as net_new_mrr,
        case
            when contraction_mrr + churned_mrr > 0
                then cast(new_mrr + expansion_mrr + reactivation_mrr as {{ dbt.type_float() }})
                    / (contraction_mrr + churned_mrr)
        end as quick_ratio
    from monthly

)

select * from final
