{#- Month over month in the revenue marts, customers on a monthly plan either keep it,
    move to another paid plan (upgrade or downgrade) or pay nothing (cancelled, or their
    payment failed). Each decision's chances come from the planted transition table, the
    segment multipliers, the inactive multiplier and the failed-payment rate, so the
    counts have known means and variances (truth.expected_billed_transitions). Every
    (plan, next plan) count must lie within 4 standard errors, with count_tolerance's
    allowance for a count's skew (a count that cannot vary must match). Annual plans decide only
    at renewal, which month-to-month revenue cannot tell from staying, so they are left
    out, and so is a last month the data ends in before its last day (truth counts the
    decisions of complete months only). The planted base chance is shown beside the
    observed rate. -#}
with

movements as (

    select * from {{ ref('int_mrr_movements_by_customer') }}

),

plans as (

    select * from {{ source('truth', 'plans') }}

),

expected as (

    select * from {{ source('truth', 'expected_billed_transitions') }}

),

observed as (

    select
        previous_plan as from_plan,
        coalesce(plan, '(none)') as to_plan,
        count(*) as transitions
    from movements
    where previous_plan is not null
        -- a month the data ends in before its last day shows no decision of its own
        and (
            mrr_month < {{ dbt.date_trunc('month', as_of_date()) }}
            or {{ dbt.dateadd('day', 1, as_of_date()) }}
            = {{ dbt.dateadd('month', 1, dbt.date_trunc('month', as_of_date())) }}
        )
    group by previous_plan, coalesce(plan, '(none)')

),

compared as (

    select
        expected.from_plan,
        expected.to_plan,
        expected.decisions,
        coalesce(observed.transitions, 0) as transitions,
        expected.expected_transitions,
        expected.variance,
        sum(coalesce(observed.transitions, 0)) over (partition by expected.from_plan)
            as observed_decisions
    from expected
    inner join plans
        on expected.from_plan = plans.plan
        and plans.billing_interval = 'month'
        and plans.price > 0
    left join observed
        on expected.from_plan = observed.from_plan
        and expected.to_plan = observed.to_plan

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (  -- noqa: ST03

    select
        'monthly-plan customers moving to a plan' as quantity,
        from_plan || ' -> ' || to_plan as cell,
        transitions as measured,
        expected_transitions as expected,
        sqrt(variance) as standard_error
    from compared
    union all
    select distinct
        'monthly-plan decisions' as quantity,
        from_plan as cell,
        observed_decisions as measured,
        decisions as expected,
        0 as standard_error
    from compared

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select
        *,
        cast(transitions as double) / nullif(observed_decisions, 0) as observed_rate,
        expected_transitions / nullif(decisions, 0) as expected_rate
    from compared
    where observed_decisions != decisions
        or abs(transitions - expected_transitions) > {{ count_tolerance('sqrt(variance)', 4) }}
        or (variance = 0 and transitions != expected_transitions)
{% endif %}
