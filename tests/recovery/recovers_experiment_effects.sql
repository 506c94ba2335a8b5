{#- fct_experiment_results against the planted experiments. Every variant x metric's
    relative lift lies within its 99.9% interval (the mart's standard error) of the lift
    truth says the metric has had every exposed user got that variant (each user's
    expectation under each variant, activity, churn and plan path as they were), and
    every variant's mean lies within the Bonferroni bound (0.1% family-wise) of that
    counterfactual mean (standard error sqrt(variance / users)); no
    metric without a planted effect is significant at 0.1% after Benjamini-Hochberg; a
    planted sample-ratio mismatch is detected (p < 0.001) wherever the lost exposures make
    it detectable (the chi-square's noncentrality, from the users truth assigned and the
    planted loss, at least (3.29 + 4)^2), and none is reported where none was planted.
    Fails too when no planted effect could be checked. A variant or control arm of fewer
    than {{ min_users }} users is not judged: the normal approximation behind these intervals
    is poor there for skewed metrics (experiment_arms_too_small_to_judge lists them, as a
    warning). -#}
{%- set z = normal_quantile_upper(0.0005) -%}
{%- set min_users = experiment_min_arm_users() -%}
with

all_results as (

    select * from {{ ref('fct_experiment_results') }}

),

controls as (

    select
        experiment_key,
        metric,
        users as control_users
    from all_results
    where is_control

),

results as (

    select all_results.*
    from all_results
    inner join controls
        on all_results.experiment_key = controls.experiment_key
        and all_results.metric = controls.metric
    where not all_results.is_control
        and all_results.users >= {{ min_users }}
        and controls.control_users >= {{ min_users }}

),

planted as (

    select * from {{ source('truth', 'experiment_metrics') }}
    where segment is null

),

parameters as (

    select * from {{ source('truth', 'parameters') }}

),

assignments as (

    select * from {{ source('truth', 'experiment_assignments') }}

),

compared as (

    select
        results.experiment_key,
        results.variant,
        results.metric,
        results.relative_lift,
        results.relative_lift_se,
        results.p_value_adjusted,
        planted.expected_lift,
        abs(planted.expected_lift) > 1e-9 as has_planted_effect
    from results
    inner join planted
        on results.experiment_key = planted.experiment_key
        and results.variant = planted.variant
        and results.metric = planted.metric

),

lift_misses as (

    select
        experiment_key,
        variant,
        metric,
        relative_lift,
        expected_lift,
        'relative lift outside its 99.9% interval around the planted lift' as failure
    from compared
    where relative_lift_se is not null
        and abs(relative_lift - expected_lift) > {{ z }} * relative_lift_se

),

arm_means as (

    select
        all_results.experiment_key,
        all_results.variant,
        all_results.metric,
        all_results.mean,
        all_results.variance,
        all_results.users,
        planted.expected_value,
        count(*) over () as checks
    from all_results
    inner join planted
        on all_results.experiment_key = planted.experiment_key
        and all_results.variant = planted.variant
        and all_results.metric = planted.metric
    where all_results.users >= {{ min_users }}

),

mean_misses as (

    select
        experiment_key,
        variant,
        metric,
        mean as relative_lift,
        expected_value as expected_lift,
        'mean outside the Bonferroni bound around the planted counterfactual mean' as failure
    from arm_means
    where abs(mean - expected_value)
        > {{ normal_quantile_upper('0.0005 / checks') }} * sqrt(variance / users)

),

false_discoveries as (

    select
        experiment_key,
        variant,
        metric,
        relative_lift,
        expected_lift,
        'significant after correction without a planted effect' as failure
    from compared
    where not has_planted_effect and p_value_adjusted < 0.001

),

nothing_checked as (

    select
        cast(null as {{ dbt.type_string() }}) as experiment_key,
        cast(null as {{ dbt.type_string() }}) as variant,
        cast(null as {{ dbt.type_string() }}) as metric,
        cast(null as {{ dbt.type_float() }}) as relative_lift,
        cast(null as {{ dbt.type_float() }}) as expected_lift,
        'no planted effect was measured' as failure
    from compared
    having sum(
            case when has_planted_effect and relative_lift_se is not null then 1 else 0 end
        ) = 0

),

design as (

    select
        {{ dbt.split_part('dimension', "'/'", 1) }} as experiment_key,
        {{ dbt.split_part('dimension', "'/'", 2) }} as variant,
        max(case when parameter = 'experiment.weight' then value end) as weight,
        max(case when parameter = 'experiment.lost_exposures' then value end) as lost
    from parameters
    where parameter in ('experiment.weight', 'experiment.lost_exposures')
    group by
        {{ dbt.split_part('dimension', "'/'", 1) }},
        {{ dbt.split_part('dimension', "'/'", 2) }}

),

expected_logs as (

    select
        design.experiment_key,
        design.variant,
        design.weight,
        design.lost,
        count(*) * (1 - design.lost) as expected_logged
    from assignments
    inner join design
        on assignments.experiment_key = design.experiment_key
        and assignments.variant = design.variant
    group by design.experiment_key, design.variant, design.weight, design.lost

),

expected_totals as (

    select
        *,
        sum(expected_logged) over (partition by experiment_key) as total_logged
    from expected_logs

),

noncentrality as (

    select
        experiment_key,
        max(lost) > 0 as has_planted_mismatch,
        sum(power(expected_logged - weight * total_logged, 2) / (weight * total_logged))
            as srm_noncentrality
    from expected_totals
    group by experiment_key

),

mismatches as (

    select
        noncentrality.experiment_key,
        cast(null as {{ dbt.type_string() }}) as variant,
        'srm' as metric,
        max(results.srm_p_value) as relative_lift,
        max(noncentrality.srm_noncentrality) as expected_lift,
        case
            when noncentrality.has_planted_mismatch
                then 'planted sample-ratio mismatch not detected'
            else 'sample-ratio mismatch reported where none was planted'
        end as failure
    from noncentrality
    inner join results
        on noncentrality.experiment_key = results.experiment_key
    group by noncentrality.experiment_key, noncentrality.has_planted_mismatch
    having (
        noncentrality.has_planted_mismatch
        and max(noncentrality.srm_noncentrality) >= power({{ z }} + 4, 2)
        and max(results.srm_p_value) >= 0.001
    ) or (not noncentrality.has_planted_mismatch and min(results.srm_p_value) < 0.001)

)

select * from lift_misses
union all
select * from mean_misses
union all
select * from false_discoveries
union all
select * from nothing_checked
union all
select * from mismatches
