{{ config(post_hook="{{ comment_actor_attributes() }}") }}
{#- One row per actor: who they are, and the users linked to them over every relation. -#}
with

actors as (

    select * from {{ ref('stg_app__actors') }}

),

assignments as (

    select
        actor_id,
        count(*) as linked_users,
        min(assigned_date) as first_assigned_date,
        max(assigned_date) as last_assigned_date
    from {{ ref('stg_app__assignments') }}
    group by actor_id

),

final as (

    select
        actors.actor_id,
        actors.actor_kind,
        {%- for attribute in raw_actor_attributes() %}
        actors.{{ attribute }},
        {%- endfor %}
        actors.joined_date,
        actors.joined_at,
        coalesce(assignments.linked_users, 0) as linked_users,
        assignments.first_assigned_date,
        assignments.last_assigned_date
    from actors
    left join assignments on actors.actor_id = assignments.actor_id

)

select * from final
