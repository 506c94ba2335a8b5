{#- fct_cohort_retention against the retention the planted dynamics imply. For each
    user and period, truth knows the expected sessions from the planted rates (segment,
    own multiplier, cohort baseline, age decay, seasonality, churn and return), so the
    chance of being active is 1 - exp(-expected sessions): retained users are a sum of
    Bernoulli draws with known mean and variance. Checked at a fixed set of 17 periods
    pooled over cohorts, "on" and "on or after": 34 checks, so each allows the Bonferroni
    bound for a 0.1% family-wise false alarm, 4.18 standard errors (the normal quantile
    of 0.001 / 68). Cohort by cohort at month 1, the sum of squared standardised
    deviations must stay under the chi-square bound 4 standard deviations out
    (Wilson-Hilferty). The eligible (matured) users must match exactly. -#}
{%- set pooled_bound = normal_quantile_upper('0.001 / 68') -%}
with

retention as (

    select * from {{ ref('fct_cohort_retention') }}

),

expected as (

    select * from {{ source('truth', 'expected_retention') }}

),

joined as (

    select
        expected.cohort_month,
        expected.period_type,
        expected.period_number,
        expected.eligible_users as expected_eligible,
        coalesce(retention.eligible_users, 0) as eligible_users,
        coalesce(retention.retained_on, 0) as retained_on,
        coalesce(retention.retained_on_or_after, 0) as retained_on_or_after,
        expected.expected_retained_on,
        expected.variance_on,
        expected.expected_retained_on_or_after,
        expected.variance_on_or_after
    from expected
    left join retention
        on expected.cohort_month = retention.cohort_month
        and expected.period_type = retention.period_type
        and expected.period_number = retention.period_number

),

checked_cells as (

    select
        period_type,
        period_number,
        sum(expected_eligible) as expected_eligible,
        sum(eligible_users) as eligible_users,
        sum(retained_on) as retained_on,
        sum(expected_retained_on) as expected_retained_on,
        sum(variance_on) as variance_on,
        sum(retained_on_or_after) as retained_on_or_after,
        sum(expected_retained_on_or_after) as expected_retained_on_or_after,
        sum(variance_on_or_after) as variance_on_or_after
    from joined
    where (period_type = 'day' and period_number in (1, 7, 14, 30))
        or (period_type = 'week' and period_number in (1, 2, 4, 8, 12, 26, 52))
        or (period_type = 'month' and period_number in (1, 2, 3, 6, 12, 24))
    group by period_type, period_number

),

cohort_cells as (

    select
        count(*) as cohorts,
        sum(
            power(retained_on - expected_retained_on, 2) / greatest(variance_on, 1)
        ) as chi_square_on,
        sum(
            power(retained_on_or_after - expected_retained_on_or_after, 2)
            / greatest(variance_on_or_after, 1)
        ) as chi_square_on_or_after
    from joined
    where period_type = 'month' and period_number = 1

),

cohort_bound as (

    -- Wilson-Hilferty: chi-square(k) at 4 standard normal deviations
    select
        *,
        cohorts * power(1 - 2.0 / (9 * cohorts) + 4 * sqrt(2.0 / (9 * cohorts)), 3)
            as chi_square_bound
    from cohort_cells

),

pooled_errors as (

    select
        'pooled cells' as checked,
        period_type,
        period_number,
        eligible_users,
        expected_eligible,
        (retained_on - expected_retained_on) / greatest(sqrt(variance_on), 1)
            as statistic_on,
        (retained_on_or_after - expected_retained_on_or_after)
        / greatest(sqrt(variance_on_or_after), 1) as statistic_on_or_after,
        {{ pooled_bound }} as bound
    from checked_cells
    where eligible_users != expected_eligible
        or abs(retained_on - expected_retained_on)
        > {{ count_tolerance('sqrt(variance_on)', pooled_bound) }}
        or abs(retained_on_or_after - expected_retained_on_or_after)
        > {{ count_tolerance('sqrt(variance_on_or_after)', pooled_bound) }}

),

cohort_errors as (

    select
        'chi-square over cohorts' as checked,
        'month' as period_type,
        1 as period_number,
        null as eligible_users,
        null as expected_eligible,
        chi_square_on as statistic_on,
        chi_square_on_or_after as statistic_on_or_after,
        chi_square_bound as bound
    from cohort_bound
    where chi_square_on > chi_square_bound or chi_square_on_or_after > chi_square_bound

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (  -- noqa: ST03

    select
        'retained on the period, pooled over cohorts' as quantity,
        period_type || ' ' || period_number as cell,
        retained_on as measured,
        expected_retained_on as expected,
        sqrt(variance_on) as standard_error
    from checked_cells
    union all
    select
        'retained on month 1, by cohort' as quantity,
        cast(cohort_month as {{ dbt.type_string() }}) as cell,
        retained_on as measured,
        expected_retained_on as expected,
        sqrt(variance_on) as standard_error
    from joined
    where period_type = 'month' and period_number = 1
    union all
    select
        'retained on or after the period, pooled over cohorts' as quantity,
        period_type || ' ' || period_number as cell,
        retained_on_or_after as measured,
        expected_retained_on_or_after as expected,
        sqrt(variance_on_or_after) as standard_error
    from checked_cells
    union all
    select
        'retained on or after month 1, by cohort' as quantity,
        cast(cohort_month as {{ dbt.type_string() }}) as cell,
        retained_on_or_after as measured,
        expected_retained_on_or_after as expected,
        sqrt(variance_on_or_after) as standard_error
    from joined
    where period_type = 'month' and period_number = 1
    union all
    select
        'eligible users' as quantity,
        period_type || ' ' || period_number as cell,
        eligible_users as measured,
        expected_eligible as expected,
        0 as standard_error
    from checked_cells

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from pooled_errors
    union all
    select * from cohort_errors
{% endif %}
