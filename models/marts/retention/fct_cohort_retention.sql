{#- Amplitude / PostHog retention. Period n of a user is days [n*L, (n+1)*L) after their
    signup date (L = 1, 7 or 30). A user is eligible for period n once it has fully
    elapsed by the as-of date (matured); unmatured cells are left out, never counted as
    lost. "On" = active in period n; "on or after" = active in period n or any later one
    (unbounded retention). Period 0 holds the signup, so its retention is 1. -#}
with

users as (

    select * from {{ ref('stg_app__users') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

period_types as (

    select
        'day' as period_type,
        1 as period_days,
        {{ var('retention_max_days') }} as max_period
    union all
    select
        'week' as period_type,
        7 as period_days,
        100000 as max_period
    union all
    select
        'month' as period_type,
        30 as period_days,
        100000 as max_period

),

cohort_users as (

    select
        users.user_id,
        cast({{ dbt.date_trunc('month', 'users.signup_date') }} as date) as cohort_month,
        period_types.period_type,
        period_types.period_days,
        period_types.max_period,
        floor(
            (
                {{ dbt.datediff('users.signup_date', as_of_date(), 'day') }}
                + 1
            )
            / period_types.period_days
        ) - 1 as matured_through
    from users
    cross join period_types

),

user_periods as (

    select distinct
        activity.user_id,
        cohort_users.period_type,
        cast(floor(
            {{ dbt.datediff('users.signup_date', 'activity.activity_date', 'day') }}
            / cohort_users.period_days
        ) as {{ dbt.type_int() }}) as period_number
    from activity
    inner join users on activity.user_id = users.user_id
    inner join cohort_users
        on activity.user_id = cohort_users.user_id
    where activity.activity_date >= users.signup_date

),

last_periods as (

    select
        user_id,
        period_type,
        max(period_number) as last_period
    from user_periods
    group by user_id, period_type

),

span as (

    select
        {{ dbt.datediff('min(signup_date)', as_of_date(), 'day') }}
            as span_days
    from users

),

series as (

    {{ integer_series(0, var('max_series_days')) }}

),

periods as (

    select
        period_types.period_type,
        series.n as period_number
    from period_types
    cross join span
    inner join series
        on series.n <= span.span_days / period_types.period_days
        and series.n <= period_types.max_period

),

eligible_cells as (

    select
        cohort_users.user_id,
        cohort_users.cohort_month,
        cohort_users.period_type,
        periods.period_number
    from cohort_users
    inner join periods
        on cohort_users.period_type = periods.period_type
        and periods.period_number <= cohort_users.matured_through

),

flagged as (

    select
        eligible_cells.cohort_month,
        eligible_cells.period_type,
        eligible_cells.period_number,
        case when user_periods.user_id is not null then 1 else 0 end as is_retained_on,
        case
            when last_periods.last_period >= eligible_cells.period_number then 1 else 0
        end as is_retained_on_or_after
    from eligible_cells
    left join user_periods
        on eligible_cells.user_id = user_periods.user_id
        and eligible_cells.period_type = user_periods.period_type
        and eligible_cells.period_number = user_periods.period_number
    left join last_periods
        on eligible_cells.user_id = last_periods.user_id
        and eligible_cells.period_type = last_periods.period_type

),

cells as (

    select
        cohort_month,
        period_type,
        period_number,
        count(*) as eligible_users,
        sum(is_retained_on) as retained_on,
        sum(is_retained_on_or_after) as retained_on_or_after
    from flagged
    group by cohort_month, period_type, period_number

),

cohort_sizes as (

    select
        cohort_month,
        period_type,
        count(*) as cohort_size
    from cohort_users
    group by cohort_month, period_type

),

final as (

    select
        cast(cells.cohort_month as {{ dbt.type_string() }}) || '-' || cells.period_type || '-'
        || cast(cells.period_number as {{ dbt.type_string() }}) as retention_cell_id,
        cells.cohort_month,
        cells.period_type,
        cells.period_number,
        cohort_sizes.cohort_size,
        cells.eligible_users,
        cells.retained_on,
        cells.retained_on_or_after,
        cast(cells.retained_on as {{ dbt.type_float() }}) / cells.eligible_users
            as retention_rate_on,
        cast(cells.retained_on_or_after as {{ dbt.type_float() }}) / cells.eligible_users
            as retention_rate_on_or_after
    from cells
    inner join cohort_sizes
        on cells.cohort_month = cohort_sizes.cohort_month
        and cells.period_type = cohort_sizes.period_type

)

select * from final
