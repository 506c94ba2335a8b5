{#- Per hidden segment, the users dim_users flags as churned (no activity in the last 28
    days) against the number the planted churn hazards and activity rates imply: each
    user's chance of that silence given their planted spells is in truth.users, so the
    count has mean sum(p) and variance sum(p(1 - p)). Fails beyond 4 standard errors,
    with count_tolerance's allowance for a count's skew.
    The planted 30-day churn probability is shown beside it. -#}
with

users as (

    select * from {{ ref('dim_users') }}

),

truth_users as (

    select * from {{ source('truth', 'users') }}

),

planted as (

    select
        dimension as segment,
        value as monthly_churn_probability
    from {{ source('truth', 'parameters') }}
    where parameter = 'segment.monthly_churn_probability'

),

by_segment as (

    select
        truth_users.segment,
        count(*) as users,
        sum(case when users.is_churned then 1 else 0 end) as churned_users,
        sum(truth_users.p_inactive_final_28d) as expected_churned,
        sum(truth_users.p_inactive_final_28d * (1 - truth_users.p_inactive_final_28d))
            as churned_variance
    from users
    inner join truth_users
        on users.user_id = cast(truth_users.user_id as {{ dbt.type_string() }})
    group by truth_users.segment

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        'users flagged churned' as quantity,
        by_segment.segment as cell,
        by_segment.churned_users as measured,
        by_segment.expected_churned as expected,
        sqrt(by_segment.churned_variance) as standard_error,
        by_segment.users,
        planted.monthly_churn_probability,
        cast(by_segment.churned_users as double) / by_segment.users as churned_share,
        by_segment.expected_churned / by_segment.users as expected_share
    from by_segment
    inner join planted on by_segment.segment = planted.segment

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where abs(measured - expected) > {{ count_tolerance('standard_error', 4) }}
{% endif %}
