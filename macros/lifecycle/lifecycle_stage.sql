{#- A user's lifecycle stage as the warehouse infers it from behaviour, on a given day:
    onboarding - account younger than `lifecycle_onboarding_days` (14);
    engaged    - active on at least `lifecycle_engaged_days` (8) of the last 28 days;
    activated  - active on 1 to 7 of the last 28 days;
    dormant    - no activity in the last 28 days, some in the last `lifecycle_exit_days` (90);
    exited     - no activity in the last 90 days (or none ever after onboarding). -#}
{% macro lifecycle_stage(account_age_days, active_days_last_28, days_since_last_active) -%}
    case
        when {{ account_age_days }} < {{ var('lifecycle_onboarding_days') }} then 'onboarding'
        when {{ active_days_last_28 }} >= {{ var('lifecycle_engaged_days') }} then 'engaged'
        when {{ active_days_last_28 }} >= 1 then 'activated'
        when {{ days_since_last_active }} < {{ var('lifecycle_exit_days') }} then 'dormant'
        else 'exited'
    end
{%- endmacro %}
