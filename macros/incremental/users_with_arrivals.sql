{#- The event-grain models are incremental by user: a run after new rows arrived rebuilds
    whole the users with an event received since the newest one the model holds (less
    var('incremental_lookback_hours'), for rows loaded out of order), and leaves everyone
    else's rows as they are. A late event can merge two sessions or start one in the past,
    so a user's sessions are only right when their whole history is sessionized again;
    rebuilding just those users makes an incremental run equal a full refresh, at the cost
    of the active users' histories (about a twentieth of the events per appended day).
    `source` holds the arrivals (its user_id and `column`); `this` holds `column` too. -#}
{% macro users_with_arrivals(source, column='received_at', this_column='received_at') -%}
    select distinct user_id
    from {{ source }}
    where {{ column }} > (
        select
            {{ dbt.dateadd(
                'hour', -var('incremental_lookback_hours'), 'max(' ~ this_column ~ ')'
            ) }}
        from {{ this }}
    )
{%- endmacro %}


{#- A post-hook of the incremental event-grain models: an account found to be a staff or
    scripted one since the last run (its events crossed the daily limit, or its row
    arrived with a company address) leaves the model, as a full refresh leaves it out. -#}
{% macro drop_excluded_accounts() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where user_id in (select user_id from {{ ref('stg_app__excluded_accounts') }})
    {%- endif -%}
{%- endmacro %}


{#- The config of an event-grain model incremental by user; `drop_excluded` adds the
    post-hook that drops accounts found to be staff or scripts since. On Spark, whose
    Parquet tables take no delete, the model is a table rebuilt whole. -#}
{% macro incremental_by_user(drop_excluded=true) -%}
    {%- if target.type == 'spark' -%}
        {{ return({'materialized': 'table'}) }}
    {%- endif -%}
    {%- set settings = {
        'materialized': 'incremental',
        'unique_key': 'user_id',
        'incremental_strategy': 'delete+insert',
        'on_schema_change': 'fail'
    } -%}
    {%- if drop_excluded -%}
        {%- do settings.update({'post_hook': '{{ drop_excluded_accounts() }}'}) -%}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}
