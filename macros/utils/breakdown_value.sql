{% macro breakdown_value(column) -%}
    {#- A user attribute as a breakdown's value: its text, or '(unknown)' where the users
        table left it empty, so those users form their own group. -#}
    coalesce(cast({{ column }} as {{ dbt.type_string() }}), '(unknown)')
{%- endmacro %}
