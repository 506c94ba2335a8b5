{#- Whether a row stamped at `column` (a timestamp or a date) was already known on the
    as-of date: by its end when var('as_of_date') is set, so the warehouse built as of a
    day equals one built from the raw tables as they stood that evening. Always true
    otherwise (everything loaded is known). Staging applies it to every source with a time,
    so no model downstream sees the future. -#}
{% macro known_by_as_of_date(column) -%}
    {%- if var('as_of_date') -%}
        {{ column }} < {{ dbt.dateadd('day', 1, "cast('" ~ var('as_of_date') ~ "' as date)") }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
