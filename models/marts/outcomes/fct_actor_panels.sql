{#- One row per relation x actor of the kind users are linked to in it (a doctor's panel
    of patients): the panel's size and its users' early activity. Actors of that kind with
    no users yet have a row with zeros. -#}
with

assignments as (

    select * from {{ ref('stg_app__assignments') }}

),

actors as (

    select * from {{ ref('dim_actors') }}

),

engagement as (

    select * from {{ ref('fct_user_engagement') }}

),

relation_kinds as (

    select distinct
        assignments.relation,
        actors.actor_kind
    from assignments
    inner join actors on assignments.actor_id = actors.actor_id

),

panels as (

    select
        assignments.relation,
        assignments.actor_id,
        count(*) as panel_size,
        sum(case when engagement.has_early_days then 1 else 0 end) as early_users,
        sum(engagement.early_sessions) as early_sessions,
        sum(engagement.early_sessions * engagement.early_sessions) as early_sessions_squared
    from assignments
    inner join engagement on assignments.user_id = engagement.user_id
    group by assignments.relation, assignments.actor_id

),

final as (

    select
        relation_kinds.relation || '-' || actors.actor_id as actor_panel_id,
        relation_kinds.relation,
        actors.actor_id,
        actors.actor_kind,
        actors.joined_date,
        coalesce(panels.panel_size, 0) as panel_size,
        coalesce(panels.early_users, 0) as early_users,
        coalesce(panels.early_sessions, 0) as early_sessions,
        coalesce(panels.early_sessions_squared, 0) as early_sessions_squared,
        cast(panels.early_sessions as {{ dbt.type_float() }})
        / nullif(panels.early_users, 0) as early_sessions_per_user
    from relation_kinds
    inner join actors on relation_kinds.actor_kind = actors.actor_kind
    left join panels
        on
        relation_kinds.relation = panels.relation
        and actors.actor_id = panels.actor_id

)

select * from final
