{#- A hash of some columns of a row (64 bits on DuckDB and Spark, an md5 elsewhere; nulls
    hash alike), to find the rows whose values another row repeats with a group by one
    column instead of a window over every row. Two different rows can share a hash: use
    it to pick candidates, never as a key. -#}
{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash', 'proving_ground')(columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first -%}{%- do parts.append("'|'") -%}{%- endif -%}
        {%- do parts.append("coalesce(" ~ dbt.cast(column, dbt.type_string()) ~ ", '')") -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{% macro duckdb__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__row_hash(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}
