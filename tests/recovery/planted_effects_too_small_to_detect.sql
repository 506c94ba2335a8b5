{{ config(severity='warn') }}
{#- Says which planted experiment effects the world is too small to tell from none: a
    variant x metric whose planted (counterfactual) lift lies within 4 of the mart's
    standard errors of zero. recovers_experiment_effects still checks it (the measured
    lift must lie near the planted one), but a mart that measured no effect at all could
    pass there as well, so the pass says little. users_needed is the arm size at which the
    planted lift would be 4 standard errors (which shrink as 1 / sqrt(users)). A warning,
    not a failure: it is no fault of the marts. -#}
with

results as (

    select * from {{ ref('fct_experiment_results') }}

),

planted as (

    select * from {{ source('truth', 'experiment_metrics') }}
    where segment is null

)

select
    results.experiment_key,
    results.variant,
    results.metric,
    results.users,
    planted.expected_lift,
    results.relative_lift_se,
    ceil(
        results.users * power(4 * results.relative_lift_se / abs(planted.expected_lift), 2)
    ) as users_needed
from results
inner join planted
    on results.experiment_key = planted.experiment_key
    and results.variant = planted.variant
    and results.metric = planted.metric
where not results.is_control
    and results.relative_lift_se is not null
    and abs(planted.expected_lift) > 1e-9
    and abs(planted.expected_lift) < 4 * results.relative_lift_se
