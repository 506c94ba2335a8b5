{#- A one-column relation `n` with the integers lo..hi inclusive. -#}
{% macro integer_series(lo, hi) -%}
    {{ return(adapter.dispatch('integer_series', 'proving_ground')(lo, hi)) }}
{%- endmacro %}

{% macro default__integer_series(lo, hi) -%}
    select cast(generate_series as {{ dbt.type_int() }}) as n
    from generate_series(cast({{ lo }} as bigint), cast({{ hi }} as bigint))
{%- endmacro %}

{% macro spark__integer_series(lo, hi) -%}
    select cast(id as {{ dbt.type_int() }}) as n from range({{ lo }}, {{ hi }} + 1)
{%- endmacro %}
