{#- The date the marts are "as of": var('as_of_date') if set, else the last date any source
    records something (an event, a signup, a plan change, an invoice, an answer, an
    exposure, a touch or a day of spend): in a small world the last day can pass without
    an event while the ad platforms still report that day's spend. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date') -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        (
            select max(last_date)
            from (
                select max(event_date) as last_date from {{ ref('stg_app__events') }}
                union all
                select max(signup_date) as last_date from {{ ref('stg_app__users') }}
                union all
                select max(requested_date) as last_date from {{ ref('stg_app__llm_responses') }}
                union all
                select max(exposed_date) as last_date
                from {{ ref('stg_app__experiment_exposures') }}
                union all
                select max(cast(changed_at as date)) as last_date
                from {{ ref('stg_billing__subscription_changes') }}
                union all
                select max(cast(issued_at as date)) as last_date
                from {{ ref('stg_billing__invoices') }}
                union all
                select max(touch_date) as last_date from {{ ref('stg_marketing__touches') }}
                union all
                select max(spend_date) as last_date from {{ ref('stg_marketing__spend') }}
            ) as last_dates
        )
    {%- endif -%}
{%- endmacro %}
