{#- PostHog lifecycle, by week. For each week and user:
    new          - the user signed up that week (and was active);
    returning    - active this week and the week before;
    resurrecting - active this week, not the week before, signed up earlier;
    dormant      - active the week before, not this week (PostHog charts it negative;
                   here it is a positive count with its own status).
    The as-of week is kept, flagged is_complete = false when it has not ended: its
    dormant count is not final. -#}
with

users as (

    select * from {{ ref('stg_app__users') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

as_of as (

    select
        {{ week_start(as_of_date()) }} as last_week,
        {{ as_of_date() }} as as_of

),

user_weeks as (

    select distinct
        activity.user_id,
        {{ week_start('activity.activity_date') }} as activity_week,
        {{ week_start('users.signup_date') }} as signup_week
    from activity
    inner join users on activity.user_id = users.user_id

),

with_neighbours as (

    select
        *,
        lag(activity_week) over (partition by user_id order by activity_week)
            as previous_active_week,
        lead(activity_week) over (partition by user_id order by activity_week)
            as next_active_week
    from user_weeks

),

active_statuses as (

    select
        user_id,
        activity_week as lifecycle_week,
        case
            when activity_week = signup_week then 'new'
            when previous_active_week = {{ dbt.dateadd('day', -7, 'activity_week') }}
                then 'returning'
            else 'resurrecting'
        end as status
    from with_neighbours

),

dormant_statuses as (

    select
        with_neighbours.user_id,
        cast({{ dbt.dateadd('day', 7, 'with_neighbours.activity_week') }} as date)
            as lifecycle_week,
        'dormant' as status
    from with_neighbours
    cross join as_of
    where (
        with_neighbours.next_active_week is null
        or with_neighbours.next_active_week
        > {{ dbt.dateadd('day', 7, 'with_neighbours.activity_week') }}
    )
    and {{ dbt.dateadd('day', 7, 'with_neighbours.activity_week') }} <= as_of.last_week

),

statuses as (

    select * from active_statuses
    union all
    select * from dormant_statuses

),

counted as (

    select
        lifecycle_week,
        status,
        count(*) as users
    from statuses
    group by lifecycle_week, status

),

final as (

    select
        cast(lifecycle_week as {{ dbt.type_string() }}) || '-' || status as lifecycle_row_id,
        lifecycle_week,
        status,
        users,
        case when status = 'dormant' then -users else users end as signed_users,
        {{ dbt.dateadd('day', 6, 'lifecycle_week') }} <= (select as_of.as_of from as_of)
            as is_complete
    from counted

)

select * from final
