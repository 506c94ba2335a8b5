{#- The answers users give at a funnel's steps (fct_check_ins) against the planted shares:
    per step event, question and hidden segment (joined from truth.users), each answer's
    share of the answers within 4 binomial standard errors of the planted share; and per
    step event and question, the answers per user reaching the step (its events in
    fct_events) within 4 standard errors of the planted response rate. Cells of fewer than
    30 answers or users are shown, not judged. -#}
with

check_ins as (

    select * from {{ ref('fct_check_ins') }}

),

events as (

    select * from {{ ref('fct_events') }}

),

truth_users as (

    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        segment
    from {{ source('truth', 'users') }}

),

parameters as (

    select * from {{ source('truth', 'parameters') }}

),

planted_shares as (

    select
        {{ dbt.split_part('dimension', "'/'", 1) }} as event_name,
        {{ dbt.split_part('dimension', "'/'", 2) }} as question,
        {{ dbt.split_part('dimension', "'/'", 3) }} as segment,
        {{ dbt.split_part('dimension', "'/'", 4) }} as answer,
        value as planted_share
    from parameters
    where parameter = 'funnel.state_share'

),

planted_rates as (

    select
        {{ dbt.split_part('dimension', "'/'", 2) }} as question,
        max(value) as response_rate
    from parameters
    where parameter = 'funnel.state_response_rate'
    group by {{ dbt.split_part('dimension', "'/'", 2) }}

),

answers as (

    select
        check_ins.event_name,
        check_ins.question,
        truth_users.segment,
        check_ins.answer,
        count(*) as answers
    from check_ins
    inner join truth_users on check_ins.user_id = truth_users.user_id
    group by check_ins.event_name, check_ins.question, truth_users.segment, check_ins.answer

),

cells as (

    select
        planted_shares.*,
        coalesce(answers.answers, 0) as answers,
        sum(coalesce(answers.answers, 0)) over (
            partition by
                planted_shares.event_name,
                planted_shares.question,
                planted_shares.segment
        ) as cell_answers
    from planted_shares
    left join answers
        on planted_shares.event_name = answers.event_name
        and planted_shares.question = answers.question
        and planted_shares.segment = answers.segment
        and planted_shares.answer = answers.answer

),

asked as (

    select distinct
        event_name,
        question
    from planted_shares

),

reaching as (

    select
        event_name,
        count(distinct user_id) as users
    from events
    where event_name in (select asked.event_name from asked)
    group by event_name

),

responses as (

    select
        planted.event_name,
        planted.question,
        reaching.users,
        planted_rates.response_rate,
        count(check_ins.check_in_id) as answers
    from asked as planted
    inner join reaching on planted.event_name = reaching.event_name
    inner join planted_rates on planted.question = planted_rates.question
    left join check_ins
        on planted.event_name = check_ins.event_name
        and planted.question = check_ins.question
    group by planted.event_name, planted.question, reaching.users, planted_rates.response_rate

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        'share of answers within a segment' as quantity,
        event_name || '/' || question || '/' || segment || '/' || answer as cell,
        cell_answers as n,
        cast(answers as {{ dbt.type_float() }}) / nullif(cell_answers, 0) as measured,
        planted_share as expected,
        sqrt(planted_share * (1 - planted_share) / nullif(cell_answers, 0)) as standard_error
    from cells
    union all
    select
        'answers per user reaching the step' as quantity,
        event_name || '/' || question as cell,
        users as n,
        cast(answers as {{ dbt.type_float() }}) / users as measured,
        response_rate as expected,
        sqrt(response_rate * (1 - response_rate) / users) as standard_error
    from responses

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where n >= 30
        and abs(measured - expected) > 4 * standard_error + 1e-9
{% endif %}
