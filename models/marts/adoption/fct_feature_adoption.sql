{#- Adoption of every feature: a user adopts a feature with their first event of it
    (fct_feature_adopters). Per feature x day from its first adopter to the as-of date: new
    and cumulative adopters, and the share of that day's active users who had adopted it
    by then. -#}
with

activity as (

    select
        user_id,
        activity_date
    from {{ ref('int_user_activity_daily') }}

),

adopters as (

    select
        user_id,
        feature,
        adopted_on
    from {{ ref('fct_feature_adopters') }}

),

launches as (

    select
        feature,
        min(adopted_on) as first_date,
        {{ as_of_date() }} as last_date
    from adopters
    group by feature

),

series as (

    {{ integer_series(0, var("max_series_days")) }}

),

days as (

    select
        launches.feature,
        cast({{ dbt.dateadd('day', 'series.n', 'launches.first_date') }} as date) as adoption_date
    from launches
    cross join series
    where {{ dbt.dateadd('day', 'series.n', 'launches.first_date') }} <= launches.last_date

),

new_adopters as (

    select
        feature,
        adopted_on as adoption_date,
        count(*) as new_adopters
    from adopters
    group by feature, adopted_on

),

daily_active as (

    select
        activity_date,
        count(*) as active_users
    from activity
    group by activity_date

),

active_adopters as (

    select
        adopters.feature,
        activity.activity_date,
        count(*) as active_adopters
    from activity
    inner join adopters
        on activity.user_id = adopters.user_id
        and activity.activity_date >= adopters.adopted_on
    group by adopters.feature, activity.activity_date

),

final as (

    select
        days.feature || '-' || cast(days.adoption_date as {{ dbt.type_string() }})
            as feature_adoption_id,
        days.feature,
        days.adoption_date,
        coalesce(new_adopters.new_adopters, 0) as new_adopters,
        sum(coalesce(new_adopters.new_adopters, 0)) over (
            partition by days.feature order by days.adoption_date
            rows between unbounded preceding and current row
        ) as cumulative_adopters,
        coalesce(daily_active.active_users, 0) as active_users,
        coalesce(active_adopters.active_adopters, 0) as active_adopters,
        cast(coalesce(active_adopters.active_adopters, 0) as {{ dbt.type_float() }})
        / nullif(daily_active.active_users, 0) as share_of_active_users
    from days
    left join new_adopters
        on days.feature = new_adopters.feature
        and days.adoption_date = new_adopters.adoption_date
    left join daily_active
        on days.adoption_date = daily_active.activity_date
    left join active_adopters
        on days.feature = active_adopters.feature
        and days.adoption_date = active_adopters.activity_date

)

select * from final
