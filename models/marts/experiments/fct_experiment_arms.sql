{#- One row per experiment x variant x metric: the arm's n, mean and per-user variance as
    its metric type has them (a proportion's variance p(1 - p), any other mean's the
    sample variance (n - 1), a ratio's by the delta method with the covariance of its
    numerator and denominator), and the covariate's mean and variance and its covariance
    with the metric, which CUPED adjusts by. From fct_experiment_statistics; what
    fct_experiment_results tests. -#}
{%- set double = dbt.type_float() -%}
with

statistics as (

    select * from {{ ref('fct_experiment_statistics') }}

),

design as (

    select
        experiment_key,
        variant,
        is_control,
        weight
    from {{ ref('stg_app__experiments') }}

),

moments as (

    select
        statistics.experiment_key,
        statistics.variant,
        statistics.metric,
        statistics.metric_type,
        statistics.users,
        design.is_control,
        design.weight,
        statistics.metric_sum,
        statistics.metric_sum_squares,
        statistics.denominator_sum,
        statistics.covariate_sum,
        statistics.covariate_sum_squares,
        statistics.metric_covariate_sum_products,
        cast(statistics.users as {{ double }}) as n,
        statistics.metric_sum / statistics.users as metric_mean,
        statistics.denominator_sum / statistics.users as denominator_mean,
        statistics.covariate_sum / statistics.users as covariate_mean,
        {{ sample_variance('metric_sum', 'metric_sum_squares', 'users') }}
            as metric_variance,
        {{ sample_variance('denominator_sum', 'denominator_sum_squares', 'users') }}
            as denominator_variance,
        {{ sample_variance('covariate_sum', 'covariate_sum_squares', 'users') }}
            as covariate_variance,
        {{ sample_covariance(
            'metric_sum', 'denominator_sum', 'metric_denominator_sum_products', 'users'
        ) }} as metric_denominator_covariance,
        {{ sample_covariance(
            'metric_sum', 'covariate_sum', 'metric_covariate_sum_products', 'users'
        ) }} as metric_covariate_covariance
    from statistics
    inner join design
        on statistics.experiment_key = design.experiment_key
        and statistics.variant = design.variant

),

arms as (

    select
        *,
        case
            when metric_type != 'ratio' then metric_mean
            when denominator_sum != 0 and users > 1 then metric_sum / denominator_sum
            else 0
        end as mean,
        case
            when metric_type = 'proportion' then metric_mean * (1 - metric_mean)
            when metric_type = 'mean' then metric_variance
            -- the delta method: var(m) / d^2 - 2 cov(m, d) m / d^3 + m^2 var(d) / d^4
            when denominator_sum != 0 and users > 1
                then
                    metric_variance / power(denominator_mean, 2)
                    - 2 * metric_denominator_covariance * metric_mean
                    / power(denominator_mean, 3)
                    + power(metric_mean, 2) * denominator_variance
                    / power(denominator_mean, 4)
            else 0
        end as variance
    from moments

)

select
    {{ dbt.concat(['experiment_key', "'-'", 'variant', "'-'", 'metric']) }} as experiment_arm_id,
    experiment_key,
    variant,
    metric,
    metric_type,
    is_control,
    weight,
    users,
    n,
    mean,
    variance,
    metric_sum,
    metric_sum_squares,
    covariate_sum,
    covariate_sum_squares,
    metric_covariate_sum_products,
    covariate_mean,
    covariate_variance,
    metric_covariate_covariance
from arms
