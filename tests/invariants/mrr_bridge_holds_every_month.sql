{#- Every month, ending MRR = starting + new + expansion + reactivation - contraction -
    churn, and each month starts where the previous one ended. Returns breaking months. -#}
with

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

checked as (

    select
        mrr_month,
        starting_mrr,
        ending_mrr,
        starting_mrr + new_mrr + expansion_mrr + reactivation_mrr
        - contraction_mrr - churned_mrr as bridged_mrr,
        lag(ending_mrr) over (order by mrr_month) as previous_ending_mrr
    from movements

)

select *
from checked
where ending_mrr != bridged_mrr
    or (previous_ending_mrr is not null and starting_mrr != previous_ending_mrr)
