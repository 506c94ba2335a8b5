{#- dbt-spark's dateadd and datediff count whole seconds through unix time: a millisecond
    added is lost, and a timestamp without a time zone comes back with one. These keep
    the precision and the type, and count as DuckDB's date_diff counts: the boundaries
    of the unit crossed (calendar days for a day). The project uses day and the units
    below it. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd(
        {{ datepart | upper }},
        cast({{ interval }} as bigint),
        cast({{ from_date_or_timestamp }} as timestamp_ntz)
    )
{%- endmacro %}

{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- set micros = {
        'hour': 3600000000, 'minute': 60000000, 'second': 1000000, 'millisecond': 1000
    } -%}
    {%- if datepart == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif datepart in micros -%}
        (
            floor(unix_micros(cast({{ second_date }} as timestamp)) / {{ micros[datepart] }})
            - floor(unix_micros(cast({{ first_date }} as timestamp)) / {{ micros[datepart] }})
        )
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "datediff on Spark: '" ~ datepart ~ "' is not a unit the project counts in"
        ) }}
    {%- endif -%}
{%- endmacro %}
