{#- The hidden lifecycle stages as the event log shows them. Each session the simulator
    opens with the session-start event falls in one stage visit of truth.lifecycle_paths
    (stages change at midnight); per stage, the sessions fct_events shows are a sum of
    Poisson counts whose mean truth holds (the stage's activity multiplier applied), and
    the sessions whose second event is each event are a thinning of them, with mean the
    sessions times the planted chance of that event after the session start for the
    user's segment in that stage. So both the stage's rate and its event mix are checked,
    with variance = mean, against a Bonferroni bound for a 0.1% family-wise false alarm. -#}
with

events as (

    select * from {{ ref('fct_events') }}

),

paths as (

    select * from {{ source('truth', 'lifecycle_paths') }}

),

truth_users as (

    select
        user_id,
        segment
    from {{ source('truth', 'users') }}

),

parameters as (

    select * from {{ source('truth', 'parameters') }}

),

session_start as (

    select dimension as event_name
    from parameters
    where parameter = 'events.session_start'

),

opened as (

    select
        events.session_id,
        events.user_id,
        events.event_at
    from events
    inner join session_start on events.event_name = session_start.event_name
    where events.event_number_in_session = 1

),

second_events as (

    select
        session_id,
        event_name
    from events
    where event_number_in_session = 2

),

in_stage as (

    select
        paths.stage,
        second_events.event_name as next_event
    from opened
    inner join paths
        on opened.user_id = cast(paths.user_id as {{ dbt.type_string() }})
        and opened.event_at >= paths.entered_at
        and (paths.left_at is null or opened.event_at < paths.left_at)
    left join second_events on opened.session_id = second_events.session_id

),

observed_sessions as (

    select
        stage,
        '(sessions)' as next_event,
        count(*) as observed
    from in_stage
    group by stage
    union all
    select
        stage,
        next_event,
        count(*) as observed
    from in_stage
    where next_event is not null
    group by stage, next_event

),

chances as (

    {#- events.transition dimension: segment/stage/from/to -#}
    select
        split_part(parameters.dimension, '/', 1) as segment,
        split_part(parameters.dimension, '/', 2) as stage,
        split_part(parameters.dimension, '/', 4) as next_event,
        parameters.value as chance
    from parameters
    inner join session_start
        on split_part(parameters.dimension, '/', 3) = session_start.event_name
    where parameters.parameter = 'events.transition'
        and split_part(parameters.dimension, '/', 4) != 'end'

),

visits as (

    select
        paths.stage,
        truth_users.segment,
        sum(paths.expected_sessions) as expected_sessions
    from paths
    inner join truth_users on paths.user_id = truth_users.user_id
    group by paths.stage, truth_users.segment

),

expected as (

    select
        stage,
        '(sessions)' as next_event,
        sum(expected_sessions) as expected
    from visits
    group by stage
    union all
    select
        visits.stage,
        chances.next_event,
        sum(visits.expected_sessions * chances.chance) as expected
    from visits
    inner join chances
        on visits.segment = chances.segment
        and visits.stage = chances.stage
    group by visits.stage, chances.next_event

),

compared as (

    select
        expected.stage,
        expected.next_event,
        coalesce(observed_sessions.observed, 0) as observed,
        expected.expected,
        {{ count_tolerance(
            'sqrt(expected.expected)', normal_quantile_upper('0.001 / (2 * count(*) over ())')
        ) }} as tolerance
    from expected
    left join observed_sessions
        on expected.stage = observed_sessions.stage
        and expected.next_event = observed_sessions.next_event
    where expected.expected > 0

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (  -- noqa: ST03

    select
        case
            when next_event = '(sessions)' then 'sessions in a lifecycle stage'
            else 'sessions in a lifecycle stage by their second event'
        end as quantity,
        stage || ' ' || next_event as cell,
        observed as measured,
        expected,
        sqrt(expected) as standard_error
    from compared

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select *
    from compared
    where abs(observed - expected) > tolerance
{% endif %}
