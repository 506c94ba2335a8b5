{#- One row per user x outcome the platform records (programme completed, healed, ...):
    whether and when the user reached it, and the days from signup. -#}
with

users as (

    select * from {{ ref('dim_users') }}

),

outcomes as (

    select * from {{ ref('stg_app__outcomes') }}

),

outcome_names as (

    select distinct outcome from outcomes

),

final as (

    select
        users.user_id || '-' || outcome_names.outcome as user_outcome_id,
        users.user_id,
        outcome_names.outcome,
        users.signup_date,
        users.cohort_month,
        outcomes.outcome_id is not null as is_reached,
        outcomes.recorded_date,
        outcomes.recorded_at,
        {{ dbt.datediff('users.signup_date', 'outcomes.recorded_date', 'day') }}
            as days_to_outcome
    from users
    cross join outcome_names
    left join outcomes
        on
        users.user_id = outcomes.user_id
        and outcome_names.outcome = outcomes.outcome

)

select * from final
