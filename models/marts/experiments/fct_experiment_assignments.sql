{#- Every assignment the flag service made, beside what the app's exposure logs show of
    it: whether any exposure arrived, the first one, and whether its variant matches. An
    arm whose assignments arrive as exposures less often than the others' is where a
    sample-ratio mismatch comes from. -#}
with

assignments as (

    select * from {{ ref('stg_app__experiment_assignments') }}

),

exposures as (

    select * from {{ ref('stg_app__experiment_exposures') }}

),

first_exposures as (

    select
        user_id,
        experiment_key,
        min(exposed_at) as first_exposed_at,
        count(*) as exposures,
        count(distinct variant) as variants_served,
        min(variant) as served_variant
    from exposures
    group by user_id, experiment_key

),

final as (

    select
        assignments.assignment_id,
        assignments.user_id,
        assignments.experiment_key,
        assignments.variant,
        assignments.assigned_at,
        first_exposures.first_exposed_at,
        coalesce(first_exposures.exposures, 0) as exposures,
        first_exposures.user_id is not null as is_exposed,
        first_exposures.user_id is not null
        and (
            first_exposures.variants_served > 1
            or first_exposures.served_variant != assignments.variant
        ) as is_variant_mismatch,
        {{ dbt.datediff('assignments.assigned_at', 'first_exposures.first_exposed_at', 'second') }}
            as seconds_to_first_exposure
    from assignments
    left join first_exposures
        on assignments.user_id = first_exposures.user_id
        and assignments.experiment_key = first_exposures.experiment_key

)

select * from final
