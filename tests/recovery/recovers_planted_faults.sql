{#- Every planted data-quality fault is found and handled: per fault class and raw table,
    the rows fct_data_quality flags by staging's rules equal the rows truth labels, none
    is left faulty in staging, and the repaired rows hold their true values (the true
    time of a skewed event, the name before a rename, a duration's size, an amount in
    dollars, a late or orphaned event kept). Exact: a rule that misses or wrongly flags one
    row fails. A row is returned for each disagreement. -#}
with

planted as (

    select
        fault,
        table_name,
        count(*) as rows_planted
    from {{ source('truth', 'faults') }}
    group by fault, table_name

),

flagged as (

    select * from {{ ref('fct_data_quality') }}

),

labels as (

    select
        fault,
        table_name,
        cast(row_id as {{ dbt.type_string() }}) as row_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        row_at,
        true_value
    from {{ source('truth', 'faults') }}

),

-- the labelled rows staging should keep (not a repeated receipt, a resent copy or an
-- excluded account's), with what staging made of them
kept_labels as (

    select labels.*
    from labels
    where
        labels.table_name = 'events'
        and labels.fault in (
            'late_arrival', 'clock_skew', 'renamed_event', 'negative_duration', 'orphan_event'
        )
        and labels.row_id not in (
            select removed.row_id from labels as removed
            where removed.fault in ('duplicate_new_id', 'scripted_account', 'staff_account')
        )

),

repairs as (

    select
        kept_labels.fault,
        'events' as table_name,
        sum(
            case
                when events.event_id is null then 1
                when kept_labels.fault = 'clock_skew' and events.event_at <> kept_labels.row_at
                    then 1
                when kept_labels.fault = 'renamed_event'
                    and events.event_name <> kept_labels.true_value then 1
                when kept_labels.fault = 'negative_duration'
                    and cast(events.duration_ms as {{ dbt.type_string() }})
                    <> kept_labels.true_value then 1
                else 0
            end
        ) as rows_not_repaired
    from kept_labels
    left join {{ ref('stg_app__events') }} as events
        on kept_labels.row_id = events.event_id
    group by kept_labels.fault

    union all

    select
        'amount_in_cents' as fault,
        'invoices' as table_name,
        sum(
            case
                when cast(invoices.amount as {{ dbt.type_string() }}) = labels.true_value
                    then 0
                else 1
            end
        ) as rows_not_repaired
    from labels
    left join {{ ref('stg_billing__invoices') }} as invoices
        on labels.user_id = invoices.user_id and labels.row_at = invoices.issued_at
    where labels.fault = 'amount_in_cents'

),

compared as (

    select
        coalesce(planted.fault, flagged.fault) as fault,
        coalesce(planted.table_name, flagged.table_name) as table_name,
        coalesce(planted.rows_planted, 0) as rows_planted,
        coalesce(flagged.rows_flagged, 0) as rows_flagged,
        flagged.rows_left,
        coalesce(repairs.rows_not_repaired, 0) as rows_not_repaired
    from planted
    full outer join flagged
        on planted.fault = flagged.fault and planted.table_name = flagged.table_name
    left join repairs
        on
        coalesce(planted.fault, flagged.fault) = repairs.fault
        and coalesce(planted.table_name, flagged.table_name) = repairs.table_name

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (  -- noqa: ST03

    select
        'faulty rows flagged, as truth labels them' as quantity,
        fault || ' | ' || table_name as cell,
        rows_flagged as measured,
        rows_planted as expected,
        0 as standard_error
    from compared
    union all
    select
        'faulty rows left in staging' as quantity,
        fault || ' | ' || table_name as cell,
        coalesce(rows_left, 0) + rows_not_repaired as measured,
        0 as expected,
        0 as standard_error
    from compared

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from compared
    where
        rows_flagged <> rows_planted
        or coalesce(rows_left, 0) <> 0
        or rows_not_repaired <> 0
{% endif %}
