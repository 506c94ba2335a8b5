{#- Stickiness (PostHog / Amplitude): how many days of a week or a calendar month each
    active user was active, counted over users. -#}
with

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

user_periods as (

    select
        user_id,
        'week' as period_type,
        {{ week_start('activity_date') }} as period_start,
        count(*) as days_active
    from activity
    group by user_id, {{ week_start('activity_date') }}

    union all

    select
        user_id,
        'month' as period_type,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as period_start,
        count(*) as days_active
    from activity
    group by user_id, cast({{ dbt.date_trunc('month', 'activity_date') }} as date)

),

counted as (

    select
        period_type,
        period_start,
        days_active,
        count(*) as users
    from user_periods
    group by period_type, period_start, days_active

),

final as (

    select
        period_type || '-' || cast(period_start as {{ dbt.type_string() }}) || '-'
        || cast(days_active as {{ dbt.type_string() }}) as stickiness_row_id,
        period_type,
        period_start,
        days_active,
        users,
        cast(users as {{ dbt.type_float() }})
        / sum(users) over (partition by period_type, period_start) as share_of_active_users
    from counted

)

select * from final
