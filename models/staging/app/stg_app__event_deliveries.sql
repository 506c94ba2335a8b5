{{ config(**incremental_by_user(drop_excluded=false)) }}
with

-- what the collector had received by the as-of date (every row when none is set); an
-- incremental run takes the whole history of the users with new rows (users_with_arrivals)
-- and of the accounts excluded since, whose rows are now flagged
source as (

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

-- a retry the collector received twice keeps its event id: its first receipt counts
receipts as (

    select
        *,
        row_number() over (partition by event_id order by received_at) as receipt_number,
        -- a device clock that is off moves event_at and sent_at alike, so the whole
        -- seconds between sent_at and received_at are its offset (latency is under 0.5 s)
        cast(
            round({{ dbt.datediff('received_at', 'sent_at', 'millisecond') }} / 1000.0)  -- noqa: LT05
            * 1000 as bigint
        ) as clock_offset_ms
    from source

),

-- a retry resent under a new id carries the same content: the first one received counts
sends as (

    select
        *,
        {{ dbt.dateadd('millisecond', '-clock_offset_ms', 'event_at') }} as corrected_event_at,
        row_number() over (
            partition by
                receipt_number, user_id, session_id, event_name, event_at, duration_ms,
                event_value
            order by received_at, event_id
        ) as send_number
    from receipts

),

deliveries as (

    select
        ----------  ids
        {{ dbt.concat([
            dbt.cast('sends.event_id', dbt.type_string()), "'/'",
            dbt.cast('sends.receipt_number', dbt.type_string())
        ]) }} as delivery_id,
        cast(sends.event_id as {{ dbt.type_string() }}) as event_id,
        cast(sends.user_id as {{ dbt.type_string() }}) as user_id,
        cast(sends.session_id as {{ dbt.type_string() }}) as tracker_session_id,

        ---------- strings
        sends.event_name as logged_event_name,
        -- the tracking plan's renames: an event logged under its new name keeps its old one
        coalesce(renames.event_name, sends.event_name) as event_name,
        sends.feature,
        sends.value_unit,

        ---------- numerics
        sends.duration_ms as logged_duration_ms,
        -- a negative duration is one client's sign error: its size is right
        abs(sends.duration_ms) as duration_ms,
        sends.event_value,
        sends.clock_offset_ms,

        ---------- booleans
        sends.receipt_number > 1 as is_repeated_receipt,
        sends.receipt_number = 1 and sends.send_number > 1 as is_resent_copy,
        {{ dbt.datediff('sends.corrected_event_at', 'sends.received_at', 'millisecond') }}
        > {{ var('late_arrival_hours') }} * 3600000 as is_late_arrival,
        sends.clock_offset_ms <> 0 as is_clock_corrected,
        renames.event_name is not null as is_renamed,
        sends.duration_ms < 0 as is_negative_duration,
        coalesce(sends.received_at < users.loaded_at, true) as is_received_before_user,
        excluded_accounts.user_id is not null as is_excluded_account,

        ---------- timestamps
        sends.event_at as logged_event_at,
        sends.corrected_event_at as event_at,
        sends.received_at

    from sends
    left join renames on sends.event_name = renames.renamed_to
    left join users on sends.user_id = users.user_id
    left join excluded_accounts
        on cast(sends.user_id as {{ dbt.type_string() }}) = excluded_accounts.user_id

)

select * from deliveries
