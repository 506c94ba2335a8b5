{#- Every planted funnel in fct_funnel_conversion, overall and by each observable
    breakdown. Truth holds, for every user who reached a step, their chance of the next
    one given when they reached it (planted rate x segment multiplier x the chance the
    log-normal delay fits the window), so users reaching step k have a known mean and
    variance, and users reaching step k-1 must match exactly. The segment rates enter
    mixed as the planted segments and attributes mix them in each breakdown. The bound
    is Bonferroni for a 0.1% family-wise false alarm over all checks. The median time to
    step 2 must match the planted median delay within 4 standard errors of a median
    (median x sigma x sqrt(pi / 2) / sqrt(n)); later steps add delays up and are not
    checked for time. -#}
{%- set breakdowns = ['role', 'country', 'device', 'acquisition_channel'] -%}
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

parameters as (

    select * from {{ source('truth', 'parameters') }}

),

labelled as (

    select truth_steps.*, '(all)' as breakdown, '(all)' as breakdown_value
    from truth_steps
    {% for breakdown in breakdowns %}
    union all
    select truth_steps.*, '{{ breakdown }}' as breakdown, users.{{ breakdown }} as breakdown_value
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
        count(*) as users_at_previous_step,
        sum(p_reach) as expected_reaching,
        sum(p_reach * (1 - p_reach)) as variance
    from labelled
    group by funnel_name, step_number, breakdown, breakdown_value

),

compared as (

    select
        expected.*,
        coalesce(previous_step.users_reaching, 0) as observed_at_previous_step,
        coalesce(this_step.users_reaching, 0) as observed_reaching,
        count(*) over () as checks
    from expected
    left join conversion as this_step
        on expected.funnel_name = this_step.funnel_name
        and expected.step_number = this_step.step_number
        and expected.breakdown = this_step.breakdown
        and expected.breakdown_value = this_step.breakdown_value
    left join conversion as previous_step
        on expected.funnel_name = previous_step.funnel_name
        and expected.step_number = previous_step.step_number + 1
        and expected.breakdown = previous_step.breakdown
        and expected.breakdown_value = previous_step.breakdown_value

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
        {{ normal_quantile_upper('0.001 / (2 * checks)') }} * greatest(sqrt(variance), 1)
            as tolerance
    from compared
    where observed_at_previous_step != users_at_previous_step
        or abs(observed_reaching - expected_reaching)
            > {{ normal_quantile_upper('0.001 / (2 * checks)') }} * greatest(sqrt(variance), 1)

),

planted_delays as (

    select
        split_part(delays.dimension, '/', 1) as funnel_name,
        cast(split_part(delays.dimension, '/', 2) as integer) as step_number,
        delays.value * 3600 as median_seconds,
        sigmas.value as sigma
    from parameters as delays
    inner join parameters as sigmas
        on delays.dimension = sigmas.dimension
        and sigmas.parameter = 'funnel.delay_sigma'
    where delays.parameter = 'funnel.delay_median_hours'

),

time_errors as (

    select
        conversion.funnel_name,
        conversion.step_number,
        conversion.breakdown,
        conversion.breakdown_value,
        'median seconds to step 2' as checked,
        conversion.median_seconds_to_convert as observed,
        planted_delays.median_seconds as expected,
        4 * planted_delays.median_seconds * planted_delays.sigma * sqrt(pi() / 2)
            / sqrt(conversion.users_reaching) as tolerance
    from conversion
    inner join planted_delays
        on conversion.funnel_name = planted_delays.funnel_name
        and conversion.step_number = planted_delays.step_number
    where conversion.step_number = 2
        and conversion.breakdown = '(all)'
        and abs(conversion.median_seconds_to_convert - planted_delays.median_seconds)
            > 4 * planted_delays.median_seconds * planted_delays.sigma * sqrt(pi() / 2)
                / sqrt(conversion.users_reaching)

)

select * from conversion_errors
union all
select * from time_errors
