{#- Ordered funnel, PostHog semantics: each step's event must come after the previous
    step's, all within `window_days` of step 1; a user with several step-1 events is
    counted by their best attempt (the one reaching the furthest step, the earliest of
    those). Returns one row per user per step reached in that attempt:
    funnel_name, user_id, step_number, event_name, reached_at, seconds_from_start. -#}
{% macro funnel(name, steps, window_days=14, events_relation=none) -%}
    {{ return(adapter.dispatch('funnel', 'proving_ground')(name, steps, window_days, events_relation)) }}
{%- endmacro %}

{% macro default__funnel(name, steps, window_days, events_relation) -%}
{%- set events_relation = events_relation or ref('fct_events') -%}
{%- set n = steps | length -%}
with

funnel_events as (

    select user_id, event_name, event_at
    from {{ events_relation }}
    where event_name in (
        {%- for step in steps %}'{{ step }}'{{ ", " if not loop.last }}{% endfor -%}
    )

),

step_1 as (

    select user_id, event_at as step_1_at
    from funnel_events
    where event_name = '{{ steps[0] }}'

),

{% for k in range(2, n + 1) %}
step_{{ k }} as (

    {{ proving_ground.funnel_next_step(k, steps[k - 1], window_days) }}

),

{% endfor %}
attempts as (

    select
        *,
        1
        {%- for k in range(2, n + 1) %}
        + case when step_{{ k }}_at is not null then 1 else 0 end
        {%- endfor %} as steps_reached
    from step_{{ n }}

),

best_attempts as (

    select *
    from (
        select
            *,
            row_number() over (
                partition by user_id order by steps_reached desc, step_1_at
            ) as attempt_rank
        from attempts
    ) as ranked
    where attempt_rank = 1

),

reached as (

    {% for k in range(1, n + 1) %}
    select
        '{{ name }}' as funnel_name,
        user_id,
        {{ k }} as step_number,
        '{{ steps[k - 1] }}' as event_name,
        step_{{ k }}_at as reached_at,
        {{ dbt.datediff('step_1_at', 'step_' ~ k ~ '_at', 'second') }} as seconds_from_start
    from best_attempts
    where steps_reached >= {{ k }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from reached
{%- endmacro %}


{#- The CTE body that adds step k's time to each attempt: the first event named
    `event_name` after step k-1, within the window from step 1 (null if none). -#}
{% macro funnel_next_step(k, event_name, window_days) -%}
    {{ return(adapter.dispatch('funnel_next_step', 'proving_ground')(k, event_name, window_days)) }}
{%- endmacro %}

{#- Each attempt and each event named `event_name` of its user in one time line, latest
    first: the earliest of the events before an attempt in that order is the first one
    after it (at the same instant the attempt sorts first, so the event must be strictly
    later). A running minimum, so a user's attempts are never paired with all their
    events; the typed nulls take the event times' own type. -#}
{% macro default__funnel_next_step(k, event_name, window_days) -%}
    select
        user_id,
        {%- for j in range(1, k) %}
        step_{{ j }}_at,
        {%- endfor %}
        case
            when step_{{ k - 1 }}_at is not null
                and next_at
                <= {{ dbt.dateadd(
                'second', (window_days * 86400) | round | int, 'step_1_at'
            ) }}
                then next_at
        end as step_{{ k }}_at
    from (
        select
            *,
            min(candidate_at) over (
                partition by user_id
                order by line_at desc, is_event
                rows between unbounded preceding and current row
            ) as next_at
        from (
            select
                previous_step.*,
                previous_step.step_{{ k - 1 }}_at as line_at,
                0 as is_event,
                case when 1 = 0 then previous_step.step_1_at end as candidate_at
            from step_{{ k - 1 }} as previous_step
            union all
            select
                user_id,
                {%- for j in range(1, k) %}
                case when 1 = 0 then event_at end as step_{{ j }}_at,
                {%- endfor %}
                event_at as line_at,
                1 as is_event,
                event_at as candidate_at
            from funnel_events
            where event_name = '{{ event_name }}'
        ) as time_line
    ) as with_next
    where is_event = 0
{%- endmacro %}

{#- DuckDB: an ASOF join finds each attempt's next event without pairing every event. -#}
{% macro duckdb__funnel_next_step(k, event_name, window_days) -%}
    select
        previous_step.*,
        case
            when next_event.event_at
                <= {{ dbt.dateadd(
                'second', (window_days * 86400) | round | int, 'previous_step.step_1_at'
            ) }}
                then next_event.event_at
        end as step_{{ k }}_at
    from step_{{ k - 1 }} as previous_step
    asof left join (
        select user_id, event_at from funnel_events where event_name = '{{ event_name }}'
    ) as next_event
        on previous_step.user_id = next_event.user_id
        and next_event.event_at > previous_step.step_{{ k - 1 }}_at
{%- endmacro %}
