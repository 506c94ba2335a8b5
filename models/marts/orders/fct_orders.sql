{#- An order is an event whose tracking-plan entry carries money (value_kind 'money' in
    stg_app__event_catalog): the world names its own order events. Account age is in
    whole days between the signup date and the order date (UTC). -#}
with

events as (

    select * from {{ ref('fct_events') }}

),

order_events as (

    select event_name from {{ ref('stg_app__event_catalog') }}
    where value_kind = 'money'

),

users as (

    select * from {{ ref('dim_users') }}

),

orders as (

    select
        events.event_id as order_id,
        events.user_id,
        events.session_id,
        events.event_name,
        events.value_unit as currency,
        events.event_value as amount,
        users.signup_date,
        users.cohort_month,
        {{ dbt.datediff('users.signup_date', 'events.event_date', 'day') }}
            as account_age_days,
        events.event_date as order_date,
        events.event_at as ordered_at,
        row_number() over (
            partition by events.user_id, events.value_unit
            order by events.event_at, events.event_id
        ) as customer_order_number,
        lag(events.event_at) over (
            partition by events.user_id, events.value_unit
            order by events.event_at, events.event_id
        ) as previous_ordered_at
    from events
    inner join order_events on events.event_name = order_events.event_name
    inner join users on events.user_id = users.user_id

),

final as (

    select
        order_id,
        user_id,
        session_id,
        event_name,
        currency,
        amount,
        signup_date,
        cohort_month,
        account_age_days,
        customer_order_number,
        customer_order_number > 1 as is_repeat_order,
        {{ dbt.datediff('previous_ordered_at', 'ordered_at', 'day') }}
            as days_since_previous_order,
        order_date,
        ordered_at
    from orders

)

select * from final
