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
    Fails too when no planted effect could be checked. An arm x metric is judged only
    with the users normal_tail_users() says its skewness needs at the check's bound (a
    lift needs both its arm and the control's): below that the normal approximation
    behind these intervals is too poor in their tails, and a pass or a failure there
    would be luck (experiment_arms_too_small_to_judge lists them, as a warning). -#}
{%- set z = normal_quantile_upper(0.0005) -%}
with

arms as (

    {{ experiment_arm_skewness() }}

),

all_results as (

    select * from {{ ref('fct_experiment_results') }}

),

judged_arms as (

    select
        experiment_key,
        variant,
        metric
    from arms
    where users >= {{ normal_tail_users('skewness', z) }}

),

controls as (

    select
        all_results.experiment_key,
        all_results.metric
    from all_results
    inner join judged_arms
        on all_results.experiment_key = judged_arms.experiment_key
        and all_results.variant = judged_arms.variant
        and all_results.metric = judged_arms.metric
    where all_results.is_control

),

results as (

    select all_results.*
    from all_results
    inner join controls
        on all_results.experiment_key = controls.experiment_key
        and all_results.metric = controls.metric
    inner join judged_arms
        on all_results.experiment_key = judged_arms.experiment_key
        and all_results.variant = judged_arms.variant
        and all_results.metric = judged_arms.metric
    where not all_results.is_control

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
        results.ci_lower,
        results.ci_upper,
        results.p_value,
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

measured_means as (

    select
        all_results.experiment_key,
        all_results.variant,
        all_results.metric,
        all_results.mean,
        all_results.variance,
        all_results.users,
        arms.skewness,
        planted.expected_value,
        count(*) over () as checks
    from all_results
    inner join planted
        on all_results.experiment_key = planted.experiment_key
        and all_results.variant = planted.variant
        and all_results.metric = planted.metric
    inner join arms
        on all_results.experiment_key = arms.experiment_key
        and all_results.variant = arms.variant
        and all_results.metric = arms.metric

),

arm_means as (

    select *
    from measured_means
    where users
        >= {{ normal_tail_users('skewness', normal_quantile_upper('0.0005 / checks')) }}

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

planted_effects as (

    select
        planted.experiment_key,
        planted.variant,
        planted.metric,
        judged_variant.variant is not null and controls.metric is not null as is_judgeable
    from planted
    left join judged_arms as judged_variant
        on planted.experiment_key = judged_variant.experiment_key
        and planted.variant = judged_variant.variant
        and planted.metric = judged_variant.metric
    left join controls
        on planted.experiment_key = controls.experiment_key
        and planted.metric = controls.metric
    where abs(planted.expected_lift) > 1e-9

),

measured_effects as (

    select count(*) as measured
    from compared
    where has_planted_effect and relative_lift_se is not null

),

measured_arms as (

    select count(*) as arms
    from arms

),

nothing_checked as (

    {#- a world that plants effects, none of them measured: a failure when one of them
        could have been judged, or when the marts measured no arm at all -#}
    select
        cast(null as {{ dbt.type_string() }}) as experiment_key,
        cast(null as {{ dbt.type_string() }}) as variant,
        cast(null as {{ dbt.type_string() }}) as metric,
        cast(null as {{ dbt.type_float() }}) as relative_lift,
        cast(null as {{ dbt.type_float() }}) as expected_lift,
        'no planted effect was measured' as failure
    from planted_effects
    cross join measured_effects
    cross join measured_arms
    group by measured_effects.measured, measured_arms.arms
    having measured_effects.measured = 0
        and (
            sum(case when planted_effects.is_judgeable then 1 else 0 end) > 0
            or measured_arms.arms = 0
        )

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

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (  -- noqa: ST03

    select
        'relative lift: ' || metric as quantity,
        experiment_key || ' / ' || variant as cell,
        relative_lift as measured,
        expected_lift as expected,
        relative_lift_se as standard_error,
        case when not has_planted_effect then p_value end as p_value,
        expected_lift between ci_lower and ci_upper as covered
    from compared
    where relative_lift_se is not null
    union all
    select
        'arm mean: ' || metric as quantity,
        experiment_key || ' / ' || variant as cell,
        mean as measured,
        expected_value as expected,
        sqrt(variance / users) as standard_error,
        null as p_value,
        null as covered
    from arm_means
    union all
    select
        'sample ratio, no mismatch planted' as quantity,
        noncentrality.experiment_key as cell,
        null as measured,
        null as expected,
        null as standard_error,
        max(results.srm_p_value) as p_value,
        null as covered
    from noncentrality
    inner join results
        on noncentrality.experiment_key = results.experiment_key
    where not noncentrality.has_planted_mismatch
    group by noncentrality.experiment_key

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons', p_value='p_value', covered='covered') }}
{% else %}
    select * from lift_misses
    union all
    select * from mean_misses
    union all
    select * from false_discoveries
    union all
    select * from nothing_checked
    union all
    select * from mismatches
{% endif %}
