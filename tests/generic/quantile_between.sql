{#- The column's q-quantile lies in [min_value, max_value];
    an empty model has none to check. Returns it when it does not. -#}
{% test quantile_between(model, column_name, quantile, min_value=none, max_value=none) %}

with

summary as (

    select {{ proving_ground.quantile(column_name, quantile) }} as quantile_value
    from {{ model }}

),

validation_errors as (

    select quantile_value
    from summary
    where 1 = 0
    {% if min_value is not none %} or quantile_value < {{ min_value }} {% endif %}
    {% if max_value is not none %} or quantile_value > {{ max_value }} {% endif %}

)

select * from validation_errors

{% endtest %}
