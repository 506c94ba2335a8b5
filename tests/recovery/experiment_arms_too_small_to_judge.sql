{{ config(severity='warn') }}
{#- Says which experiment arm x metric recovers_experiment_effects could not judge: an
    arm with fewer users than normal_tail_users() says the metric's skewness needs at the
    lift check's bound (or a metric that did not vary), beside the users truth assigned to
    the arm. A warning, not a failure: the world is too small to test those planted
    effects, which is no fault of the marts. -#}
{%- set z = normal_quantile_upper(0.0005) -%}
with

arms as (

    {{ experiment_arm_skewness() }}

),

assigned as (

    select
        experiment_key,
        variant,
        count(*) as assigned_users
    from {{ source('truth', 'experiment_assignments') }}
    group by experiment_key, variant

),

needed as (

    select
        *,
        {{ normal_tail_users('skewness', z) }} as users_needed
    from arms

)

select
    needed.experiment_key,
    needed.variant,
    needed.metric,
    needed.users,
    needed.skewness,
    needed.users_needed,
    assigned.assigned_users
from needed
left join assigned
    on needed.experiment_key = assigned.experiment_key
    and needed.variant = assigned.variant
where needed.users_needed is null or needed.users < needed.users_needed
