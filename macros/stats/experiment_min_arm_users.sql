{#- The fewest users an experiment arm needs before the recovery tests judge its metrics
    against the planted effect: below it the normal approximation behind their intervals
    is poor for skewed metrics such as session counts. -#}
{% macro experiment_min_arm_users() -%}
    {{ return(150) }}
{%- endmacro %}
