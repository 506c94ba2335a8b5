{#- The q-quantile of a numeric expression, as an aggregate. -#}
{% macro quantile(expr, q) -%}
    {{ return(adapter.dispatch('quantile', 'proving_ground')(expr, q)) }}
{%- endmacro %}

{% macro default__quantile(expr, q) -%}
    quantile_cont({{ expr }}, {{ q }})
{%- endmacro %}

{% macro spark__quantile(expr, q) -%}
    percentile({{ expr }}, {{ q }})
{%- endmacro %}
