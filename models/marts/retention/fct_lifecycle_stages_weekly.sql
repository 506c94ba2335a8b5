{#- Each user's inferred lifecycle stage (macro lifecycle_stage) at the end of every week
    from their signup week to the as-of week, counted per week and stage. Weeks run
    Monday to Sunday, so the 28 days ending on a Sunday are exactly its last four weeks;
    the as-of week ends on the as-of date, flagged is_complete = false until it has its
    seven days. -#}
with

users as (

    select * from {{ ref('stg_app__users') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

as_of as (

    select {{ as_of_date() }} as as_of

),

weekly_activity as (

    select
        user_id,
        {{ week_start('activity_date') }} as week_start,
        count(*) as active_days,
        max(activity_date) as last_active_date
    from activity
    group by user_id, {{ week_start('activity_date') }}

),

series as (

    {{ integer_series(0, var('max_series_days') // 7) }}

),

user_weeks as (

    select
        users.user_id,
        users.signup_date,
        cast({{ dbt.dateadd('day', '7 * series.n', week_start('users.signup_date')) }} as date)
            as week_start
    from users
    cross join as_of
    inner join series
        on {{ dbt.dateadd('day', '7 * series.n', week_start('users.signup_date')) }}
        <= as_of.as_of

),

with_activity as (

    select
        user_weeks.user_id,
        user_weeks.signup_date,
        user_weeks.week_start,
        cast(case
            when {{ dbt.dateadd('day', 6, 'user_weeks.week_start') }} < as_of.as_of
                then {{ dbt.dateadd('day', 6, 'user_weeks.week_start') }}
            else as_of.as_of
        end as date) as week_end,
        coalesce(weekly_activity.active_days, 0) as active_days,
        weekly_activity.last_active_date
    from user_weeks
    cross join as_of
    left join weekly_activity
        on user_weeks.user_id = weekly_activity.user_id
        and user_weeks.week_start = weekly_activity.week_start

),

trailing_windows as (

    select
        *,
        sum(active_days) over (
            partition by user_id order by week_start
            rows between 3 preceding and current row
        ) as active_days_last_28,
        max(last_active_date) over (
            partition by user_id order by week_start
            rows between unbounded preceding and current row
        ) as last_active_by_week_end
    from with_activity

),

staged as (

    select
        week_start,
        {{ lifecycle_stage(
            dbt.datediff('signup_date', 'week_end', 'day'),
            'active_days_last_28',
            dbt.datediff('last_active_by_week_end', 'week_end', 'day')
        ) }} as lifecycle_stage
    from trailing_windows

),

counted as (

    select
        week_start,
        lifecycle_stage,
        count(*) as users
    from staged
    group by week_start, lifecycle_stage

),

final as (

    select
        cast(week_start as {{ dbt.type_string() }}) || '-' || lifecycle_stage
            as lifecycle_stage_row_id,
        week_start,
        lifecycle_stage,
        users,
        cast(users as {{ dbt.type_float() }}) / sum(users) over (partition by week_start)
            as share_of_users,
        {{ dbt.dateadd('day', 6, 'week_start') }} <= (select as_of.as_of from as_of)
            as is_complete
    from counted

)

select * from final
