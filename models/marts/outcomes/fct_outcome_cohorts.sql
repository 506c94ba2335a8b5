{#- One row per signup month x outcome: the cohort's users, how many reached the outcome by
    the as-of date, and how long it took them (days from signup). -#}
with

user_outcomes as (

    select * from {{ ref('fct_user_outcomes') }}

),

final as (

    select
        cast(cohort_month as {{ dbt.type_string() }}) || '-' || outcome as outcome_cohort_id,
        cohort_month,
        outcome,
        count(*) as cohort_users,
        sum(case when is_reached then 1 else 0 end) as users_reached,
        avg(case when is_reached then 1 else 0 end) as reach_rate,
        {{ quantile('days_to_outcome', 0.5) }} as median_days_to_outcome,
        {{ quantile('days_to_outcome', 0.9) }} as p90_days_to_outcome
    from user_outcomes
    group by cohort_month, outcome

)

select * from final
