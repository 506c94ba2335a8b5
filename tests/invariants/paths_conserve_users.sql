{#- A path chart loses no user and invents none: at step 1 the edges out of an anchor carry
    every user who fired it, and at each later step the edges carry exactly the users whose
    previous node was an event (not the session's end or start). -#}
with

paths as (

    select * from {{ ref('fct_paths') }}

),

entering as (

    select
        path_direction,
        anchor_event,
        step,
        sum(users) as users,
        max(anchor_users) as anchor_users
    from paths
    group by path_direction, anchor_event, step

),

continuing as (

    select
        path_direction,
        anchor_event,
        step + 1 as step,
        sum(users) as users
    from paths
    where to_event not in ('(end)', '(start)')
    group by path_direction, anchor_event, step

)

select
    e.path_direction,
    e.anchor_event,
    e.step,
    e.users,
    coalesce(c.users, e.anchor_users) as expected_users
from entering as e
left join continuing as c
    on
    e.path_direction = c.path_direction
    and e.anchor_event = c.anchor_event
    and e.step = c.step
where
    e.users != case when e.step = 1 then e.anchor_users else coalesce(c.users, 0) end
    or (e.step > 1 and c.users is null)
