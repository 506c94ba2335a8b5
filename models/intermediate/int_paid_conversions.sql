{#- Conversions to a paid plan: every event the tracking plan marks as one (a completed
    checkout; the var paid_conversion_event overrides it), with the
    revenue of the paid invoices issued at that moment. -#}
with

events as (

    select * from {{ ref('stg_app__events') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

conversions as (

    select
        event_id as conversion_id,
        user_id,
        event_at as converted_at,
        event_date as conversion_date
    from events
    where event_name in {{ tracked_events('is_paid_conversion', var('paid_conversion_event')) }}

),

conversion_revenue as (

    select
        conversions.conversion_id,
        sum(invoices.amount) as revenue
    from conversions
    inner join invoices
        on conversions.user_id = invoices.user_id
        and conversions.converted_at = invoices.issued_at
        and invoices.is_paid
    group by conversions.conversion_id

),

final as (

    select
        conversions.*,
        coalesce(conversion_revenue.revenue, 0) as revenue
    from conversions
    left join conversion_revenue
        on conversions.conversion_id = conversion_revenue.conversion_id

)

select * from final
