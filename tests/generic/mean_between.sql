{#- The column's mean lies in [min_value, max_value];
    an empty model has none to check. Returns the mean when it does not. -#}
{% test mean_between(model, column_name, min_value=none, max_value=none) %}

with

summary as (

    select avg(cast({{ column_name }} as {{ dbt.type_float() }})) as mean_value
    from {{ model }}

),

validation_errors as (

    select mean_value
    from summary
    where 1 = 0
    {% if min_value is not none %} or mean_value < {{ min_value }} {% endif %}
    {% if max_value is not none %} or mean_value > {{ max_value }} {% endif %}

)

select * from validation_errors

{% endtest %}
