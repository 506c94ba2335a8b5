{#- One row per user x experiment: the user's first logged exposure and its variant, the
    pre-exposure covariate CUPED adjusts with, and each metric's value over its window.
    Windows count whole days after the exposure day (the exposure day itself is left
    out); see the experiment_windows var. -#}
{%- set w = var('experiment_windows') -%}
{%- set measured_funnel = experiment_funnel() -%}
{%- set funnel_window = measured_funnel.window_days if measured_funnel is not none else 0 -%}
{%- set sessions = tracked_events('is_session_start', var('experiment_session_event')) -%}
{%- set checkouts = tracked_events('is_paid_conversion', var('paid_conversion_event')) -%}
-- depends_on: {{ ref('stg_app__funnel_steps') }}
with

exposures as (

    select * from {{ ref('stg_app__experiment_exposures') }}

),

events as (

    select
        user_id,
        event_name,
        event_date,
        event_name in {{ sessions }} as is_session_start,
        event_name in {{ checkouts }} as is_paid_conversion
    from {{ ref('fct_events') }}
    where event_name in {{ sessions }} or event_name in {{ checkouts }}

),

invoices as (

    select
        user_id,
        amount,
        cast(issued_at as date) as issued_date
    from {{ ref('stg_billing__invoices') }}
    where is_paid

),

users as (

    select
        user_id,
        signup_date
    from {{ ref('stg_app__users') }}

),

ratings as (

    select
        user_id,
        requested_date,
        rating
    from {{ ref('stg_app__llm_responses') }}
    where is_rated

),

-- completing the funnel as an ordered funnel counts it (a last step's action done without
-- the steps before it is no completion)
funnel_completions as (

    {% if measured_funnel is not none -%}
        select
            user_id,
            reached_at as event_at
        from (
            {{ funnel('experiment_funnel', measured_funnel.steps, measured_funnel.window_days) }}
        ) as ordered
        where step_number = {{ measured_funnel.steps | length }}
    {%- else -%}
        select
            user_id,
            event_at
        from {{ ref('fct_events') }}
        where false  -- the world has no funnel that starts at the signup
    {%- endif %}

),

ranked as (

    select
        experiment_key,
        user_id,
        variant,
        exposed_at,
        row_number() over (
            partition by experiment_key, user_id order by exposed_at, exposure_id
        ) as exposure_number,
        -- count(distinct variant) over the user, as engines without distinct window
        -- functions count it: the highest dense rank
        dense_rank() over (
            partition by experiment_key, user_id order by variant
        ) as variant_rank
    from exposures

),

seen as (

    select
        *,
        max(variant_rank) over (partition by experiment_key, user_id) as variants_seen
    from ranked

),

first_exposures as (

    select
        experiment_key,
        user_id,
        variant,
        exposed_at,
        cast(exposed_at as date) as exposed_date,
        variants_seen
    from seen
    where exposure_number = 1

),

event_days as (

    select
        first_exposures.experiment_key,
        first_exposures.user_id,
        events.is_session_start,
        events.is_paid_conversion,
        {{ dbt.datediff('first_exposures.exposed_date', 'events.event_date', 'day') }}
            as day_number
    from first_exposures
    inner join events
        on first_exposures.user_id = events.user_id
        and events.event_date
        >= {{ dbt.dateadd('day', -w.pre_days, 'first_exposures.exposed_date') }}
        and events.event_date
        <= {{ dbt.dateadd('day', w.conversion_days, 'first_exposures.exposed_date') }}

),

event_metrics as (

    select
        experiment_key,
        user_id,
        {%- set session = "is_session_start" %}
        {%- set checkout = "is_paid_conversion" %}
        sum(
            case
                when {{ session }} and day_number between -{{ w.pre_days }} and -1 then 1
                else 0
            end
        ) as pre_sessions,
        sum(
            case
                when {{ session }} and day_number between 1 and {{ w.sessions_days }} then 1
                else 0
            end
        ) as sessions,
        max(
            case
                when {{ session }} and day_number = {{ w.retention_day }} then 1
                else 0
            end
        ) as retained_d7,
        max(
            case
                when {{ session }} and day_number between 1 and {{ w.conversion_days }} then 1
                else 0
            end
        ) as active,
        max(
            case
                when {{ checkout }} and day_number between 1 and {{ w.conversion_days }} then 1
                else 0
            end
        ) as converted
    from event_days
    group by experiment_key, user_id

),

completed as (

    select
        first_exposures.experiment_key,
        first_exposures.user_id,
        1 as completed_funnel
    from first_exposures
    inner join users
        on first_exposures.user_id = users.user_id
        and first_exposures.exposed_date = users.signup_date
    inner join funnel_completions
        on first_exposures.user_id = funnel_completions.user_id
        and funnel_completions.event_at >= first_exposures.exposed_at
        and funnel_completions.event_at
        <= {{ dbt.dateadd(
            'second', (funnel_window * 86400) | round | int, 'first_exposures.exposed_at'
        ) }}
    group by first_exposures.experiment_key, first_exposures.user_id

),

rated as (

    select
        first_exposures.experiment_key,
        first_exposures.user_id,
        sum(ratings.rating) as rating_sum,
        count(*) as ratings
    from first_exposures
    inner join ratings
        on first_exposures.user_id = ratings.user_id
        and ratings.requested_date >= {{ dbt.dateadd('day', 1, 'first_exposures.exposed_date') }}
        and ratings.requested_date
        <= {{ dbt.dateadd('day', w.sessions_days, 'first_exposures.exposed_date') }}
    group by first_exposures.experiment_key, first_exposures.user_id

),

-- for an experiment with a goal event: the user actions from the exposure session through
-- the sessions window (the exposure day included, as a change to the product applies
-- from the exposure session on), the sessions reaching the goal, and whether any did
goals as (

    select distinct
        experiment_key,
        goal_event
    from {{ ref('stg_app__experiments') }}
    where goal_event is not null

),

journeys as (

    select
        first_exposures.experiment_key,
        first_exposures.user_id,
        count(distinct journey_events.session_id) as journey_sessions,
        count(*) as journey_events,
        count(
            distinct case when journey_events.event_name = goals.goal_event
                    then journey_events.session_id
            end
        ) as goal_sessions,
        max(case when journey_events.event_name = goals.goal_event then 1 else 0 end)
            as reached_goal
    from first_exposures
    inner join goals on first_exposures.experiment_key = goals.experiment_key
    inner join {{ ref('fct_events') }} as journey_events
        on first_exposures.user_id = journey_events.user_id
        and journey_events.is_user_action
        and journey_events.session_id is not null
        and journey_events.event_at >= first_exposures.exposed_at
        and journey_events.event_date
        <= {{ dbt.dateadd('day', w.sessions_days, 'first_exposures.exposed_date') }}
    group by first_exposures.experiment_key, first_exposures.user_id

),

revenue as (

    select
        first_exposures.experiment_key,
        first_exposures.user_id,
        sum(invoices.amount) as revenue
    from first_exposures
    inner join invoices
        on first_exposures.user_id = invoices.user_id
        and invoices.issued_date >= {{ dbt.dateadd('day', 1, 'first_exposures.exposed_date') }}
        and invoices.issued_date
        <= {{ dbt.dateadd('day', w.conversion_days, 'first_exposures.exposed_date') }}
    group by first_exposures.experiment_key, first_exposures.user_id

),

final as (

    select
        {{ dbt.concat(['first_exposures.experiment_key', "'-'", 'first_exposures.user_id']) }}
            as experiment_exposure_id,
        first_exposures.experiment_key,
        first_exposures.user_id,
        first_exposures.variant,
        first_exposures.variants_seen,
        first_exposures.exposed_at,
        first_exposures.exposed_date,
        coalesce(event_metrics.pre_sessions, 0) as pre_sessions,
        coalesce(event_metrics.sessions, 0) as sessions,
        coalesce(event_metrics.retained_d7, 0) as retained_d7,
        coalesce(event_metrics.converted, 0) as converted,
        cast(coalesce(revenue.revenue, 0) as {{ dbt.type_float() }}) as revenue,
        coalesce(event_metrics.active, 0) as active,
        coalesce(completed.completed_funnel, 0) as completed_funnel,
        coalesce(rated.rating_sum, 0) as rating_sum,
        coalesce(rated.ratings, 0) as ratings,
        case when goals.goal_event is not null then coalesce(journeys.journey_sessions, 0) end
            as journey_sessions,
        case when goals.goal_event is not null then coalesce(journeys.journey_events, 0) end
            as journey_events,
        case when goals.goal_event is not null then coalesce(journeys.goal_sessions, 0) end
            as goal_sessions,
        case when goals.goal_event is not null then coalesce(journeys.reached_goal, 0) end
            as reached_goal
    from first_exposures
    left join event_metrics
        on first_exposures.experiment_key = event_metrics.experiment_key
        and first_exposures.user_id = event_metrics.user_id
    left join revenue
        on first_exposures.experiment_key = revenue.experiment_key
        and first_exposures.user_id = revenue.user_id
    left join completed
        on first_exposures.experiment_key = completed.experiment_key
        and first_exposures.user_id = completed.user_id
    left join rated
        on first_exposures.experiment_key = rated.experiment_key
        and first_exposures.user_id = rated.user_id
    left join goals on first_exposures.experiment_key = goals.experiment_key
    left join journeys
        on first_exposures.experiment_key = journeys.experiment_key
        and first_exposures.user_id = journeys.user_id

)

select * from final
