{#- One row per experiment x variant x metric: each variant against the control with
    GrowthBook's frequentist engine, from the sufficient statistics of
    fct_experiment_statistics.

    - Means: a proportion's variance is p(1 - p), any other mean's the sample variance
      (n - 1); a ratio metric's variance is the delta method's, with the covariance of its
      numerator and denominator.
    - Lifts: absolute (variant mean - control mean) and relative (over the control mean,
      with the delta method's variance), a two-sided Welch t-test (Welch-Satterthwaite
      degrees of freedom) for the p-value and the confidence interval.
    - CUPED: the metric adjusted by theta x the pre-exposure sessions, theta pooled over
      both arms; not for ratio metrics (as GrowthBook's engine).
    - Sample-ratio mismatch: chi-square of the users per variant against the planned
      weights.
    - Benjamini-Hochberg adjusted p-values across the metrics of each variant.

    The arms are fct_experiment_arms', the tests' statistics fct_experiment_tests'; the
    t and chi-square distributions are the portable ones of macros/stats/student_t.sql,
    so the model runs on any engine (in three models, so that Spark's optimizer meets
    columns, not the expressions behind them). Every division has a nullif: an undefined test is
    null, as GrowthBook leaves it, on an engine that raises on a division by zero too. -#}
{%- set level = 1 - (config.get('alpha') or 0.05) | float / 2 -%}
{%- set double = dbt.type_float() -%}
with

arms as (

    select * from {{ ref('fct_experiment_arms') }}

),

welch_tests as (

    select * from {{ ref('fct_experiment_tests') }}

),

design as (

    select
        experiment_key,
        variant,
        weight
    from {{ ref('stg_app__experiments') }}

),

-- each variant's pair with the control: whether CUPED adjusts it, and by what theta
adjusted as (

    select
        experiment_key,
        variant,
        metric,
        is_adjusted,
        theta
    from welch_tests
    where test = 'relative'

),

t_inputs as (

    select
        experiment_key,
        variant,
        metric,
        test,
        statistic,
        dof
    from welch_tests
    where is_defined and se > 0

),

{{ student_t(
    't_inputs', ['experiment_key', 'variant', 'metric', 'test'], 'statistic', 'dof', level,
    prefix='t_distribution'
) }}

tested as (

    select
        welch_tests.experiment_key,
        welch_tests.variant,
        welch_tests.metric,
        welch_tests.test,
        welch_tests.point,
        welch_tests.se,
        welch_tests.dof,
        t.p_value,
        welch_tests.point - t.quantile * welch_tests.se as ci_lower,
        welch_tests.point + t.quantile * welch_tests.se as ci_upper
    from welch_tests
    inner join t_distribution_result as t
        on welch_tests.experiment_key = t.experiment_key
        and welch_tests.variant = t.variant
        and welch_tests.metric = t.metric
        and welch_tests.test = t.test

),

-- sample-ratio mismatch: the users exposed per planned variant (a metric without a goal
-- event counts them all; none exposed: 0) against the planned weights
exposed as (

    select
        experiment_key,
        variant,
        max(n) as users
    from arms
    group by experiment_key, variant

),

exposed_experiments as (

    select distinct experiment_key from exposed

),

observed as (

    select
        design.experiment_key,
        design.weight,
        coalesce(exposed.users, 0) as users
    from design
    inner join exposed_experiments
        on design.experiment_key = exposed_experiments.experiment_key
    left join exposed
        on design.experiment_key = exposed.experiment_key
        and design.variant = exposed.variant

),

observed_totals as (

    select
        experiment_key,
        sum(users) as total_users,
        sum(weight) as total_weight,
        count(*) - 1 as dof
    from observed
    group by experiment_key

),

expected as (

    select
        observed.experiment_key,
        observed.weight,
        observed.users,
        observed_totals.total_users,
        observed_totals.dof,
        observed.weight / observed_totals.total_weight * observed_totals.total_users
            as expected_users
    from observed
    inner join observed_totals on observed.experiment_key = observed_totals.experiment_key

),

chi_squares as (

    select
        experiment_key,
        total_users,
        dof,
        sum(
            case
                when weight > 0 then power(users - expected_users, 2) / expected_users else 0
            end
        ) as chi_square
    from expected
    group by experiment_key, total_users, dof

),

-- an experiment has at most 100 variants (the scenario's contract): dof <= 99
series_terms as (

    {{ integer_series(0, 99) }}

),

chi_square_series as (

    select
        chi_squares.experiment_key,
        sum({{ chi_square_series_term('chi_squares.chi_square', 'chi_squares.dof', 'terms.n') }})
            as series
    from chi_squares
    cross join series_terms as terms
    group by chi_squares.experiment_key

),

normal_tails as (

    select
        chi_squares.experiment_key,
        sum({{ normal_tail_quadrature_term('sqrt(chi_squares.chi_square)') }}) as normal_tail
    from chi_squares
    cross join t_distribution_nodes as nodes
    group by chi_squares.experiment_key

),

sample_ratio as (

    select
        chi_squares.experiment_key,
        case
            when chi_squares.total_users = 0 or chi_squares.dof < 1 then 1
            else {{ chi_square_upper_tail(
                'chi_squares.chi_square',
                'chi_squares.dof',
                'chi_square_series.series',
                'normal_tails.normal_tail'
            ) }}
        end as srm_p_value
    from chi_squares
    inner join chi_square_series
        on chi_squares.experiment_key = chi_square_series.experiment_key
    inner join normal_tails on chi_squares.experiment_key = normal_tails.experiment_key

),

results as (

    select
        arms.experiment_key,
        arms.variant,
        arms.is_control,
        arms.metric,
        arms.metric_type,
        arms.users,
        cast(arms.weight as {{ double }}) as planned_share,
        arms.n / observed_totals.total_users as observed_share,
        arms.mean,
        arms.variance,
        absolute_test.point as absolute_lift,
        absolute_test.se as absolute_lift_se,
        absolute_test.ci_lower as absolute_ci_lower,
        absolute_test.ci_upper as absolute_ci_upper,
        relative_test.point as relative_lift,
        relative_test.se as relative_lift_se,
        relative_test.ci_lower,
        relative_test.ci_upper,
        relative_test.p_value,
        relative_test.dof as degrees_of_freedom,
        case when adjusted.is_adjusted then adjusted.theta end as cuped_theta,
        cuped_test.point as cuped_relative_lift,
        cuped_test.se as cuped_relative_lift_se,
        cuped_test.ci_lower as cuped_ci_lower,
        cuped_test.ci_upper as cuped_ci_upper,
        cuped_test.p_value as cuped_p_value,
        sample_ratio.srm_p_value
    from arms
    inner join observed_totals on arms.experiment_key = observed_totals.experiment_key
    inner join sample_ratio on arms.experiment_key = sample_ratio.experiment_key
    left join adjusted
        on arms.experiment_key = adjusted.experiment_key
        and arms.variant = adjusted.variant
        and arms.metric = adjusted.metric
    left join tested as absolute_test
        on arms.experiment_key = absolute_test.experiment_key
        and arms.variant = absolute_test.variant
        and arms.metric = absolute_test.metric
        and absolute_test.test = 'absolute'
    left join tested as relative_test
        on arms.experiment_key = relative_test.experiment_key
        and arms.variant = relative_test.variant
        and arms.metric = relative_test.metric
        and relative_test.test = 'relative'
    -- none for a ratio metric; with no covariate variance nothing to adjust: the relative
    -- test stands
    left join tested as cuped_test
        on arms.experiment_key = cuped_test.experiment_key
        and arms.variant = cuped_test.variant
        and arms.metric = cuped_test.metric
        and arms.metric_type != 'ratio'
        and cuped_test.test = case when adjusted.is_adjusted then 'cuped' else 'relative' end

),

-- Benjamini-Hochberg: p x m / rank, the smallest such from each rank up, at most 1
ranked as (

    select
        *,
        count(p_value) over (partition by experiment_key, variant) as tests,
        row_number() over (
            partition by experiment_key, variant, p_value is null order by p_value, metric
        ) as p_rank
    from results

)

select
    {{ dbt.concat(['experiment_key', "'-'", 'variant', "'-'", 'metric']) }}
        as experiment_result_id,
    experiment_key,
    variant,
    is_control,
    metric,
    metric_type,
    users,
    planned_share,
    observed_share,
    mean,
    variance,
    absolute_lift,
    absolute_lift_se,
    absolute_ci_lower,
    absolute_ci_upper,
    relative_lift,
    relative_lift_se,
    ci_lower,
    ci_upper,
    p_value,
    degrees_of_freedom,
    case
        when p_value is not null
            then least(1, min(p_value * tests / p_rank) over (
                    partition by experiment_key, variant, p_value is null
                    order by p_rank desc
                    rows between unbounded preceding and current row
                ))
    end as p_value_adjusted,
    cuped_theta,
    cuped_relative_lift,
    cuped_relative_lift_se,
    cuped_ci_lower,
    cuped_ci_upper,
    cuped_p_value,
    srm_p_value
from ranked
