{#- One row per experiment x variant x metric x test (absolute, relative, cuped): the
    point, standard error and Welch-Satterthwaite degrees of freedom of GrowthBook's
    two-sided t-test of the variant's arm against the control's (relative: over the
    control's mean, its variance by the delta method; cuped: both arms adjusted by theta
    x the covariate, theta pooled over both arms, for a metric that is not a ratio and
    whose pooled covariate and metric vary), and the t statistic. Each test's
    distribution is fct_experiment_results'. -#}
with

arms as (

    select * from {{ ref('fct_experiment_arms') }}

),

pairs as (

    select
        b.experiment_key,
        b.variant,
        b.metric,
        b.metric_type,
        a.n as a_n,
        a.mean as a_mean,
        a.mean as a_unadjusted,
        a.variance as a_variance,
        a.covariate_mean as a_pre_mean,
        a.covariate_variance as a_pre_variance,
        a.metric_covariate_covariance as a_covariance,
        b.n as b_n,
        b.mean as b_mean,
        b.mean as b_unadjusted,
        b.variance as b_variance,
        b.covariate_mean as b_pre_mean,
        b.covariate_variance as b_pre_variance,
        b.metric_covariate_covariance as b_covariance,
        a.n + b.n as joint_n,
        a.metric_sum + b.metric_sum as joint_sum,
        a.metric_sum_squares + b.metric_sum_squares as joint_squares,
        a.covariate_sum + b.covariate_sum as joint_pre_sum,
        a.covariate_sum_squares + b.covariate_sum_squares as joint_pre_squares,
        a.metric_covariate_sum_products + b.metric_covariate_sum_products as joint_products
    from arms as b
    inner join arms as a
        on b.experiment_key = a.experiment_key
        and b.metric = a.metric
        and a.is_control
    where not b.is_control

),

pooled as (

    select
        *,
        case
            when metric_type = 'proportion'
                then joint_sum / joint_n * (1 - joint_sum / joint_n)
            else {{ sample_variance('joint_sum', 'joint_squares', 'joint_n') }}
        end as joint_post_variance,
        {{ sample_variance('joint_pre_sum', 'joint_pre_squares', 'joint_n') }}
            as joint_pre_variance,
        {{ sample_covariance('joint_sum', 'joint_pre_sum', 'joint_products', 'joint_n') }}
            as joint_covariance
    from pairs

),

adjusted as (

    select
        *,
        metric_type != 'ratio'
        and joint_pre_variance != 0
        and joint_post_variance != 0 as is_adjusted,
        joint_covariance / nullif(joint_pre_variance, 0) as theta
    from pooled

),

adjusted_arms as (

    select
        experiment_key,
        variant,
        metric,
        a_n as ca_n,
        a_unadjusted as ca_unadjusted,
        b_n as cb_n,
        b_unadjusted as cb_unadjusted,
        a_mean - theta * a_pre_mean as ca_mean,
        a_variance + theta * theta * a_pre_variance - 2 * theta * a_covariance as ca_variance,
        b_mean - theta * b_pre_mean as cb_mean,
        b_variance + theta * theta * b_pre_variance - 2 * theta * b_covariance as cb_variance
    from adjusted
    where is_adjusted

),

welch_tests as (

    select
        experiment_key,
        variant,
        metric,
        'absolute' as test,
        {{ welch_test('a', 'b', false) }}
    from pairs
    union all
    select
        experiment_key,
        variant,
        metric,
        'relative' as test,
        {{ welch_test('a', 'b', true) }}
    from pairs
    union all
    select
        experiment_key,
        variant,
        metric,
        'cuped' as test,
        {{ welch_test('ca', 'cb', true) }}
    from adjusted_arms

),

final as (

    select
        {{ dbt.concat([
            'welch_tests.experiment_key', "'-'", 'welch_tests.variant', "'-'",
            'welch_tests.metric', "'-'", 'welch_tests.test'
        ]) }} as experiment_test_id,
        welch_tests.*,
        adjusted.is_adjusted,
        adjusted.theta,
        abs(welch_tests.point) / nullif(welch_tests.se, 0) as statistic
    from welch_tests
    inner join adjusted
        on welch_tests.experiment_key = adjusted.experiment_key
        and welch_tests.variant = adjusted.variant
        and welch_tests.metric = adjusted.metric

)

select * from final
