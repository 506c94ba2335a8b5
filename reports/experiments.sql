-- Every treatment variant's relative lift on every metric, with its 95% CI and the
-- Benjamini-Hochberg adjusted p-value, beside the lift truth says was planted (the metric
-- had every exposed user got that variant).
with

results as (

    select * from marts.fct_experiment_results
    where not is_control

),

planted as (

    select * from truth.experiment_metrics
    where segment is null

)

select
    results.experiment_key,
    results.variant,
    results.metric,
    results.users,
    results.relative_lift,
    results.ci_lower,
    results.ci_upper,
    results.p_value_adjusted,
    results.srm_p_value,
    planted.expected_lift as planted_lift
from results
left join planted
    on results.experiment_key = planted.experiment_key
    and results.variant = planted.variant
    and results.metric = planted.metric
where results.relative_lift is not null
order by results.experiment_key, results.variant, results.metric
