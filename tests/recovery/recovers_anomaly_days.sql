{#- Every planted anomaly day in fct_kpi_daily: new users and DAU match the planted
    expectation within 4 standard errors (count_tolerance: with the allowance for a
    count's skew), and where the planted shift is large enough to
    be seen (at least 8 standard errors from the day's baseline), the day stands out from
    that baseline by more than 4 (expectations: macro planted_anomaly_days). -#}
with

kpi as (

    select * from {{ ref('fct_kpi_daily') }}

),

planted as (

    {{ planted_anomaly_days() }}

),

checks as (

    select
        planted.*,
        cast(coalesce(
            case when planted.metric = 'new_users' then kpi.new_users else kpi.dau end, 0
        ) as double) as observed
    from planted
    left join kpi on planted.anomaly_date = kpi.kpi_date

),

scored as (

    select
        *,
        (observed - expected) / greatest(expected_sd, 1) as z_vs_planted,
        (observed - baseline) / greatest(baseline_sd, 1) as z_vs_baseline,
        abs(expected - baseline) >= 8 * greatest(baseline_sd, 1) as is_detectable
    from checks

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (  -- noqa: ST03

    select
        metric || ' on a planted anomaly day' as quantity,
        cast(anomaly_date as {{ dbt.type_string() }}) as cell,
        observed as measured,
        expected,
        expected_sd as standard_error
    from scored

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select *
    from scored
    where abs(observed - expected) > {{ count_tolerance('expected_sd', 4) }}
        or (is_detectable and abs(z_vs_baseline) <= 4)
{% endif %}
