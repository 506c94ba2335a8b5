-- Paths through sessions, as product analytics tools draw them: from each event (the
-- anchor), the next path_steps events a user walks after it, and the path_steps events
-- before it. A user's path is taken from the first session in which they fire the anchor,
-- so every user counts once per anchor and the edges out of each step share the users.

with

-- each user's path around each anchor (fct_user_paths)
paths as (

    select * from {{ ref('fct_user_paths') }}

),

steps as (

    select n as step from ({{ integer_series(1, var('path_steps')) }}) as series

),

directions as (

    select 'after' as path_direction
    union all
    select 'before' as path_direction

),

-- each path's edge into each step: from the node at the step before (the anchor at step
-- 1) to the event at the step, or the session's end/start; a path ends at its first
-- (end) or (start), so an edge needs an event to leave from
path_edges as (

    select
        directions.path_direction,
        paths.anchor_event,
        steps.step,
        case
            when steps.step = 1 then paths.anchor_event
            {%- for k in range(1, var('path_steps')) %}
                when directions.path_direction = 'after' and steps.step = {{ k + 1 }}
                    then paths.after_{{ k }}
                when directions.path_direction = 'before' and steps.step = {{ k + 1 }}
                    then paths.before_{{ k }}
            {%- endfor %}
        end as from_event,
        case
            {%- for k in range(1, var('path_steps') + 1) %}
                when directions.path_direction = 'after' and steps.step = {{ k }}
                    then coalesce(paths.after_{{ k }}, '(end)')
                when directions.path_direction = 'before' and steps.step = {{ k }}
                    then coalesce(paths.before_{{ k }}, '(start)')
            {%- endfor %}
        end as to_event
    from paths
    cross join steps
    cross join directions

),

edges as (

    select
        path_direction,
        anchor_event,
        step,
        from_event,
        to_event,
        count(*) as users
    from path_edges
    where from_event is not null
    group by path_direction, anchor_event, step, from_event, to_event

),

anchor_users as (

    select
        anchor_event,
        count(*) as anchor_users
    from paths
    group by anchor_event

),

final as (

    select
        e.path_direction || '/' || e.anchor_event || '/' || e.step || '/'
        || e.from_event || '/' || e.to_event as path_edge_id,
        e.path_direction,
        e.anchor_event,
        e.step,
        e.from_event,
        e.to_event,
        e.users,
        u.anchor_users,
        e.users / u.anchor_users as share_of_anchor_users
    from edges as e
    inner join anchor_users as u on e.anchor_event = u.anchor_event

)

select * from final
