{#- For the recovery tests only (no model reads truth): one row per planted anomaly day
    x metric (new_users, dau) with truth's expected value and the baseline the day would
    have had without the anomaly, each with its standard deviation. Signups are Poisson
    (sd = sqrt(mean)); DAU is a sum of per-user Bernoulli draws whose variance truth gives. -#}
{% macro planted_anomaly_days() -%}
    select
        anomalies.anomaly_name,
        anomalies.anomaly_date,
        'new_users' as metric,
        signup_curve.expected_signups as expected,
        sqrt(signup_curve.expected_signups) as expected_sd,
        signup_curve.expected_signups / anomalies.signup_multiplier as baseline,
        sqrt(signup_curve.expected_signups / anomalies.signup_multiplier) as baseline_sd
    from {{ source('truth', 'anomalies') }} as anomalies
    inner join {{ source('truth', 'signup_curve') }} as signup_curve
        on anomalies.anomaly_date = signup_curve.signup_date
    where anomalies.signup_multiplier > 0

    union all

    select
        anomalies.anomaly_name,
        anomalies.anomaly_date,
        'dau' as metric,
        activity.expected_dau as expected,
        sqrt(activity.dau_variance) as expected_sd,
        activity.baseline_dau as baseline,
        sqrt(activity.baseline_dau_variance) as baseline_sd
    from {{ source('truth', 'anomalies') }} as anomalies
    inner join {{ source('truth', 'daily_activity') }} as activity
        on anomalies.anomaly_date = activity.activity_date
{%- endmacro %}
