{#- Every planted anomaly day in fct_kpi_daily: new users and DAU match the planted
    expectation within 4 standard errors, and where the planted shift is large enough to
    be seen (at least 8 standard errors from the day's baseline), the day stands out from
    that baseline by more than 4. Signups are Poisson (sd = sqrt(mean)); DAU is a sum of
    per-user Bernoulli draws whose variance truth gives. -#}
with

kpi as (

    select * from {{ ref('fct_kpi_daily') }}

),

anomalies as (

    select * from {{ source('truth', 'anomalies') }}

),

signup_curve as (

    select * from {{ source('truth', 'signup_curve') }}

),

activity as (

    select * from {{ source('truth', 'daily_activity') }}

),

checks as (

    select
        anomalies.anomaly_name,
        anomalies.anomaly_date,
        'new_users' as metric,
        cast(coalesce(kpi.new_users, 0) as double) as observed,
        signup_curve.expected_signups as expected,
        sqrt(signup_curve.expected_signups) as expected_sd,
        signup_curve.expected_signups / anomalies.signup_multiplier as baseline,
        sqrt(signup_curve.expected_signups / anomalies.signup_multiplier) as baseline_sd
    from anomalies
    inner join signup_curve on anomalies.anomaly_date = signup_curve.signup_date
    left join kpi on anomalies.anomaly_date = kpi.kpi_date
    where anomalies.signup_multiplier > 0

    union all

    select
        anomalies.anomaly_name,
        anomalies.anomaly_date,
        'dau' as metric,
        cast(coalesce(kpi.dau, 0) as double) as observed,
        activity.expected_dau as expected,
        sqrt(activity.dau_variance) as expected_sd,
        activity.baseline_dau as baseline,
        sqrt(activity.baseline_dau_variance) as baseline_sd
    from anomalies
    inner join activity on anomalies.anomaly_date = activity.activity_date
    left join kpi on anomalies.anomaly_date = kpi.kpi_date

),

scored as (

    select
        *,
        (observed - expected) / greatest(expected_sd, 1) as z_vs_planted,
        (observed - baseline) / greatest(baseline_sd, 1) as z_vs_baseline,
        abs(expected - baseline) >= 8 * greatest(baseline_sd, 1) as is_detectable
    from checks

),

validation_errors as (

    select *
    from scored
    where abs(z_vs_planted) > 4
        or (is_detectable and abs(z_vs_baseline) <= 4)

)

select * from validation_errors
