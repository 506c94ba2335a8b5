{#- WAU and MAU count users with any activity in the 7 (30) days ending on the day. Each
    active day of a user covers the days until the window runs out or the user's next
    active day, whichever comes first, so the windows are summed without a fan-out. -#}
with

users as (

    select * from {{ ref('stg_app__users') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

bounds as (

    select
        min(signup_date) as first_date,
        {{ as_of_date() }} as last_date
    from users

),

series as (

    {{ integer_series(0, var("max_series_days")) }}

),

days as (

    select cast({{ dbt.dateadd('day', 'series.n', 'bounds.first_date') }} as date) as kpi_date
    from bounds
    cross join series
    where {{ dbt.dateadd('day', 'series.n', 'bounds.first_date') }} <= bounds.last_date

),

active_days as (

    select
        user_id,
        activity_date,
        events,
        lead(activity_date) over (partition by user_id order by activity_date)
            as next_active_date
    from activity

),

window_edges as (

    {% for window_name, window_days in [('wau', 7), ('mau', 30)] %}
        select
            activity_date as kpi_date,
            '{{ window_name }}' as window_name,
            1 as delta
        from active_days
        union all
        select
            cast(case
                when next_active_date is not null
                    and next_active_date < {{ dbt.dateadd('day', window_days, 'activity_date') }}
                    then next_active_date
                else {{ dbt.dateadd('day', window_days, 'activity_date') }}
            end as date) as kpi_date,
            '{{ window_name }}' as window_name,
            -1 as delta
        from active_days
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

window_changes as (

    select
        kpi_date,
        sum(case when window_name = 'wau' then delta else 0 end) as wau_change,
        sum(case when window_name = 'mau' then delta else 0 end) as mau_change
    from window_edges
    group by kpi_date

),

daily_activity as (

    select
        activity_date as kpi_date,
        count(*) as dau,
        sum(events) as events
    from active_days
    group by activity_date

),

daily_signups as (

    select
        signup_date as kpi_date,
        count(*) as new_users
    from users
    group by signup_date

),

daily_sessions as (

    select
        session_date as kpi_date,
        count(*) as sessions
    from sessions
    group by session_date

),

joined as (

    select
        days.kpi_date,
        coalesce(daily_signups.new_users, 0) as new_users,
        coalesce(daily_activity.dau, 0) as dau,
        sum(coalesce(window_changes.wau_change, 0)) over (
            order by days.kpi_date rows between unbounded preceding and current row
        ) as wau,
        sum(coalesce(window_changes.mau_change, 0)) over (
            order by days.kpi_date rows between unbounded preceding and current row
        ) as mau,
        coalesce(daily_sessions.sessions, 0) as sessions,
        coalesce(daily_activity.events, 0) as events
    from days
    left join daily_signups on days.kpi_date = daily_signups.kpi_date
    left join daily_activity on days.kpi_date = daily_activity.kpi_date
    left join window_changes on days.kpi_date = window_changes.kpi_date
    left join daily_sessions on days.kpi_date = daily_sessions.kpi_date

),

final as (

    select
        kpi_date,
        new_users,
        dau,
        wau,
        mau,
        case when mau > 0 then cast(dau as {{ dbt.type_float() }}) / mau end as dau_mau,
        sessions,
        events
    from joined

)

select * from final
