with

deliveries as (

    select * from {{ ref('stg_app__event_deliveries') }}

),

-- one row per event that happened to a customer: repeated receipts, resent copies and
-- excluded accounts' events left out, clocks, renames and durations repaired
kept as (

    select
        ----------  ids
        event_id,
        user_id,
        tracker_session_id,

        ---------- strings
        event_name,
        feature,
        value_unit,

        ---------- numerics
        duration_ms,
        event_value,
        clock_offset_ms,

        ---------- dates
        cast(event_at as date) as event_date,

        ---------- timestamps
        event_at,
        received_at

    from deliveries
    where not is_repeated_receipt and not is_resent_copy and not is_excluded_account

)

select * from kept
