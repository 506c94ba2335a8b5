{{ config(severity='warn') }}
{#- Says which experiment arms recovers_experiment_effects could not judge: an arm with
    fewer users than experiment_min_arm_users(). A warning, not a failure: the world is
    too small to test those planted effects, which is no fault of the marts. -#}
with

arms as (

    select distinct
        experiment_key,
        variant,
        users
    from {{ ref('fct_experiment_results') }}

)

select *
from arms
where users < {{ experiment_min_arm_users() }}
