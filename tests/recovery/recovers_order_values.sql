{#- The planted value of each order (a log-normal around the event's median, times the
    customer's segment multiplier, the account-age multiplier and the day's calendar
    multiplier: trend, month, anomaly ranges) against fct_orders. On the log scale each
    order's residual, log(amount) minus the log of every planted factor and the median,
    has mean 0; so within any group of orders, the mean of the residual plus one factor's
    log estimates that factor's mean log, with standard error sd(residual) / sqrt(n).
    Compared per segment (value multipliers), per step of the account-age curve (value
    growth), per calendar month (trend, seasonality and anomalies: the whole calendar
    multiplier), per anomaly range (its own multiplier) and overall
    (the median). Rounding to the kept decimals moves a mean log by at most half a unit
    over the smallest amount, which is added to 4 standard errors. Groups of fewer than 10
    orders are shown, not judged. -#}
with

orders as (

    select * from {{ ref('fct_orders') }}

),

truth_users as (

    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        segment
    from {{ source('truth', 'users') }}

),

parameters as (

    select * from {{ source('truth', 'parameters') }}
    where parameter like 'value.%'

),

by_event as (

    select
        medians.dimension as event_name,
        medians.value as median,
        decimals.value as decimals,
        age_units.value as age_unit_days
    from parameters as medians
    inner join parameters as decimals
        on medians.dimension = decimals.dimension
        and decimals.parameter = 'value.decimals'
    left join parameters as age_units
        on medians.dimension = age_units.dimension
        and age_units.parameter = 'value.account_age_unit_days'
    where medians.parameter = 'value.median'

),

split as (

    select
        parameter,
        {{ dbt.split_part('dimension', "'/'", 1) }} as event_name,
        {{ dbt.split_part('dimension', "'/'", 2) }} as dimension_level,
        value
    from parameters
    where parameter in ('value.segment_multiplier', 'value.account_age_multiplier')

),

age_steps as (

    select
        event_name,
        cast(dimension_level as {{ dbt.type_int() }}) as step,
        value as multiplier,
        max(cast(dimension_level as {{ dbt.type_int() }}))
            over (partition by event_name)
            as last_step
    from split
    where parameter = 'value.account_age_multiplier'

),

calendar as (

    select * from {{ source('truth', 'daily_values') }}

),

factored as (

    select
        orders.order_id,
        orders.event_name,
        orders.amount,
        orders.order_date,
        truth_users.segment,
        coalesce(age_steps.step, 0) as age_step,
        calendar.anomaly,
        by_event.decimals,
        ln(by_event.median) as log_median,
        ln(segments.value) as log_segment,
        ln(coalesce(age_steps.multiplier, 1)) as log_age,
        ln(calendar.calendar_multiplier) as log_calendar,
        ln(calendar.anomaly_multiplier) as log_anomaly
    from orders
    inner join by_event on orders.event_name = by_event.event_name
    inner join truth_users on orders.user_id = truth_users.user_id
    inner join split as segments
        on segments.parameter = 'value.segment_multiplier'
        and orders.event_name = segments.event_name
        and truth_users.segment = segments.dimension_level
    inner join calendar
        on orders.event_name = calendar.event_name
        and orders.order_date = calendar.value_date
    left join age_steps
        on orders.event_name = age_steps.event_name
        and age_steps.step = least(
            cast(floor(orders.account_age_days / by_event.age_unit_days) as {{ dbt.type_int() }}),
            age_steps.last_step
        )

),

residuals as (

    select
        *,
        ln(amount) - log_median - log_segment - log_age - log_calendar as residual
    from factored

),

grouped as (

    {%- set groups = [
        ('value median (log)', "event_name", 'log_median', 'true'),
        ('segment value multiplier (log)', "event_name || '/' || segment", 'log_segment', 'true'),
        ('account-age value multiplier (log)',
            "event_name || '/' || cast(age_step as " ~ dbt.type_string() ~ ")", 'log_age',
            "event_name in (select event_name from age_steps)"),
        ('calendar-month value multiplier (log)',
            "event_name || '/' || cast(cast(" ~ dbt.date_trunc('month', 'order_date')
                ~ " as date) as " ~ dbt.type_string() ~ ")",
            'log_calendar', 'true'),
        ('anomaly-range value multiplier (log)', "event_name || '/' || anomaly",
            'log_anomaly', 'anomaly is not null'),
    ] %}
    {%- for quantity, cell, factor, keep in groups %}
        select
            '{{ quantity }}' as quantity,
            {{ cell }} as cell,
            count(*) as orders,
            avg(residual + {{ factor }}) as measured,
            avg({{ factor }}) as expected,
            stddev_samp(residual) / sqrt(count(*)) as standard_error,
            0.5 * power(10, -max(decimals)) / min(amount) as rounding_bound
        from residuals
        where {{ keep }}
        group by {{ cell }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        quantity,
        cell,
        orders,
        measured,
        expected,
        standard_error,
        rounding_bound,
        exp(measured) as measured_multiplier,
        exp(expected) as expected_multiplier
    from grouped
    where orders >= 2

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where orders >= 10
        and abs(measured - expected) > 4 * standard_error + rounding_bound
{% endif %}
