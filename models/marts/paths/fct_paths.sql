-- Paths through sessions, as product analytics tools draw them: from each event (the
-- anchor), the next path_steps events a user walks after it, and the path_steps events
-- before it. A user's path is taken from the first session in which they fire the anchor,
-- so every user counts once per anchor and the edges out of each step share the users.

with

events as (

    select
        user_id,
        session_id,
        event_name,
        event_at,
        -- the position among the session's user actions (system events left out)
        row_number() over (
            partition by session_id order by event_number_in_session
        ) as event_position
    from {{ ref('fct_events') }}
    where is_user_action and session_id is not null

),

session_lengths as (

    select
        session_id,
        max(event_position) as events_in_session
    from events
    group by session_id

),

-- each user's first session with each event, and the event's first event_position in it
-- (ties in time broken by session and position, so that every engine picks the same)
firsts as (

    select
        user_id,
        event_name as anchor_event,
        session_id,
        event_position,
        row_number() over (
            partition by user_id, event_name order by event_at, session_id, event_position
        ) as nth
    from events

),

anchors as (

    select
        user_id,
        anchor_event,
        session_id,
        event_position
    from firsts
    where nth = 1

),

steps as (

    select n as step from ({{ integer_series(0, var('path_steps')) }}) as series

),

directions as (

    select 'after' as path_direction
    union all
    select 'before' as path_direction

),

-- the node a user's path holds at each step: an event, or the session's end/start
nodes as (

    select
        directions.path_direction,
        a.anchor_event,
        a.user_id,
        s.step,
        case
            when s.step = 0 then a.anchor_event
            when
                directions.path_direction = 'after'
                and a.event_position + s.step > l.events_in_session
                then '(end)'
            when
                directions.path_direction = 'before'
                and a.event_position - s.step < 1
                then '(start)'
            else e.event_name
        end as node,
        case
            when directions.path_direction = 'after'
                then a.event_position + s.step <= l.events_in_session + 1
            else a.event_position - s.step >= 0
        end as on_path
    from anchors as a
    cross join steps as s
    cross join directions
    inner join session_lengths as l on a.session_id = l.session_id
    left join events as e
        on
        a.session_id = e.session_id
        and e.event_position = case
            when directions.path_direction = 'after' then a.event_position + s.step
            else a.event_position - s.step
        end

),

edges as (

    select
        current_node.path_direction,
        current_node.anchor_event,
        current_node.step,
        previous_node.node as from_event,
        current_node.node as to_event,
        count(*) as users
    from nodes as current_node
    inner join nodes as previous_node
        on
        current_node.path_direction = previous_node.path_direction
        and current_node.anchor_event = previous_node.anchor_event
        and current_node.user_id = previous_node.user_id
        and current_node.step = previous_node.step + 1
    where current_node.on_path and previous_node.node not in ('(end)', '(start)')
    group by all

),

anchor_users as (

    select
        anchor_event,
        count(*) as anchor_users
    from anchors
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
