{{ config(severity='warn') }}
{#- Says which experiment arms recovers_experiment_effects could not judge: an arm the
    marts measured with fewer users than experiment_min_arm_users(), beside the users truth
    assigned to it. A warning, not a failure: the world is too small to test those planted
    effects, which is no fault of the marts. -#}
with

measured as (

    select distinct
        experiment_key,
        variant,
        users
    from {{ ref('fct_experiment_results') }}

),

assigned as (

    select
        experiment_key,
        variant,
        count(*) as assigned_users
    from {{ source('truth', 'experiment_assignments') }}
    group by experiment_key, variant

)

select
    measured.experiment_key,
    measured.variant,
    measured.users,
    assigned.assigned_users
from measured
left join assigned
    on measured.experiment_key = assigned.experiment_key
    and measured.variant = assigned.variant
where measured.users < {{ experiment_min_arm_users() }}
