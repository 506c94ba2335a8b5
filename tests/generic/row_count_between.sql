{#- The model has between min_value and max_value rows; returns the count when not. -#}
{% test row_count_between(model, min_value=none, max_value=none) %}

with

summary as (

    select count(*) as row_count from {{ model }}

),

validation_errors as (

    select row_count
    from summary
    where 1 = 0
    {% if min_value is not none %} or row_count < {{ min_value }} {% endif %}
    {% if max_value is not none %} or row_count > {{ max_value }} {% endif %}

)

select * from validation_errors

{% endtest %}
