{#- dbt's type_float() is a 4-byte float on DuckDB (0.808 reads 0.808000028): ratios and
    means in the marts use an 8-byte double there instead (see `dispatch` in
    dbt_project.yml). Other adapters keep dbt's own. -#}
{% macro duckdb__type_float() -%}
    double
{%- endmacro %}
