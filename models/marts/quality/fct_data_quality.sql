{#- the deliveries and the events are read where needed (a column or two each time), not
    as CTEs, which an engine may hold whole, every column of every event -#}
{%- set content = [
    'user_id', 'tracker_session_id', 'event_name', 'event_at', 'duration_ms', 'event_value'
] %}
with

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
    from {{ ref('stg_app__event_deliveries') }}

),

-- what staging kept that still shows the fault: each should be zero
kept_counts as (

    select
        sum(case when events.event_at > events.received_at then 1 else 0 end)
            as kept_received_before_happening,
        sum(case when events.duration_ms < 0 then 1 else 0 end) as kept_negative_durations,
        sum(case when renames.renamed_to is not null then 1 else 0 end) as kept_renamed,
        sum(case when users.user_id is null then 1 else 0 end) as kept_without_user
    from {{ ref('stg_app__events') }} as events
    left join renames on events.event_name = renames.renamed_to
    left join users on events.user_id = users.user_id

),

-- an event id or a content staging kept twice: counted exactly on the rows whose hash
-- another row shares (a group by one column over every event, then the exact count on few)
repeated_id_hashes as (

    select {{ row_hash(['event_id']) }} as id_hash
    from {{ ref('stg_app__events') }}
    group by {{ row_hash(['event_id']) }}
    having count(*) > 1

),

ids_kept as (

    select count(*) - count(distinct events.event_id) as kept_repeated_ids
    from {{ ref('stg_app__events') }} as events
    where
        events.event_id is null
        or {{ row_hash(['events.event_id']) }} in (
            select repeated_id_hashes.id_hash from repeated_id_hashes
        )

),

repeated_content_hashes as (

    select {{ row_hash(content) }} as content_hash
    from {{ ref('stg_app__events') }}
    group by {{ row_hash(content) }}
    having count(*) > 1

),

resent_kept as (

    select count(*) as kept_resent_copies
    from (
        select {{ content | join(', ') }}
        from {{ ref('stg_app__events') }}
        where
            {{ row_hash(content) }} in (
                select repeated_content_hashes.content_hash from repeated_content_hashes
            )
        group by {{ content | join(', ') }}
        having count(*) > 1
    ) as repeated

),

-- a late arrival staging should keep that it does not hold as one
late_lost as (

    select
        (
            select count(*) from {{ ref('stg_app__event_deliveries') }} as deliveries
            where
                deliveries.is_late_arrival
                and not deliveries.is_repeated_receipt
                and not deliveries.is_resent_copy
                and not deliveries.is_excluded_account
        )
        - (
            select count(*) from {{ ref('stg_app__events') }} as events
            where
                {{ dbt.datediff('events.event_at', 'events.received_at', 'millisecond') }}
                > {{ var('late_arrival_hours') }} * 3600000
        ) as lost_late_arrivals

),

account_counts as (

    select
        count(distinct case when excluded_accounts.exclusion_reason = 'inhuman_volume'
                then excluded_accounts.user_id
        end) as scripted_accounts,
        sum(case when excluded_accounts.exclusion_reason = 'inhuman_volume'
                and deliveries.event_id is not null then 1
            else 0
        end) as scripted_events,
        count(distinct case when excluded_accounts.exclusion_reason = 'internal_domain'
                then excluded_accounts.user_id
        end) as staff_accounts,
        sum(case when excluded_accounts.exclusion_reason = 'internal_domain'
                and deliveries.event_id is not null then 1
            else 0
        end) as staff_events
    from excluded_accounts
    left join {{ ref('stg_app__event_deliveries') }} as deliveries
        on excluded_accounts.user_id = deliveries.user_id

),

accounts_kept as (

    select
        (
            select count(*) from users
            where users.user_id in (select excluded_accounts.user_id from excluded_accounts)
        ) as kept_excluded_users,
        (
            select count(*) from {{ ref('stg_app__events') }} as events
            where events.user_id in (select excluded_accounts.user_id from excluded_accounts)
        ) as kept_excluded_events

),

missing_values as (

    select
        0
        {%- for attribute in raw_user_attributes() %}
        + sum(case when {{ attribute }} is null then 1 else 0 end)
        {%- endfor %} as missing_values
    from users

),

invoice_counts as (

    select sum(case when was_amount_in_cents then 1 else 0 end) as amounts_in_cents
    from invoices

),

invoice_floors as (

    select
        plan,
        billing_interval,
        currency,
        min(amount) as floor_amount
    from invoices
    where amount > 0
    group by plan, billing_interval, currency

),

invoices_kept as (

    select count(*) as kept_amounts_in_cents
    from invoices
    inner join invoice_floors
        on
        invoices.plan = invoice_floors.plan
        and invoices.billing_interval = invoice_floors.billing_interval
        and invoices.currency = invoice_floors.currency
    where invoices.amount >= 50 * invoice_floors.floor_amount

),

counts as (

    select
        delivery_counts.*,
        kept_counts.*,
        ids_kept.*,
        resent_kept.*,
        late_lost.*,
        account_counts.*,
        accounts_kept.*,
        missing_values.*,
        invoice_counts.*,
        invoices_kept.*
    from delivery_counts
    cross join kept_counts
    cross join ids_kept
    cross join resent_kept
    cross join late_lost
    cross join account_counts
    cross join accounts_kept
    cross join missing_values
    cross join invoice_counts
    cross join invoices_kept

),

checks as (

    {% set rows = [
        ('duplicate_same_id', 'events', 'removed: the first receipt of an event id stays',
         'repeated_receipts', 'kept_repeated_ids'),
        ('duplicate_new_id', 'events', 'removed: the first of identical events stays',
         'resent_copies', 'kept_resent_copies'),
        ('late_arrival', 'events', 'kept: placed by when it happened, not when it arrived',
         'late_arrivals', 'lost_late_arrivals'),
        ('clock_skew', 'events', 'corrected: the device offset read from sent_at',
         'clock_corrected', 'kept_received_before_happening'),
        ('renamed_event', 'events', 'mapped to the name before the rename',
         'renamed', 'kept_renamed'),
        ('negative_duration', 'events', 'sign restored',
         'negative_durations', 'kept_negative_durations'),
        ('orphan_event', 'events', 'kept: joined to its user once the row loaded',
         'received_before_user', 'kept_without_user'),
        ('scripted_account', 'users', 'excluded: more than ' ~ var('inhuman_daily_events')
         ~ ' events on a day', 'scripted_accounts', 'kept_excluded_users'),
        ('scripted_account', 'events', 'excluded with its account',
         'scripted_events', 'kept_excluded_events'),
        ('staff_account', 'users', 'excluded: an e-mail on the company domains',
         'staff_accounts', 'kept_excluded_users'),
        ('staff_account', 'events', 'excluded with its account',
         'staff_events', 'kept_excluded_events'),
        ('missing_value', 'users', 'kept as null: the value is unknown',
         'missing_values', 'null'),
        ('amount_in_cents', 'invoices', 'divided by 100: at least 50 times the plan floor',
         'amounts_in_cents', 'kept_amounts_in_cents'),
    ] %}
    {%- for fault, table, handling, flagged, left in rows %}
        select
            {{ loop.index }} as check_number,
            '{{ fault }}' as fault,
            '{{ table }}' as table_name,
            '{{ handling }}' as handling
        {{ "union all" if not loop.last }}
    {%- endfor %}

),

-- each check reads its two counts from the one row of counts (referenced once, so no
-- engine computes it once per check)
checked as (

    select
        checks.fault,
        checks.table_name,
        checks.handling,
        case checks.check_number
            {%- for fault, table, handling, flagged, left in rows %}
                when {{ loop.index }} then coalesce(counts.{{ flagged }}, 0)
            {%- endfor %}
        end as rows_flagged,
        case checks.check_number
            {%- for fault, table, handling, flagged, left in rows %}
                when {{ loop.index }} then {{ 'counts.' ~ left if left != 'null' else 'null' }}
            {%- endfor %}
        end as rows_left
    from checks
    cross join counts

)

select
    {{ dbt.concat(['fault', "'/'", 'table_name']) }} as check_id,
    fault,
    table_name,
    handling,
    cast(rows_flagged as bigint) as rows_flagged,
    cast(rows_left as bigint) as rows_left
from checked
