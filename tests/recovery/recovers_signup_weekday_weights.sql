{#- Each weekday's share of signups in fct_kpi_daily (anomaly days left out) against the
    share the planted curve expects, within 4 binomial standard errors. The recovered
    weekday weight is the planted one scaled by observed / expected share. -#}
with

kpi as (

    select * from {{ ref('fct_kpi_daily') }}

),

curve as (

    select * from {{ source('truth', 'signup_curve') }}

),

days as (

    select
        -- 2000-01-03 was a Monday: 0 = Monday ... 6 = Sunday
        {{ dbt.datediff("cast('2000-01-03' as date)", 'curve.signup_date', 'day') }}
        % 7 as weekday_index,
        curve.weekday_weight,
        curve.expected_share,
        coalesce(kpi.new_users, 0) as new_users
    from curve
    left join kpi on curve.signup_date = kpi.kpi_date
    where curve.anomaly_multiplier = 1

),

by_weekday as (

    select
        weekday_index,
        max(weekday_weight) as planted_weight,
        sum(expected_share) as expected_share,
        sum(new_users) as signups
    from days
    group by weekday_index

),

shares as (

    select
        weekday_index,
        planted_weight,
        signups,
        expected_share / sum(expected_share) over () as expected_share,
        cast(signups as double) / sum(signups) over () as observed_share,
        sum(signups) over () as total_signups
    from by_weekday

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        'weekday share of signups' as quantity,
        cast(weekday_index as {{ dbt.type_string() }}) as cell,
        observed_share as measured,
        expected_share as expected,
        sqrt(expected_share * (1 - expected_share) / total_signups) as standard_error,
        planted_weight,
        planted_weight * observed_share / expected_share as recovered_weight
    from shares

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where abs(measured - expected) > 4 * standard_error
{% endif %}
