{#- Stickiness (PostHog / Amplitude): how many days of a week or a calendar month each
    active user was active, counted over users. A period the as-of date falls inside is
    flagged is_complete = false: its users have had fewer days to be active. -#}
with

as_of as (

    select {{ as_of_date() }} as as_of

),

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
        / sum(users) over (partition by period_type, period_start) as share_of_active_users,
        case
            when period_type = 'week'
                then {{ dbt.dateadd('day', 6, 'period_start') }}
            else {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'period_start')) }}
        end <= (select as_of.as_of from as_of) as is_complete
    from counted

)

select * from final
