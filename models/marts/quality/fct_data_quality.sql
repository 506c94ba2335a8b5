with

deliveries as (

    select * from {{ ref('stg_app__event_deliveries') }}

),

events as (

    select * from {{ ref('stg_app__events') }}

),

users as (

    select * from {{ ref('stg_app__users') }}

),

excluded_accounts as (

    select * from {{ ref('stg_app__excluded_accounts') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

renames as (

    select renamed_to from {{ source('app', 'event_renames') }}

),

delivery_counts as (

    select
        sum(case when is_repeated_receipt then 1 else 0 end) as repeated_receipts,
        sum(case when is_resent_copy then 1 else 0 end) as resent_copies,
        sum(case when is_late_arrival then 1 else 0 end) as late_arrivals,
        sum(case when is_clock_corrected then 1 else 0 end) as clock_corrected,
        sum(case when is_renamed then 1 else 0 end) as renamed,
        sum(case when is_negative_duration then 1 else 0 end) as negative_durations,
        sum(case when is_received_before_user then 1 else 0 end) as received_before_user
    from deliveries

),

-- what staging kept that still shows the fault: each should be zero
kept_counts as (

    select
        count(*) - count(distinct event_id) as repeated_ids,
        sum(case when event_at > received_at then 1 else 0 end) as received_before_happening,
        sum(case when duration_ms < 0 then 1 else 0 end) as negative_durations,
        sum(case when event_name in (select renamed_to from renames) then 1 else 0 end)
            as renamed,
        sum(case when user_id not in (select user_id from users) then 1 else 0 end)
            as without_user
    from events

),

resent_kept as (

    select count(*) as resent_copies
    from (
        select user_id, tracker_session_id, event_name, event_at, duration_ms, event_value
        from events
        group by user_id, tracker_session_id, event_name, event_at, duration_ms, event_value
        having count(*) > 1
    ) as repeated

),

late_lost as (

    select count(*) as late_arrivals
    from deliveries
    where
        is_late_arrival and not is_repeated_receipt and not is_resent_copy
        and not is_excluded_account
        and {{ known_by_as_of_date('deliveries.event_at') }}
        and event_id not in (select event_id from events)

),

account_counts as (

    select
        excluded_accounts.exclusion_reason,
        count(distinct excluded_accounts.user_id) as accounts,
        sum(case when deliveries.event_id is not null then 1 else 0 end) as events
    from excluded_accounts
    left join deliveries on excluded_accounts.user_id = deliveries.user_id
    group by excluded_accounts.exclusion_reason

),

accounts_kept as (

    select
        (select count(*) from users where user_id in (select user_id from excluded_accounts))
            as users,
        (select count(*) from events where user_id in (select user_id from excluded_accounts))
            as events

),

missing_values as (

    select
        0
        {%- for attribute in raw_user_attributes() %}
        + sum(case when {{ attribute }} is null then 1 else 0 end)
        {%- endfor %} as missing
    from users

),

invoice_counts as (

    select sum(case when was_amount_in_cents then 1 else 0 end) as in_cents
    from invoices

),

invoice_floors as (

    select plan, billing_interval, currency, min(amount) as floor_amount
    from invoices
    where amount > 0
    group by plan, billing_interval, currency

),

invoices_kept as (

    select count(*) as in_cents
    from invoices
    inner join invoice_floors
        on
            invoices.plan = invoice_floors.plan
            and invoices.billing_interval = invoice_floors.billing_interval
            and invoices.currency = invoice_floors.currency
    where invoices.amount >= 50 * invoice_floors.floor_amount

),

checks as (

    {% set rows = [
        ('duplicate_same_id', 'events', 'removed: the first receipt of an event id stays',
         'delivery_counts.repeated_receipts', 'kept_counts.repeated_ids'),
        ('duplicate_new_id', 'events', 'removed: the first of identical events stays',
         'delivery_counts.resent_copies', 'resent_kept.resent_copies'),
        ('late_arrival', 'events', 'kept: placed by when it happened, not when it arrived',
         'delivery_counts.late_arrivals', 'late_lost.late_arrivals'),
        ('clock_skew', 'events', 'corrected: the device offset read from sent_at',
         'delivery_counts.clock_corrected', 'kept_counts.received_before_happening'),
        ('renamed_event', 'events', 'mapped to the name before the rename',
         'delivery_counts.renamed', 'kept_counts.renamed'),
        ('negative_duration', 'events', 'sign restored',
         'delivery_counts.negative_durations', 'kept_counts.negative_durations'),
        ('orphan_event', 'events', 'kept: joined to its user once the row loaded',
         'delivery_counts.received_before_user', 'kept_counts.without_user'),
        ('scripted_account', 'users', 'excluded: more than ' ~ var('inhuman_daily_events')
         ~ ' events on a day', 'scripted_users.accounts', 'accounts_kept.users'),
        ('scripted_account', 'events', 'excluded with its account',
         'scripted_users.events', 'accounts_kept.events'),
        ('staff_account', 'users', 'excluded: an e-mail on the company domains',
         'staff_users.accounts', 'accounts_kept.users'),
        ('staff_account', 'events', 'excluded with its account',
         'staff_users.events', 'accounts_kept.events'),
        ('missing_value', 'users', 'kept as null: the value is unknown',
         'missing_values.missing', 'null'),
        ('amount_in_cents', 'invoices', 'divided by 100: at least 50 times the plan floor',
         'invoice_counts.in_cents', 'invoices_kept.in_cents'),
    ] %}
    {%- for fault, table, handling, flagged, left in rows %}
    select
        '{{ fault }}' as fault,
        '{{ table }}' as table_name,
        '{{ handling }}' as handling,
        coalesce({{ flagged }}, 0) as rows_flagged,
        {{ left }} as rows_left
    from delivery_counts
    cross join kept_counts
    cross join resent_kept
    cross join late_lost
    cross join accounts_kept
    cross join missing_values
    cross join invoice_counts
    cross join invoices_kept
    left join account_counts as scripted_users
        on scripted_users.exclusion_reason = 'inhuman_volume'
    left join account_counts as staff_users
        on staff_users.exclusion_reason = 'internal_domain'
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select
    fault,
    table_name,
    handling,
    cast(rows_flagged as bigint) as rows_flagged,
    cast(rows_left as bigint) as rows_left
from checks
