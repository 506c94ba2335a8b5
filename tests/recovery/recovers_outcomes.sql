{#- Each outcome in fct_user_outcomes against truth.outcomes, per hidden segment:
    - an outcome reached by behaviour (the Nth event of a kind within a window after
      signup): the users who reached it are exactly truth's, and exactly those whose Nth
      such event in fct_events falls within the planted window after their signup (the
      rule recovered from the event log);
    - an outcome of chance (healed): per segment and whether the outcome it follows
      happened, the users recorded against the sum of their planted chances over those
      whose record would fall within the timeframe, within 4 binomial standard errors;
      and the mean delay from the outcome it follows to its record against the planted
      uniform delay's midpoint, among users whose whole delay range lies in the timeframe,
      within 4 standard errors ((max - min) / sqrt(12 n)).
    Cells of fewer than 10 users are shown, not judged. -#}
with

truth_outcomes as (

    select
        cast(outcomes.user_id as {{ dbt.type_string() }}) as user_id,
        outcomes.outcome,
        outcomes.after_achieved,
        outcomes.chance,
        outcomes.observable,
        outcomes.achieved_at is not null as recorded,
        users.segment
    from {{ source('truth', 'outcomes') }} as outcomes
    inner join {{ source('truth', 'users') }} as users on outcomes.user_id = users.user_id

),

parameters as (

    select
        parameter,
        {{ dbt.split_part('dimension', "'/'", 1) }} as outcome,
        {{ dbt.split_part('dimension', "'/'", 2) }} as detail,
        value
    from {{ source('truth', 'parameters') }}
    where parameter like 'outcome.%'

),

rules as (

    select
        counts.outcome,
        counts.detail as event_name,
        counts.value as after_count,
        windows.value as within_days
    from parameters as counts
    inner join parameters as windows
        on
        counts.outcome = windows.outcome
        and windows.parameter = 'outcome.within_days'
    where counts.parameter = 'outcome.after_count'

),

delays as (

    select
        lows.outcome,
        lows.value as min_days,
        highs.value as max_days
    from parameters as lows
    inner join parameters as highs
        on
        lows.outcome = highs.outcome
        and highs.parameter = 'outcome.delay_max_days'
    where lows.parameter = 'outcome.delay_min_days'

),

user_outcomes as (

    select * from {{ ref('fct_user_outcomes') }}

),

users as (

    select
        user_id,
        signed_up_at
    from {{ ref('dim_users') }}

),


-- the rule from the log: each user's Nth event of the kind within the window
ranked_events as (

    select
        rules.outcome,
        events.user_id,
        rules.after_count,
        row_number() over (
            partition by rules.outcome, events.user_id
            order by events.event_at, events.event_id
        ) as nth
    from {{ ref('fct_events') }} as events
    inner join rules on events.event_name = rules.event_name
    inner join users on events.user_id = users.user_id
    where
        {{ dbt.datediff('users.signed_up_at', 'events.event_at', 'millisecond') }}
        <= rules.within_days * 86400000

),

rule_reached as (

    select
        outcome,
        user_id
    from ranked_events
    where nth = after_count

),

behaviour as (

    select
        truth_outcomes.outcome,
        truth_outcomes.segment,
        count(*) as users,
        sum(case when user_outcomes.is_reached then 1 else 0 end) as measured,
        sum(case when truth_outcomes.recorded then 1 else 0 end) as expected,
        sum(
            case
                when
                    coalesce(user_outcomes.is_reached, false)
                    != (rule_reached.user_id is not null)
                    then 1
                else 0
            end
        ) as disagreeing_with_rule
    from truth_outcomes
    inner join rules on truth_outcomes.outcome = rules.outcome
    left join user_outcomes
        on
        truth_outcomes.user_id = user_outcomes.user_id
        and truth_outcomes.outcome = user_outcomes.outcome
    left join rule_reached
        on
        truth_outcomes.user_id = rule_reached.user_id
        and truth_outcomes.outcome = rule_reached.outcome
    group by truth_outcomes.outcome, truth_outcomes.segment

),

chance as (

    select
        truth_outcomes.outcome,
        truth_outcomes.segment,
        truth_outcomes.after_achieved,
        count(*) as users,
        sum(case when user_outcomes.is_reached then 1 else 0 end) as measured,
        sum(case when truth_outcomes.observable then truth_outcomes.chance else 0 end)
            as expected,
        sqrt(sum(
            case
                when truth_outcomes.observable
                    then truth_outcomes.chance * (1 - truth_outcomes.chance)
                else 0
            end
        )) as standard_error
    from truth_outcomes
    left join user_outcomes
        on
        truth_outcomes.user_id = user_outcomes.user_id
        and truth_outcomes.outcome = user_outcomes.outcome
    where truth_outcomes.chance is not null
    group by truth_outcomes.outcome, truth_outcomes.segment, truth_outcomes.after_achieved

),


-- delay from the outcome it follows, where the whole delay range lies before the end
follows as (

    select
        outcome,
        detail as after_outcome
    from parameters
    where parameter = 'outcome.follows'

),

delay_cells as (

    select
        follows.outcome,
        count(*) as users,
        avg(
            {{ dbt.datediff('parents.recorded_at', 'children.recorded_at', 'millisecond') }}
            / 86400000.0
        ) as measured,
        (delays.min_days + delays.max_days) / 2 as expected,
        (delays.max_days - delays.min_days) / sqrt(12.0 * count(*)) as standard_error
    from follows
    inner join delays on follows.outcome = delays.outcome
    inner join user_outcomes as children on follows.outcome = children.outcome
    inner join user_outcomes as parents
        on
        children.user_id = parents.user_id
        and follows.after_outcome = parents.outcome
    where
        children.is_reached
        and parents.is_reached
        and {{ dbt.dateadd(
            'day', 'cast(ceil(delays.max_days) as integer) + 1', 'parents.recorded_date'
        ) }}
        <= {{ as_of_date() }}
    group by follows.outcome, delays.min_days, delays.max_days

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        'users reaching an outcome by behaviour' as quantity,
        outcome || '/' || segment as cell,
        users,
        measured,
        expected,
        0 as standard_error
    from behaviour

    union all

    select
        'users whose outcome disagrees with the rule on fct_events' as quantity,
        outcome || '/' || segment as cell,
        users,
        disagreeing_with_rule as measured,
        0 as expected,
        0 as standard_error
    from behaviour

    union all

    select
        'users reaching an outcome of chance' as quantity,
        outcome || '/' || segment || '/'
        || case when after_achieved then 'after' else 'otherwise' end as cell,
        users,
        measured,
        expected,
        standard_error
    from chance

    union all

    select
        'mean days from the outcome it follows to its record' as quantity,
        outcome as cell,
        users,
        measured,
        expected,
        standard_error
    from delay_cells

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where
        (standard_error = 0 and measured != expected)
        or (
            standard_error > 0
            and users >= 10
            and abs(measured - expected) > 4 * standard_error + 1e-9 * abs(expected)
        )
{% endif %}
