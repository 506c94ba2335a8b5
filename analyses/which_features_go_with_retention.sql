-- Which features go with retention? For every feature of the world's product and every
-- role: users who used the feature in their first week against those who did not, and
-- the share of each still active in days 28-55 after signup. (An association, not a
-- cause: engaged users both explore more and stay longer; the experiments marts are
-- where causes are measured.)
with

users as (

    select * from {{ ref('dim_users') }}

),

events as (

    select * from {{ ref('fct_events') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

features as (

    select distinct feature
    from {{ ref('stg_app__event_catalog') }}
    where feature is not null

),

first_week_use as (

    select distinct
        events.feature,
        events.user_id
    from events
    inner join users on events.user_id = users.user_id
    where events.feature is not null
        and events.event_date < {{ dbt.dateadd('day', 7, 'users.signup_date') }}

),

retained as (

    select distinct activity.user_id
    from activity
    inner join users on activity.user_id = users.user_id
    where activity.activity_date >= {{ dbt.dateadd('day', 28, 'users.signup_date') }}
        and activity.activity_date < {{ dbt.dateadd('day', 56, 'users.signup_date') }}

),

matured as (

    select
        users.user_id,
        users.role
    from users
    where users.account_age_days >= 56

)

select
    features.feature,
    matured.role,
    case
        when first_week_use.user_id is not null then 'used in week 1' else 'not used'
    end as first_week,
    count(*) as users,
    round(100.0 * avg(case when retained.user_id is not null then 1.0 else 0.0 end), 1)
        as retained_weeks_5_to_8_percent
from features
cross join matured
left join first_week_use
    on features.feature = first_week_use.feature
    and matured.user_id = first_week_use.user_id
left join retained on matured.user_id = retained.user_id
group by 1, 2, 3
order by 1, 2, 3
