{#- One row per relation x actor x outcome: the actor's linked users, how many reached the
    outcome, and the median days from signup it took them (a doctor's completion and
    healing rates). -#}
with

assignments as (

    select * from {{ ref('stg_app__assignments') }}

),

user_outcomes as (

    select * from {{ ref('fct_user_outcomes') }}

),

final as (

    select
        assignments.relation
        || '-' || assignments.actor_id
        || '-' || user_outcomes.outcome as actor_outcome_id,
        assignments.relation,
        assignments.actor_id,
        user_outcomes.outcome,
        count(*) as linked_users,
        sum(case when user_outcomes.is_reached then 1 else 0 end) as users_reached,
        avg(case when user_outcomes.is_reached then 1 else 0 end) as reach_rate,
        {{ quantile('user_outcomes.days_to_outcome', 0.5) }} as median_days_to_outcome
    from assignments
    inner join user_outcomes on assignments.user_id = user_outcomes.user_id
    group by assignments.relation, assignments.actor_id, user_outcomes.outcome

)

select * from final
