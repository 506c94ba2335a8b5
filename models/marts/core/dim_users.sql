{{ config(post_hook="{{ comment_user_attributes(with_bands=true) }}") }}
with

users as (

    select * from {{ ref('stg_app__users') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

-- read once per numeric attribute below (a world without any leaves it unused)
bands as (  -- noqa: ST03

    select * from {{ ref('stg_app__attribute_bands') }}

),

lifetime as (

    select
        user_id,
        min(first_event_at) as first_active_at,
        max(last_event_at) as last_active_at,
        max(activity_date) as last_active_date,
        sum(case
            when activity_date > {{ dbt.dateadd('day', -28, as_of_date()) }} then 1 else 0
        end) as active_days_last_28,
        sum(sessions_started) as lifetime_sessions,
        sum(events) as lifetime_events,
        count(*) as days_active
    from activity
    group by user_id

),

day_7_active as (

    select distinct activity.user_id
    from activity
    inner join users
        on activity.user_id = users.user_id
        and activity.activity_date = {{ dbt.dateadd('day', 7, 'users.signup_date') }}

),

joined as (

    select
        users.user_id,
        users.email,
        users.role,
        users.time_zone,
        {%- for attribute in raw_user_attributes() %}
        users.{{ attribute }},
        {%- endfor %}
        {%- for attribute in numeric_user_attributes() %}
        bands_{{ loop.index }}.band_label as {{ attribute }}_band,
        {%- endfor %}
        users.signed_up_at,
        users.signup_date,
        {{ week_start('users.signup_date') }} as cohort_week,
        cast({{ dbt.date_trunc('month', 'users.signup_date') }} as date) as cohort_month,
        lifetime.first_active_at,
        lifetime.last_active_at,
        coalesce(lifetime.lifetime_sessions, 0) as lifetime_sessions,
        coalesce(lifetime.lifetime_events, 0) as lifetime_events,
        coalesce(lifetime.days_active, 0) as days_active,
        coalesce(lifetime.active_days_last_28, 0) as active_days_last_28,
        {{ dbt.datediff('lifetime.last_active_date', as_of_date(), 'day') }}
            as days_since_last_active,
        {{ dbt.datediff('users.signup_date', as_of_date(), 'day') }}
            as account_age_days,
        case
            when
                {{ dbt.datediff('users.signup_date', as_of_date(), 'day') }}
                >= 7
                then day_7_active.user_id is not null
        end as is_retained_day_7
    from users
    left join lifetime on users.user_id = lifetime.user_id
    left join day_7_active on users.user_id = day_7_active.user_id
    {%- for attribute in numeric_user_attributes() %}
    left join bands as bands_{{ loop.index }}
        on bands_{{ loop.index }}.attribute_name = '{{ attribute }}'
        and (
            bands_{{ loop.index }}.lower_bound is null
            or users.{{ attribute }} >= bands_{{ loop.index }}.lower_bound
        )
        and (
            bands_{{ loop.index }}.upper_bound is null
            or users.{{ attribute }} < bands_{{ loop.index }}.upper_bound
        )
    {%- endfor %}

),

final as (

    select
        *,
        coalesce(days_since_last_active >= {{ var('churn_inactive_days') }}, true)
            as is_churned,
        {{ lifecycle_stage('account_age_days', 'active_days_last_28', 'days_since_last_active') }}
            as lifecycle_stage
    from joined

)

select * from final
