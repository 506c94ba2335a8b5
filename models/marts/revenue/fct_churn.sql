{#- Churn by month and observable breakdown (ChartMogul definitions):
    logo churn rate      = churned customers / customers at the start of the month;
    gross MRR churn rate = (churned + contraction MRR) / starting MRR;
    net MRR churn rate   = (churned + contraction - expansion - reactivation MRR) / starting MRR;
    ARPA                 = ending MRR / paying customers at the end of the month;
    LTV                  = ARPA / logo churn rate over the trailing 3 months. -#}
{%- set breakdowns = ['role'] + user_attributes() -%}
with

movements as (

    select * from {{ ref('int_mrr_movements_by_customer') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

labelled as (

    select
        movements.*,
        '(all)' as breakdown,
        '(all)' as breakdown_value
    from movements

    {% for breakdown in breakdowns %}
        union all

        select
            movements.*,
            '{{ breakdown }}' as breakdown,
            {{ breakdown_value("users." ~ breakdown) }} as breakdown_value
        from movements
        inner join users on movements.user_id = users.user_id
    {% endfor %}

),

monthly as (

    select
        mrr_month,
        breakdown,
        breakdown_value,
        sum(case when previous_mrr > 0 then 1 else 0 end) as customers_at_start,
        sum(case when movement = 'churn' then 1 else 0 end) as churned_customers,
        sum(case when mrr > 0 then 1 else 0 end) as customers_at_end,
        sum(previous_mrr) as starting_mrr,
        sum(case when movement = 'churn' then -mrr_change else 0 end) as churned_mrr,
        sum(case when movement = 'contraction' then -mrr_change else 0 end) as contraction_mrr,
        sum(case when movement = 'expansion' then mrr_change else 0 end) as expansion_mrr,
        sum(case when movement = 'reactivation' then mrr_change else 0 end)
            as reactivation_mrr,
        sum(mrr) as ending_mrr
    from labelled
    group by mrr_month, breakdown, breakdown_value

),

rates as (

    select
        *,
        case when customers_at_start > 0
                then cast(churned_customers as {{ dbt.type_float() }}) / customers_at_start
        end as logo_churn_rate,
        case when starting_mrr > 0
                then cast(churned_mrr + contraction_mrr as {{ dbt.type_float() }}) / starting_mrr
        end as gross_mrr_churn_rate,
        case when starting_mrr > 0
                then cast(
                        churned_mrr + contraction_mrr - expansion_mrr - reactivation_mrr
                        as {{ dbt.type_float() }}
                    ) / starting_mrr
        end as net_mrr_churn_rate,
        case when customers_at_end > 0
                then cast(ending_mrr as {{ dbt.type_float() }}) / customers_at_end
        end as arpa,
        sum(churned_customers) over (
            partition by breakdown, breakdown_value order by mrr_month
            rows between 2 preceding and current row
        ) as trailing_churned_customers,
        sum(customers_at_start) over (
            partition by breakdown, breakdown_value order by mrr_month
            rows between 2 preceding and current row
        ) as trailing_customers_at_start
    from monthly

),

final as (

    select
        cast(mrr_month as {{ dbt.type_string() }}) || '-' || breakdown || '-'
        || coalesce(breakdown_value, '(none)') as churn_row_id,
        mrr_month,
        breakdown,
        breakdown_value,
        customers_at_start,
        churned_customers,
        customers_at_end,
        starting_mrr,
        churned_mrr,
        contraction_mrr,
        expansion_mrr,
        reactivation_mrr,
        ending_mrr,
        logo_churn_rate,
        gross_mrr_churn_rate,
        net_mrr_churn_rate,
        arpa,
        case when trailing_churned_customers > 0
                then arpa / (
                        cast(trailing_churned_customers as {{ dbt.type_float() }})
                        / trailing_customers_at_start
                    )
        end as ltv
    from rates

)

select * from final
