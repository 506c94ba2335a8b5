{#- Every funnel of the world's tracking plan (or the funnels var): the steps each user
    reached (fct_funnel_steps_reached, the funnel() macro's PostHog semantics: ordered
    steps, conversion window from step 1, best attempt per user), counted per step overall
    and by observable breakdown. A world that
    reports no funnel gives no rows. -#}
{%- set breakdowns = var('funnel_breakdowns') -%}
{%- if breakdowns is none -%}
    {%- set breakdowns = ['role'] + user_attributes() + ['cohort_month'] -%}
{%- endif -%}
{%- set funnels = world_funnels() -%}
with

reached as (

    select
        funnel_name,
        user_id,
        step_number,
        event_name,
        reached_at,
        seconds_from_start
    from {{ ref('fct_funnel_steps_reached') }}

),

timed as (

    select
        *,
        seconds_from_start - coalesce(
            lag(seconds_from_start) over (
                partition by funnel_name, user_id order by step_number
            ),
            0
        ) as seconds_from_previous
    from reached

),

users as (

    select
        user_id,
        role,
        {%- for attribute in user_attributes() %}
        {{ attribute }},
        {%- endfor %}
        cast(cohort_month as {{ dbt.type_string() }}) as cohort_month
    from {{ ref('dim_users') }}

),

funnel_steps as (

    {% for name, spec in funnels.items() %}
        {% for step in spec['steps'] %}
            select
                '{{ name }}' as funnel_name,
                {{ loop.index }} as step_number,
                '{{ step }}' as event_name
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
        {% if not loop.last %}union all{% endif %}
    {% else %}
        select
            funnel_name,
            step_number,
            event_name
        from ({{ no_funnel_rows() }}) as no_funnel
    {% endfor %}

),

labelled as (

    select
        timed.*,
        '(all)' as breakdown,
        '(all)' as breakdown_value
    from timed
    {% for breakdown in breakdowns %}
        union all
        select
            timed.*,
            '{{ breakdown }}' as breakdown,
            {{ breakdown_value("users." ~ breakdown) }} as breakdown_value
        from timed
        inner join users on timed.user_id = users.user_id
    {% endfor %}

),

entries as (

    select distinct
        funnel_name,
        breakdown,
        breakdown_value
    from labelled
    where step_number = 1

),

grid as (

    select
        entries.funnel_name,
        funnel_steps.step_number,
        funnel_steps.event_name,
        entries.breakdown,
        entries.breakdown_value
    from entries
    inner join funnel_steps on entries.funnel_name = funnel_steps.funnel_name

),

per_step as (

    select
        funnel_name,
        step_number,
        breakdown,
        breakdown_value,
        count(*) as users_reaching,
        {{ proving_ground.quantile('seconds_from_start', 0.5) }} as median_seconds_to_convert,
        avg(seconds_from_start) as mean_seconds_to_convert,
        {{ proving_ground.quantile('seconds_from_start', 0.9) }} as p90_seconds_to_convert,
        {{ proving_ground.quantile('seconds_from_previous', 0.5) }}
            as median_seconds_from_previous
    from labelled
    group by funnel_name, step_number, breakdown, breakdown_value

),

joined as (

    select
        grid.*,
        coalesce(per_step.users_reaching, 0) as users_reaching,
        per_step.median_seconds_to_convert,
        per_step.mean_seconds_to_convert,
        per_step.p90_seconds_to_convert,
        per_step.median_seconds_from_previous
    from grid
    left join per_step
        on grid.funnel_name = per_step.funnel_name
        and grid.step_number = per_step.step_number
        and grid.breakdown = per_step.breakdown
        and grid.breakdown_value = per_step.breakdown_value

),

with_previous as (

    select
        *,
        max(case when step_number = 1 then users_reaching end) over (
            partition by funnel_name, breakdown, breakdown_value
        ) as users_entering,
        lag(users_reaching) over (
            partition by funnel_name, breakdown, breakdown_value order by step_number
        ) as users_at_previous_step
    from joined

),

final as (

    select
        funnel_name || '-' || cast(step_number as {{ dbt.type_string() }}) || '-'
        || breakdown || '-' || coalesce(breakdown_value, '(none)') as funnel_row_id,
        funnel_name,
        step_number,
        event_name,
        breakdown,
        breakdown_value,
        users_entering,
        users_reaching,
        cast(users_reaching as {{ dbt.type_float() }}) / users_entering
            as conversion_from_start,
        cast(users_reaching as {{ dbt.type_float() }})
        / coalesce(users_at_previous_step, users_reaching) as conversion_from_previous,
        coalesce(users_at_previous_step, users_reaching) - users_reaching as drop_off,
        median_seconds_to_convert,
        mean_seconds_to_convert,
        p90_seconds_to_convert,
        median_seconds_from_previous
    from with_previous

)

select * from final
