{#- What the warehouse must know about a world comes from the world's tracking plan,
    raw.event_catalog and raw.funnel_steps read through staging, as a team keeps an
    event dictionary; a var set to something other than null overrides it. -#}

{% macro tracked_events(flag, override=none) -%}
    {#- A parenthesised list of event names for `in`: the override's (a name or a list),
        else the catalogue's events whose `flag` column is true. -#}
    {%- if override is not none -%}
        {%- set names = [override] if override is string else override -%}
        ({% for name in names %}'{{ name }}'{{ ", " if not loop.last }}{% endfor %})
    {%- else -%}
        (select event_name from {{ ref('stg_app__event_catalog') }} where {{ flag }})
    {%- endif -%}
{%- endmacro %}


{% macro world_funnels() -%}
    {#- The funnels to report, in order: var('funnels') when set, else the tracking
        plan's, as {name: {'steps': [event, ...], 'window_days': days,
        'starts_at_signup': bool}}. Empty while dbt parses, or before staging is built. -#}
    {%- if var('funnels') is not none -%}
        {{ return(var('funnels')) }}
    {%- endif -%}
    {%- set plan = ref('stg_app__funnel_steps') -%}
    {%- set catalog = ref('stg_app__event_catalog') -%}
    {%- if not execute
        or adapter.get_relation(plan.database, plan.schema, plan.identifier) is none -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select plan.funnel_name, plan.event_name, plan.window_days,"
        ~ " coalesce(catalog.is_signup, false) as is_signup"
        ~ " from " ~ plan ~ " as plan left join " ~ catalog ~ " as catalog"
        ~ " on plan.event_name = catalog.event_name"
        ~ " order by plan.funnel_number, plan.step_number"
    ) -%}
    {%- set funnels = {} -%}
    {%- for row in rows -%}
        {%- if row[0] not in funnels -%}
            {%- do funnels.update({row[0]: {
                'steps': [], 'window_days': row[2], 'starts_at_signup': row[3]
            }}) -%}
        {%- endif -%}
        {%- do funnels[row[0]]['steps'].append(row[1]) -%}
    {%- endfor -%}
    {{ return(funnels) }}
{%- endmacro %}


{% macro experiment_funnel() -%}
    {#- The funnel experiments measure for users exposed at signup: var('experiment_funnel')
        when set, else the first funnel that starts at the signup; none if there is none. -#}
    {%- set funnels = world_funnels() -%}
    {%- if var('experiment_funnel') is not none -%}
        {{ return(funnels.get(var('experiment_funnel'))) }}
    {%- endif -%}
    {%- for name, spec in funnels.items() -%}
        {%- if spec.get('starts_at_signup') -%}
            {{ return(spec) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}


{% macro no_funnel_rows() -%}
    {#- The funnel() macro's columns with no row: what a world without funnels reports. -#}
    select
        cast(null as {{ dbt.type_string() }}) as funnel_name,
        cast(null as {{ dbt.type_string() }}) as user_id,
        cast(null as {{ dbt.type_int() }}) as step_number,
        cast(null as {{ dbt.type_string() }}) as event_name,
        cast(null as {{ dbt.type_timestamp() }}) as reached_at,
        cast(null as {{ dbt.type_float() }}) as seconds_from_start
    where 1 = 0
{%- endmacro %}


{% macro user_attributes() -%}
    {#- The world's observable user attributes as the marts break down by them: each
        column of raw.users besides the account's own, a numeric one by its bands
        (`<name>_band`, see numeric_user_attributes); var('user_attributes') overrides
        them. Empty while dbt parses. -#}
    {%- if var('user_attributes') is not none -%}
        {{ return(var('user_attributes')) }}
    {%- endif -%}
    {%- set numeric = numeric_user_attributes() -%}
    {%- set names = [] -%}
    {%- for name in raw_user_attributes() -%}
        {%- do names.append(name ~ '_band' if name in numeric else name) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{% macro numeric_user_attributes() -%}
    {#- The users' numeric attributes (an age): those the tracking plan reports by bands
        (raw.attribute_bands). Empty while dbt parses, or before staging is built. -#}
    {%- set bands = ref('stg_app__attribute_bands') -%}
    {%- if not execute
        or adapter.get_relation(bands.database, bands.schema, bands.identifier) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select distinct attribute_name from " ~ bands ~ " order by attribute_name"
    ) -%}
    {{ return(rows.columns[0].values() | list) }}
{%- endmacro %}


{% macro raw_user_attributes() -%}
    {#- The columns of raw.users besides the account's own (user_id, signed_up_at, loaded_at, email,
        role, time_zone): the world's attributes as logged. Empty while dbt parses. -#}
    {{ return(source_extra_columns(
        'users', ['user_id', 'signed_up_at', 'loaded_at', 'email', 'role', 'time_zone']
    )) }}
{%- endmacro %}


{% macro raw_actor_attributes() -%}
    {#- The columns of raw.actors besides its own (actor_id, actor_kind, joined_at): the
        attributes the world declares for its actors (a doctor's specialty). -#}
    {{ return(source_extra_columns('actors', ['actor_id', 'actor_kind', 'joined_at'])) }}
{%- endmacro %}


{% macro source_extra_columns(table, own) -%}
    {#- The columns of source('app', table) not named in `own`, lower case, in table
        order. Empty while dbt parses or when the table does not exist. -#}
    {%- set src = source('app', table) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(src.database, src.schema, src.identifier) -%}
    {%- if relation is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if column.name | lower not in own -%}
            {%- do names.append(column.name | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{% macro comment_user_attributes(with_bands=false) -%}
    {#- A post-hook: a comment on each attribute column of this relation, which its
        documentation cannot name in advance (persist_docs covers the others); with_bands
        when the relation also reports the numeric ones by band. -#}
    {%- for name in raw_user_attributes() -%}
        {{ column_comment(
            this, name, 'Observable attribute "' ~ name ~ '" of the user, as the world declares it'
        ) }}
    {%- endfor -%}
    {%- if with_bands -%}
        {%- for name in numeric_user_attributes() -%}
            {{ column_comment(
                this, name ~ '_band',
                'The band of "' ~ name ~ '" the user falls in (raw.attribute_bands)'
            ) }}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{% macro comment_breakdown_attributes() -%}
    {#- A post-hook: a comment on each column of this relation named by user_attributes()
        (a numeric attribute by its band). -#}
    {%- set numeric = numeric_user_attributes() -%}
    {%- for name in user_attributes() -%}
        {%- if name.endswith('_band') and name[:-5] in numeric -%}
            {{ column_comment(
                this, name,
                'The band of "' ~ name[:-5] ~ '" the user falls in (raw.attribute_bands)'
            ) }}
        {%- else -%}
            {{ column_comment(
            this, name, 'Observable attribute "' ~ name ~ '" of the user, as the world declares it'
        ) }}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}


{% macro comment_actor_attributes() -%}
    {#- A post-hook: a comment on each actor attribute column of this relation. -#}
    {%- for name in raw_actor_attributes() -%}
        {{ column_comment(
            this, name,
            'Observable attribute "' ~ name ~ '" of the actor, as the world declares it'
        ) }}
    {%- endfor -%}
{%- endmacro %}


{#- A statement setting the comment of one column, for a post-hook; none on Spark, whose
    Parquet tables take column comments only when they are created. -#}
{% macro column_comment(relation, column, text) -%}
    {{ return(adapter.dispatch('column_comment', 'proving_ground')(relation, column, text)) }}
{%- endmacro %}

{% macro default__column_comment(relation, column, text) -%}
    comment on column {{ relation }}.{{ column }} is '{{ text | replace("'", "''") }}';
{%- endmacro %}

{% macro spark__column_comment(relation, column, text) -%}
{%- endmacro %}
