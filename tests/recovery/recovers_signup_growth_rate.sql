{#- The planted exponential growth rate of signups, recovered from fct_kpi_daily.
    Signups in the first and last third of the timeframe (anomaly days left out) are
    compared after dividing out the planted weekday and month weights:
        g = (ln(S_last / S_first) - ln(W_last / W_first)) / (t_last - t_first)
    with t the weight-averaged time in years. The Poisson standard error is
    sqrt(1/S_first + 1/S_last) / (t_last - t_first); the test fails beyond 4 of them. -#}
with

kpi as (

    select * from {{ ref('fct_kpi_daily') }}

),

curve as (

    select * from {{ source('truth', 'signup_curve') }}

),

planted as (

    select value as annual_rate
    from {{ source('truth', 'parameters') }}
    where parameter = 'arrivals.growth.annual_rate'

),

first_day as (

    select min(signup_date) as first_date from curve

),

days as (

    select
        curve.signup_date,
        curve.weekday_weight * curve.month_weight as seasonal_weight,
        curve.anomaly_multiplier,
        {{ dbt.datediff('first_day.first_date', 'curve.signup_date', 'day') }}
            as day_index,
        coalesce(kpi.new_users, 0) as new_users
    from curve
    cross join first_day
    left join kpi on curve.signup_date = kpi.kpi_date

),

total as (

    select count(*) as n_days from days

),

windows as (

    select
        days.*,
        case
            when days.day_index < total.n_days / 3 then 'first'
            when days.day_index >= total.n_days - total.n_days / 3 then 'last'
        end as time_window
    from days
    cross join total
    where days.anomaly_multiplier = 1

),

sums as (

    select
        time_window,
        sum(new_users) as signups,
        sum(seasonal_weight) as weight,
        sum(seasonal_weight * day_index / 365.25) / sum(seasonal_weight) as mean_years
    from windows
    where time_window is not null
    group by time_window

),

estimate as (

    select
        (
            ln(cast(last_w.signups as double) / first_w.signups)
            - ln(last_w.weight / first_w.weight)
        ) / (last_w.mean_years - first_w.mean_years) as recovered_rate,
        sqrt(1.0 / first_w.signups + 1.0 / last_w.signups)
        / (last_w.mean_years - first_w.mean_years) as standard_error
    from sums as first_w
    cross join sums as last_w
    where first_w.time_window = 'first' and last_w.time_window = 'last'

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        'annual signup growth rate' as quantity,
        '' as cell,
        estimate.recovered_rate as measured,
        planted.annual_rate as expected,
        estimate.standard_error
    from estimate
    cross join planted

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where abs(measured - expected) > 4 * standard_error
{% endif %}
