{#- ChartMogul's MRR movements, month over month per customer (int_mrr_movements_by_customer):
    new          - first month with MRR;
    reactivation - MRR again after at least one month without;
    expansion    - more MRR than the month before (the increase);
    contraction  - less, but some, MRR than the month before (the decrease);
    churn        - MRR the month before and none this month (the lost MRR).
    ending = starting + new + expansion + reactivation - contraction - churn. -#}
with

movements as (

    select * from {{ ref('int_mrr_movements_by_customer') }}

),

monthly as (

    select
        mrr_month,
        sum(previous_mrr) as starting_mrr,
        sum(case when movement = 'new' then mrr_change else 0 end) as new_mrr,
        sum(case when movement = 'expansion' then mrr_change else 0 end) as expansion_mrr,
        sum(case when movement = 'contraction' then -mrr_change else 0 end) as contraction_mrr,
        sum(case when movement = 'churn' then -mrr_change else 0 end) as churned_mrr,
        sum(case when movement = 'reactivation' then mrr_change else 0 end)
            as reactivation_mrr,
        sum(mrr) as ending_mrr,
        sum(case when previous_mrr > 0 then 1 else 0 end) as starting_customers,
        sum(case when movement = 'new' then 1 else 0 end) as new_customers,
        sum(case when movement = 'reactivation' then 1 else 0 end) as reactivated_customers,
        sum(case when movement = 'churn' then 1 else 0 end) as churned_customers
    from movements
    group by mrr_month

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
