{#- dbt's type_float() is a 4-byte float on DuckDB (0.808 reads 0.808000028) and on
    Spark: ratios and means in the marts use an 8-byte double there instead (see
    `dispatch` in dbt_project.yml), so both engines compute the same numbers. Other
    adapters keep dbt's own. -#}
{% macro duckdb__type_float() -%}
    double
{%- endmacro %}

{% macro spark__type_float() -%}
    double
{%- endmacro %}
