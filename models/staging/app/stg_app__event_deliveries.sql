{{ config(**incremental_by_user(drop_excluded=false)) }}
{%- set columns = [
    'event_id', 'user_id', 'session_id', 'event_name', 'feature', 'event_at', 'sent_at',
    'received_at', 'duration_ms', 'event_value', 'value_unit'
] -%}
{#- what a copy resent under a new id repeats -#}
{%- set content = [
    'user_id', 'session_id', 'event_name', 'event_at', 'duration_ms', 'event_value'
] -%}
{#- What the collector had received by the as-of date (every row when none is set); an
    incremental run takes the whole history of the users with new rows (users_with_arrivals)
    and of the accounts excluded since, whose rows are now flagged. Read where needed as a
    subquery, not a CTE, so that no engine holds every row of it at once. -#}
{%- set received -%}
    select * from {{ source('app', 'events') }}
    where {{ known_by_as_of_date('received_at') }}
    {% if is_incremental() %}
        and (
            user_id in (
                {{ users_with_arrivals(source('app', 'events')) }}
            )
            or cast(user_id as {{ dbt.type_string() }}) in (
                select user_id from {{ ref('stg_app__excluded_accounts') }}
                except
                select user_id from {{ this }} where is_excluded_account
            )
        )
    {% endif %}
{%- endset %}
with

-- A retry can only be a receipt of an event id received more than once, or a send whose
-- content another send repeats (under a new id). Numbering receipts and sends takes a
-- window over every row it might touch, so the windows run on those rows alone (well
-- under 1% of them), found by a group by of one column each; the rest are first receipts
-- of their only send.
repeated_event_ids as (

    select received.event_id
    from ({{ received }}) as received
    where received.event_id is not null
    group by received.event_id
    having count(*) > 1

),

repeated_contents as (

    select {{ row_hash(content) }} as content_hash
    from ({{ received }}) as received
    group by {{ row_hash(content) }}
    having count(*) > 1

),

candidates as (

    select received.*
    from ({{ received }}) as received
    where
        received.event_id is null
        or received.event_id in (select repeated_event_ids.event_id from repeated_event_ids)
        or {{ row_hash(content) }} in (
            select repeated_contents.content_hash from repeated_contents
        )

),

-- a retry the collector received twice keeps its event id: its first receipt counts
receipts as (

    select
        *,
        row_number() over (partition by event_id order by received_at) as receipt_number
    from candidates

),

-- a retry resent under a new id carries the same content: the first one received counts
sends as (

    select
        *,
        row_number() over (
            partition by receipt_number, {{ content | join(', ') }}
            order by received_at, event_id
        ) as send_number
    from receipts

),

numbered as (

    select
        {{ columns | join(', ') }},
        receipt_number,
        send_number
    from sends

    union all

    select
        {{ columns | join(', ') }},
        1 as receipt_number,
        1 as send_number
    from ({{ received }}) as received
    where
        received.event_id not in (select repeated_event_ids.event_id from repeated_event_ids)
        and {{ row_hash(content) }} not in (
            select repeated_contents.content_hash from repeated_contents
        )

),

clock_offsets as (

    select
        *,
        -- a device clock that is off moves event_at and sent_at alike, so the whole
        -- seconds between sent_at and received_at are its offset (latency is under 0.5 s)
        cast(
            round({{ dbt.datediff('received_at', 'sent_at', 'millisecond') }} / 1000.0)  -- noqa: LT05
            * 1000 as bigint
        ) as clock_offset_ms
    from numbered

),

users as (

    select
        user_id,
        loaded_at
    from {{ source('app', 'users') }}
    where {{ known_by_as_of_date('loaded_at') }}

),

excluded_accounts as (

    select user_id from {{ ref('stg_app__excluded_accounts') }}

),

renames as (

    select
        event_name,
        renamed_to
    from {{ source('app', 'event_renames') }}

),

-- the clock's offset moved back out of event_at
timed as (

    select
        *,
        {{ dbt.dateadd('millisecond', '-clock_offset_ms', 'event_at') }} as corrected_event_at
    from clock_offsets

),

deliveries as (

    select
        ----------  ids
        {{ dbt.concat([
            dbt.cast('timed.event_id', dbt.type_string()), "'/'",
            dbt.cast('timed.receipt_number', dbt.type_string())
        ]) }} as delivery_id,
        cast(timed.event_id as {{ dbt.type_string() }}) as event_id,
        cast(timed.user_id as {{ dbt.type_string() }}) as user_id,
        cast(timed.session_id as {{ dbt.type_string() }}) as tracker_session_id,

        ---------- strings
        timed.event_name as logged_event_name,
        -- the tracking plan's renames: an event logged under its new name keeps its old one
        coalesce(renames.event_name, timed.event_name) as event_name,
        timed.feature,
        timed.value_unit,

        ---------- numerics
        timed.duration_ms as logged_duration_ms,
        -- a negative duration is one client's sign error: its size is right
        abs(timed.duration_ms) as duration_ms,
        timed.event_value,
        timed.clock_offset_ms,

        ---------- booleans
        timed.receipt_number > 1 as is_repeated_receipt,
        timed.receipt_number = 1 and timed.send_number > 1 as is_resent_copy,
        {{ dbt.datediff('timed.corrected_event_at', 'timed.received_at', 'millisecond') }}
        > {{ var('late_arrival_hours') }} * 3600000 as is_late_arrival,
        timed.clock_offset_ms <> 0 as is_clock_corrected,
        renames.event_name is not null as is_renamed,
        timed.duration_ms < 0 as is_negative_duration,
        coalesce(timed.received_at < users.loaded_at, true) as is_received_before_user,
        excluded_accounts.user_id is not null as is_excluded_account,

        ---------- timestamps
        timed.event_at as logged_event_at,
        timed.corrected_event_at as event_at,
        timed.received_at

    from timed
    left join renames on timed.event_name = renames.renamed_to
    left join users on timed.user_id = users.user_id
    left join excluded_accounts
        on cast(timed.user_id as {{ dbt.type_string() }}) = excluded_accounts.user_id

)

select * from deliveries
