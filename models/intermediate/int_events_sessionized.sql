{#- Sessions are made of user actions (the tracking plan's event_type): a new session
    starts at a user's first action and after every gap longer than
    var('session_timeout_minutes') (30) between two of their actions, the rule of GA,
    Amplitude and PostHog. The gap is compared on exact timestamps (not whole seconds), so
    30:00.383 starts a new session. A system or billing event joins the session whose
    actions surround it (from its first action to its last), or none; it never starts or
    extends one. An event the catalogue does not know counts as a user action.
    Incremental by user: a run rebuilds the users with new arrivals (users_with_arrivals). -#}
{{ config(**incremental_by_user()) }}
-- depends_on: {{ ref('stg_app__excluded_accounts') }}
{#- the events of the users rebuilt, typed, read where needed as a subquery, not a CTE,
    so that no engine holds every column of every event at once -#}
{%- set typed -%}
    select
        events.*,
        coalesce(catalog.event_type, 'user_action') as event_type
    from {{ ref('stg_app__events') }} as events
    left join {{ ref('stg_app__event_catalog') }} as catalog
        on events.event_name = catalog.event_name
    {% if is_incremental() %}
        where events.user_id in ({{ users_with_arrivals(ref('stg_app__events')) }})
    {% endif %}
{%- endset %}
with

-- the windows that cut sessions run on the three columns they need, not on every column
-- of every event (at a million users those spilled over 45 GB)
actions as (

    select
        typed.event_id,
        typed.user_id,
        typed.event_at
    from ({{ typed }}) as typed
    where typed.event_type = 'user_action'

),

with_previous as (

    select
        *,
        lag(event_at) over (
            partition by user_id order by event_at, event_id
        ) as previous_event_at
    from actions

),

flagged as (

    select
        *,
        case
            when previous_event_at is null then 1
            when event_at > {{ dbt.dateadd(
                'minute', var('session_timeout_minutes'), 'previous_event_at'
            ) }} then 1
            else 0
        end as is_session_start
    from with_previous

),

numbered as (

    select
        event_id,
        user_id,
        event_at,
        is_session_start,
        sum(is_session_start) over (
            partition by user_id order by event_at, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from flagged

),

spans as (

    select
        user_id,
        session_number,
        min(event_at) as first_action_at,
        max(event_at) as last_action_at
    from numbered
    group by user_id, session_number

),

-- each user action with its session
sessioned_actions as (

    select
        typed.*,
        numbered.session_number,
        numbered.is_session_start
    from ({{ typed }}) as typed
    inner join numbered on typed.event_id = numbered.event_id
    where typed.event_type = 'user_action'

),

-- a system event inside a session's span belongs to it
attached as (

    select
        typed.*,
        spans.session_number,
        0 as is_session_start
    from ({{ typed }}) as typed
    left join spans
        on typed.user_id = spans.user_id
        and typed.event_at >= spans.first_action_at
        and typed.event_at <= spans.last_action_at
    where typed.event_type != 'user_action'

),

unioned as (

    select
        event_id,
        user_id,
        tracker_session_id,
        session_number,
        is_session_start = 1 as is_session_start,
        event_type,
        event_name,
        feature,
        duration_ms,
        event_value,
        value_unit,
        event_date,
        event_at,
        received_at
    from sessioned_actions

    union all

    select
        event_id,
        user_id,
        tracker_session_id,
        session_number,
        false as is_session_start,
        event_type,
        event_name,
        feature,
        duration_ms,
        event_value,
        value_unit,
        event_date,
        event_at,
        received_at
    from attached

),

sessionized as (

    select
        event_id,
        case
            when session_number is not null
                then user_id || '-' || cast(session_number as {{ dbt.type_string() }})
        end as session_id,
        user_id,
        tracker_session_id,
        session_number,
        is_session_start,
        event_type = 'user_action' as is_user_action,
        event_type,
        event_name,
        feature,
        duration_ms,
        event_value,
        value_unit,
        event_date,
        event_at,
        received_at
    from unioned

)

select * from sessionized
