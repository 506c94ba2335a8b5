{#- The steps each user reached in every funnel of the world (the funnel() macro: ordered
    steps within the window from step 1, the user's best attempt), computed once for the
    funnel marts. Incremental by user: a run rebuilds the users with an event received
    since the latest step it holds (less the lookback); every arrival after the last run
    is later than any step it holds, so none is missed. A warehouse built for other
    funnels (var('funnels') changed) must be rebuilt with --full-refresh: the run says so.
    A funnel that nobody has reached yet is computed again for everyone. -#}
{{ config(**incremental_by_user()) }}
{%- set funnels = world_funnels() -%}
{%- set everyone = true -%}
{%- if is_incremental() and execute -%}
    {%- set wanted = [] -%}
    {%- for name, spec in funnels.items() -%}
        {%- for step in spec['steps'] -%}
            {%- do wanted.append(
                name ~ '|' ~ loop.index ~ '|' ~ step ~ '|' ~ (spec.get('window_days', 14) | float)
            ) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set held = run_query(
        'select distinct funnel_name, step_number, event_name, window_days from ' ~ this
    ) -%}
    {%- set held_names = [] -%}
    {%- for row in held -%}
        {%- set key = row[0] ~ '|' ~ row[1] ~ '|' ~ row[2] ~ '|' ~ (row[3] | float) -%}
        {%- if key not in wanted -%}
            {{ exceptions.raise_compiler_error(
                this ~ " holds funnel steps the funnels to report no longer have ("
                ~ key ~ "): run it with --full-refresh"
            ) }}
        {%- endif -%}
        {%- do held_names.append(row[0]) -%}
    {%- endfor -%}
    {%- set everyone = funnels.keys() | reject('in', held_names) | list | length > 0 -%}
{%- endif %}
-- depends_on: {{ ref('fct_events') }}
-- depends_on: {{ ref('stg_app__excluded_accounts') }}
{%- set events -%}
    {%- if everyone -%}
        {{ ref('fct_events') }}
    {%- else -%}
        (
            select * from {{ ref('fct_events') }}
            where user_id in (
                {{ users_with_arrivals(ref('fct_events'), this_column='reached_at') }}
            )
        ) as changed_users_events
    {%- endif -%}
{%- endset %}
with

reached as (

    {% for name, spec in funnels.items() %}
        select
            funnel_{{ loop.index }}.funnel_name || '-' || funnel_{{ loop.index }}.user_id || '-'
            || cast(funnel_{{ loop.index }}.step_number as {{ dbt.type_string() }})
                as funnel_step_reached_id,
            funnel_{{ loop.index }}.*,
            {{ spec.get('window_days', 14) }} as window_days,
            {{ spec['steps'] | length }} as steps
        from (
            {{ funnel(name, spec['steps'], spec.get('window_days', 14), events) }}
        ) as funnel_{{ loop.index }}
        {% if not loop.last %}union all{% endif %}
    {% else %}
        select
            cast(null as {{ dbt.type_string() }}) as funnel_step_reached_id,
            no_funnel.*,
            cast(null as {{ dbt.type_float() }}) as window_days,
            cast(null as {{ dbt.type_int() }}) as steps
        from ({{ no_funnel_rows() }}) as no_funnel
    {% endfor %}

)

select * from reached
