{#- One row per user x anchor event: the user's path around the first firing of each
    event (the anchor) in the first session in which they fire it, as fct_paths draws it:
    the names of the path_steps user actions after it (after_1 ...) and before it
    (before_1 ...), null past the session's end or start. Incremental by user: a run
    rebuilds the users with an event received since the latest anchor it holds (less the
    lookback); every arrival after the last run is later than any anchor it holds. -#}
{{ config(**incremental_by_user()) }}
-- depends_on: {{ ref('stg_app__excluded_accounts') }}
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
    {% if is_incremental() %}
        and user_id in (
            {{ users_with_arrivals(ref('fct_events'), this_column='anchor_at') }}
        )
    {% endif %}

),

-- each user's first session with each event, and the event's first event_position in it
-- (ties in time broken by session and position, so that every engine picks the same)
firsts as (

    select
        user_id,
        event_name as anchor_event,
        session_id,
        event_position,
        event_at,
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
        event_position,
        event_at as anchor_at
    from firsts
    where nth = 1

),

-- the sessions some path is taken from: a user's first with each anchor, mostly their
-- first sessions, so the neighbours below are looked up in a small share of the events
anchor_sessions as (

    select distinct session_id
    from anchors

),

-- each event of those sessions with the path_steps events after and before it (null
-- past the session's end or start)
neighbours as (

    select
        session_id,
        {% for k in range(1, var('path_steps') + 1) -%}
            lead(event_name, {{ k }}) over session_order as after_{{ k }},
            lag(event_name, {{ k }}) over session_order as before_{{ k }},
        {% endfor -%}
        event_position
    from events
    where session_id in (select anchor_sessions.session_id from anchor_sessions)
    window session_order as (partition by session_id order by event_position)

),

paths as (

    select
        anchors.user_id || '-' || anchors.anchor_event as user_path_id,
        anchors.user_id,
        anchors.anchor_event,
        anchors.session_id,
        {% for k in range(1, var('path_steps') + 1) -%}
            neighbours.after_{{ k }},
            neighbours.before_{{ k }},
        {% endfor -%}
        anchors.anchor_at
    from anchors
    inner join neighbours
        on
        anchors.session_id = neighbours.session_id
        and anchors.event_position = neighbours.event_position

)

select * from paths
