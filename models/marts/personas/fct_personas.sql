-- One row per persona found in the users' behaviour (dim_user_personas): how many users
-- it holds and its traits, to read what each persona is.

with

personas as (

    select * from {{ ref('dim_user_personas') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

events as (

    select * from {{ ref('fct_events') }}

),

catalog as (

    select * from {{ ref('stg_app__event_catalog') }}

),

-- users who paid: moved to a paid plan or fired an event carrying money
converted as (

    select distinct events.user_id
    from events
    inner join catalog on events.event_name = catalog.event_name
    where catalog.is_paid_conversion or catalog.value_kind = 'money'

),

feature_events as (

    select
        personas.persona,
        events.feature,
        count(*) as events
    from events
    inner join personas on events.user_id = personas.user_id
    where events.is_user_action and events.feature is not null
    group by personas.persona, events.feature

),

feature_shares as (

    select
        persona,
        feature,
        events / sum(events) over (partition by persona) as feature_share,
        row_number() over (partition by persona order by events desc, feature asc) as feature_rank
    from feature_events

),

feature_mix as (

    select
        persona,
        string_agg(
            feature || ' ' || round(100.0 * feature_share, 0)::integer || '%', ', '
            order by feature_share desc, feature asc
        ) filter (where feature_rank <= 3) as top_features
    from feature_shares
    group by persona

),

traits as (

    select
        personas.persona,
        count(*) as users,
        avg(personas.persona_probability) as mean_probability,
        sum(users.lifetime_events) / nullif(sum(users.lifetime_sessions), 0)
            as events_per_session,
        avg(users.lifetime_sessions) as sessions_per_user,
        avg(users.days_active) as active_days_per_user,
        avg(users.lifetime_sessions / greatest(users.account_age_days / 30.0, 1))
            as sessions_per_user_month,
        avg(case when users.is_retained_day_7 then 1.0 else 0.0 end) as day_7_retention,
        avg(case when users.is_churned then 1.0 else 0.0 end) as churned_share,
        avg(case when converted.user_id is not null then 1.0 else 0.0 end) as conversion_rate
    from personas
    inner join users on personas.user_id = users.user_id
    left join converted on personas.user_id = converted.user_id
    group by personas.persona

),

final as (

    select
        traits.persona,
        traits.users,
        traits.users / sum(traits.users) over () as share_of_users,
        traits.mean_probability,
        traits.events_per_session,
        traits.sessions_per_user,
        traits.sessions_per_user_month,
        traits.active_days_per_user,
        traits.day_7_retention,
        traits.churned_share,
        traits.conversion_rate,
        feature_mix.top_features
    from traits
    left join feature_mix on traits.persona = feature_mix.persona

)

select * from final
