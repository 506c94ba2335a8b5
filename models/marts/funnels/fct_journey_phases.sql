{#- Each funnel of the world's tracking plan read as a journey of phases: a user is in the
    phase of step n from reaching it (fct_funnel_steps_reached: ordered steps within the
    window from step 1) until reaching step n + 1. A phase is completed when the next step is
    reached (the last step completes the journey), in progress while the window is still
    open at the as-of date, and dropped once it has closed. -#}
with

as_of as (

    select
        cast({{ dbt.dateadd('day', 1, as_of_date()) }} as {{ dbt.type_timestamp() }})
            as as_of_end

),

reached as (

    select * from {{ ref('fct_funnel_steps_reached') }}

),

phased as (

    select
        *,
        lead(reached_at) over (
            partition by funnel_name, user_id order by step_number
        ) as next_reached_at,
        {{ dbt.dateadd(
            'second',
            'cast(window_days * 86400 as bigint)',
            'min(reached_at) over (partition by funnel_name, user_id)'
        ) }} as window_ends_at
    from reached

),

final as (

    select
        phased.funnel_name || '-' || phased.user_id || '-'
        || cast(phased.step_number as {{ dbt.type_string() }}) as journey_phase_id,
        phased.funnel_name,
        phased.user_id,
        phased.step_number,
        phased.event_name,
        phased.step_number = phased.steps as is_last_step,
        phased.reached_at as entered_at,
        phased.next_reached_at as left_at,
        case
            when phased.step_number = phased.steps then 'completed'
            when phased.next_reached_at is not null then 'completed'
            when phased.window_ends_at > as_of.as_of_end then 'in_progress'
            else 'dropped'
        end as status,
        -- a double on every engine (a decimal divisor would round it on Spark)
        cast({{ dbt.datediff(
            'phased.reached_at', 'phased.next_reached_at', 'second'
        ) }} as {{ dbt.type_float() }}) / 86400 as days_in_phase
    from phased
    cross join as_of

)

select * from final
