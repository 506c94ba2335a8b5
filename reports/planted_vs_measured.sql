-- What the simulator planted (truth) beside what the marts measure, with a tolerance of
-- four standard errors of the sampling noise: the same comparisons the recovery tests
-- make, as numbers. z is the deviation in standard errors.
with kpi as (

    select * from marts.fct_kpi_daily

),

anomaly_checks as (

    select
        'KPI anomalies' as area,
        'signups on ' || anomalies.anomaly_name || ' (' || anomalies.anomaly_date || ', x'
        || anomalies.signup_multiplier || ')' as quantity,
        curve.expected_signups as planted,
        kpi.new_users as measured,
        sqrt(curve.expected_signups) as standard_error
    from truth.anomalies as anomalies
    inner join truth.signup_curve as curve on anomalies.anomaly_date = curve.signup_date
    inner join kpi on anomalies.anomaly_date = kpi.kpi_date
    where anomalies.signup_multiplier != 1
    union all
    select
        'KPI anomalies' as area,
        'DAU on ' || anomalies.anomaly_name || ' (' || anomalies.anomaly_date || ', x'
        || anomalies.activity_multiplier || ')' as quantity,
        activity.expected_dau as planted,
        kpi.dau as measured,
        sqrt(activity.dau_variance) as standard_error
    from truth.anomalies as anomalies
    inner join truth.daily_activity as activity
        on anomalies.anomaly_date = activity.activity_date
    inner join kpi on anomalies.anomaly_date = kpi.kpi_date
    where anomalies.activity_multiplier != 1

),

growth_days as (

    select
        curve.signup_date,
        curve.weekday_weight * curve.month_weight as seasonal_weight,
        date_diff('day', min(curve.signup_date) over (), curve.signup_date) as day_index,
        count(*) over () as n_days,
        coalesce(kpi.new_users, 0) as new_users
    from truth.signup_curve as curve
    left join kpi on curve.signup_date = kpi.kpi_date
    where curve.anomaly_multiplier = 1

),

growth_windows as (

    select
        case when day_index < n_days / 3 then 'first' else 'last' end as time_window,
        sum(new_users) as signups,
        sum(seasonal_weight) as weight,
        sum(seasonal_weight * day_index / 365.25) / sum(seasonal_weight) as mean_years
    from growth_days
    where day_index < n_days / 3 or day_index >= n_days - n_days / 3
    group by case when day_index < n_days / 3 then 'first' else 'last' end

),

growth_check as (

    select
        'Signups' as area,
        'annual growth rate (seasonality divided out)' as quantity,
        planted_parameters.value as planted,
        (ln(last_w.signups / first_w.signups) - ln(last_w.weight / first_w.weight))
        / (last_w.mean_years - first_w.mean_years) as measured,
        sqrt(1.0 / first_w.signups + 1.0 / last_w.signups)
        / (last_w.mean_years - first_w.mean_years) as standard_error
    from growth_windows as first_w
    cross join growth_windows as last_w
    cross join truth.parameters as planted_parameters
    where first_w.time_window = 'first' and last_w.time_window = 'last'
        and planted_parameters.parameter = 'arrivals.growth.annual_rate'

),

retention_checks as (

    select
        'Retention' as area,
        expected.period_type || ' ' || expected.period_number || ' retention (pooled cohorts)'
            as quantity,
        sum(expected.expected_retained_on) / sum(expected.eligible_users) as planted,
        sum(retention.retained_on) / sum(expected.eligible_users) as measured,
        sqrt(sum(expected.variance_on)) / sum(expected.eligible_users) as standard_error
    from truth.expected_retention as expected
    inner join marts.fct_cohort_retention as retention
        on expected.cohort_month = retention.cohort_month
        and expected.period_type = retention.period_type
        and expected.period_number = retention.period_number
    where (expected.period_type = 'day' and expected.period_number in (1, 7, 30))
        or (expected.period_type = 'week' and expected.period_number in (4, 12))
        or (expected.period_type = 'month' and expected.period_number in (1, 3, 6, 12))
    group by expected.period_type, expected.period_number

),

funnel_checks as (

    select
        'Funnels' as area,
        expected.funnel_name || ' step ' || expected.step_number || ' ' || expected.event_name
        || ' (users)' as quantity,
        sum(expected.expected_reach) as planted,
        max(funnels.users_reaching) as measured,
        sqrt(sum(expected.variance)) as standard_error
    from truth.funnel_users as expected
    inner join marts.fct_funnel_conversion as funnels
        on expected.funnel_name = funnels.funnel_name
        and expected.step_number = funnels.step_number
        and funnels.breakdown = '(all)'
    group by expected.funnel_name, expected.step_number, expected.event_name

),

-- an experiment's metric is judged only where every arm has the users its skewness needs
-- at 4 standard errors (normal_tail_users in macros/stats: (g z (z^2 - 1) / 6)^2, at
-- least 150): a few payers' revenue in a small world is not normal enough to judge
arm_moments as (
    select
        experiment_key,
        metric,
        users,
        metric_sum / users as mean,
        metric_sum_squares / users - power(metric_sum / users, 2) as m2,
        metric_sum_cubes / users as m3_raw,
        metric_sum_squares / users as m2_raw
    from marts.fct_experiment_statistics
    where users > 0
),

judgeable as (
    select
        experiment_key,
        metric,
        bool_and(
            m2 > 1e-12 * (1 + mean * mean)
            and users >= greatest(
                150,
                power(
                    (m3_raw - 3 * mean * m2_raw + 2 * power(mean, 3)) / power(m2, 1.5)
                    * 4 * 15 / 6,
                    2
                )
            )
        ) as is_judgeable
    from arm_moments
    group by experiment_key, metric
),

experiment_checks as (

    select
        'Experiments' as area,
        results.experiment_key || ' ' || results.variant || ': ' || results.metric
        || ' relative lift' as quantity,
        planted.expected_lift as planted,
        results.relative_lift as measured,
        results.relative_lift_se as standard_error
    from marts.fct_experiment_results as results
    inner join truth.experiment_metrics as planted
        on results.experiment_key = planted.experiment_key
        and results.variant = planted.variant
        and results.metric = planted.metric
        and planted.segment is null
    inner join judgeable
        on results.experiment_key = judgeable.experiment_key
        and results.metric = judgeable.metric
    where not results.is_control
        and abs(planted.expected_lift) > 1e-9
        and results.relative_lift is not null
        and judgeable.is_judgeable

),

touches as (
    select
        channel,
        count(*) as touches
    from marts.fct_touchpoints
    where not is_before_signup  -- truth expects the touches on users using the product
    group by channel
),

touch_checks as (

    select
        'Marketing' as area,
        expected.channel || ' touches' as quantity,
        expected.expected_touches as planted,
        coalesce(touches.touches, 0) as measured,
        sqrt(expected.expected_touches) as standard_error
    from (
        select
            channel,
            sum(expected_touches) as expected_touches
        from truth.marketing_daily
        group by channel
    ) as expected
    left join touches on expected.channel = touches.channel

),

launched as (
    select
        feature,
        adoption_date,
        date_diff('day', min(adoption_date) over (partition by feature), adoption_date)
            as days_after_launch,
        max(adoption_date) over (partition by feature) as last_date
    from truth.feature_adoption
),

adoption_checks as (

    select
        'Adoption' as area,
        expected.feature || ' adopters by day ' || launched.days_after_launch || ' after launch'
            as quantity,
        expected.expected_cumulative_adopters as planted,
        adoption.cumulative_adopters as measured,
        sqrt(expected.cumulative_variance) as standard_error
    from truth.feature_adoption as expected
    inner join launched
        on expected.feature = launched.feature
        and expected.adoption_date = launched.adoption_date
    inner join marts.fct_feature_adoption as adoption
        on expected.feature = adoption.feature
        and expected.adoption_date = adoption.adoption_date
    where launched.days_after_launch in (30, 90, 180, 365)
        or launched.adoption_date = launched.last_date

),

measured as (
    select
        model_version,
        sum(rating_sum) as rating_sum,
        sum(rated_responses) as rated_responses
    from marts.fct_llm_quality
    group by model_version
),

llm_checks as (

    select
        'LLM quality' as area,
        expected.model_version || ' mean rating' as quantity,
        expected.expected_rating_sum / expected.ratings as planted,
        measured.rating_sum / measured.rated_responses as measured,
        sqrt(expected.rating_variance_sum) / expected.ratings as standard_error
    from (
        select
            model_version,
            sum(ratings) as ratings,
            sum(expected_rating_sum) as expected_rating_sum,
            sum(rating_variance_sum) as rating_variance_sum
        from truth.llm_rating_sums
        group by model_version
    ) as expected
    inner join measured on expected.model_version = measured.model_version

),

checks as (

    select * from growth_check
    union all
    select * from anomaly_checks
    union all
    select * from retention_checks
    union all
    select * from funnel_checks
    union all
    select * from experiment_checks
    union all
    select * from touch_checks
    union all
    select * from adoption_checks
    union all
    select * from llm_checks

)

select
    area,
    quantity,
    cast(planted as double) as planted,
    cast(measured as double) as measured,
    cast(4 * standard_error as double) as tolerance,
    cast((measured - planted) / nullif(standard_error, 0) as double) as z,
    abs(measured - planted) <= 4 * standard_error as is_within
from checks
order by area, quantity
