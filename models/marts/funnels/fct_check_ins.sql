{#- The answers members give at a funnel's steps (an in-app check-in: how do they feel?),
    each placed in the journey phase it followed: the user's phase (fct_journey_phases) of
    the step event it answers, in the first funnel of the tracking plan with that event. -#}
with

check_ins as (

    select * from {{ ref('stg_app__check_ins') }}

),

phases as (

    select * from {{ ref('fct_journey_phases') }}

),

first_funnels as (

    select
        event_name,
        min(funnel_number) as funnel_number
    from {{ ref('stg_app__funnel_steps') }}
    group by event_name

),

funnel_of_event as (

    select
        first_funnels.event_name,
        min(steps.funnel_name) as funnel_name
    from first_funnels
    inner join {{ ref('stg_app__funnel_steps') }} as steps
        on first_funnels.event_name = steps.event_name
        and first_funnels.funnel_number = steps.funnel_number
    group by first_funnels.event_name

),

final as (

    select
        check_ins.check_in_id,
        check_ins.user_id,
        phases.funnel_name,
        phases.step_number,
        check_ins.event_name,
        check_ins.question,
        check_ins.answer,
        phases.status as phase_status,
        check_ins.answered_date,
        check_ins.answered_at
    from check_ins
    left join funnel_of_event on check_ins.event_name = funnel_of_event.event_name
    left join phases
        on check_ins.user_id = phases.user_id
        and funnel_of_event.funnel_name = phases.funnel_name
        and check_ins.event_name = phases.event_name

)

select * from final
