{#- The date the marts are "as of": var('as_of_date') if set, else the last event date. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date') -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        (select max(event_date) from {{ ref('stg_app__events') }})
    {%- endif -%}
{%- endmacro %}
