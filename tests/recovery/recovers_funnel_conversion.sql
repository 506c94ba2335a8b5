{#- Every planted funnel in fct_funnel_conversion, overall and by each observable
    breakdown. Truth holds, for every user and step they had a chance of reaching, the
    summed chance over their opportunities until they reached it: for a signup funnel
    one opportunity (planted rate x segment multiplier x the chance the log-normal delay
    fits the window); for the upgrade funnel every free-plan decision, where the chance
    follows from the planted conversion and step rates. Users reaching a step so have a
    known mean and variance, and the mart must count exactly the users truth says
    reached it. The segment rates enter mixed as the planted segments and attributes
    mix them in each breakdown. The bound is Bonferroni for a 0.1% family-wise false
    alarm over all checks. The median time from the previous step must match the median
    of each step's delay among the users who reach it (truth.funnel_delays: the planted
    log-normal, with the delays the window and the end of the data cut short left out)
    within 4 standard errors of a median (1 / (2 density at the median sqrt(n))), plus a
    millisecond: events are logged to the millisecond. -#}
{%- set breakdowns = ['role'] + user_attributes() -%}
with

conversion as (

    select * from {{ ref('fct_funnel_conversion') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

truth_steps as (

    select * from {{ source('truth', 'funnel_users') }}

),

labelled as (

    select
        truth_steps.*,
        '(all)' as breakdown,
        '(all)' as breakdown_value
    from truth_steps
    {% for breakdown in breakdowns %}
        union all
        select
            truth_steps.*,
            '{{ breakdown }}' as breakdown,
            {{ breakdown_value("users." ~ breakdown) }} as breakdown_value
        from truth_steps
        inner join users
            on users.user_id = cast(truth_steps.user_id as {{ dbt.type_string() }})
    {% endfor %}

),

expected as (

    select
        funnel_name,
        step_number,
        breakdown,
        breakdown_value,
        sum(case when is_reached then 1 else 0 end) as users_reaching_in_truth,
        sum(expected_reach) as expected_reaching,
        sum(variance) as variance
    from labelled
    group by funnel_name, step_number, breakdown, breakdown_value

),

compared as (

    select
        expected.*,
        coalesce(this_step.users_reaching, 0) as observed_reaching,
        count(*) over () as checks
    from expected
    left join conversion as this_step
        on expected.funnel_name = this_step.funnel_name
        and expected.step_number = this_step.step_number
        and expected.breakdown = this_step.breakdown
        and expected.breakdown_value = this_step.breakdown_value

),

conversion_errors as (

    select
        funnel_name,
        step_number,
        breakdown,
        breakdown_value,
        'users reaching the step' as checked,
        cast(observed_reaching as double) as observed,
        expected_reaching as expected,
        {{ count_tolerance('sqrt(variance)', normal_quantile_upper('0.001 / (2 * checks)')) }}
            as tolerance
    from compared
    where observed_reaching != users_reaching_in_truth
        or abs(observed_reaching - expected_reaching)
        > {{ count_tolerance('sqrt(variance)', normal_quantile_upper('0.001 / (2 * checks)')) }}

),

planted_delays as (

    select * from {{ source('truth', 'funnel_delays') }}

),

delays as (

    select
        conversion.funnel_name,
        conversion.step_number,
        conversion.breakdown,
        conversion.breakdown_value,
        conversion.median_seconds_from_previous as observed,
        planted_delays.median_seconds as expected,
        case
            when planted_delays.density_per_second < 'infinity'
                then 1 / (2 * planted_delays.density_per_second * sqrt(conversion.users_reaching))
            else 0
        end as standard_error
    from conversion
    inner join planted_delays
        on conversion.funnel_name = planted_delays.funnel_name
        and conversion.step_number = planted_delays.step_number
    where conversion.breakdown = '(all)'

),

time_errors as (

    select
        funnel_name,
        step_number,
        breakdown,
        breakdown_value,
        'median seconds from the previous step' as checked,
        observed,
        expected,
        4 * standard_error as tolerance
    from delays
    where abs(observed - expected) > 4 * standard_error + 0.001

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (  -- noqa: ST03

    select
        'users reaching a funnel step' as quantity,
        funnel_name || ' ' || step_number || ' | ' || breakdown || ' = ' || breakdown_value
            as cell,
        observed_reaching as measured,
        expected_reaching as expected,
        sqrt(variance) as standard_error
    from compared
    union all
    select
        'users reaching a funnel step, as truth counts them' as quantity,
        funnel_name || ' ' || step_number || ' | ' || breakdown || ' = ' || breakdown_value
            as cell,
        observed_reaching as measured,
        users_reaching_in_truth as expected,
        0 as standard_error
    from compared
    union all
    select
        'median seconds from the previous funnel step' as quantity,
        funnel_name || ' ' || step_number as cell,
        observed as measured,
        expected,
        standard_error
    from delays

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from conversion_errors
    union all
    select * from time_errors
{% endif %}
