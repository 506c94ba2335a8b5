{#- RFM as marketers score it: recency (days from the last order to the as-of date),
    frequency (orders) and monetary value (revenue), each scored 1-5 by the customer's
    rank among the customers buying in the same currency: score = 1 + floor(5 x (rank - 1)
    / customers), ranking ties together at their lowest rank (so every customer with one
    order shares a frequency score) and the best last (most recent, most orders, most
    revenue scores 5). The segments follow the usual RFM grid, documented in the mart. -#}
with

as_of as (

    select {{ as_of_date() }} as as_of

),

orders as (

    select * from {{ ref('fct_orders') }}

),

customers as (

    select
        user_id,
        currency,
        min(ordered_at) as first_ordered_at,
        max(ordered_at) as last_ordered_at,
        max(order_date) as last_order_date,
        count(*) as orders,
        sum(amount) as revenue
    from orders
    group by user_id, currency

),

measured as (

    select
        customers.*,
        customers.revenue / customers.orders as average_order_value,
        {{ dbt.datediff(
            'customers.last_order_date', 'as_of.as_of', 'day'
        ) }} as recency_days
    from customers
    cross join as_of

),

ranked as (

    select
        *,
        rank() over (partition by currency order by recency_days desc) as recency_rank,
        rank() over (partition by currency order by orders) as frequency_rank,
        rank() over (partition by currency order by revenue) as monetary_rank,
        count(*) over (partition by currency) as currency_customers
    from measured

),

scored as (

    select
        *,
        cast(
            1 + floor(5.0 * (recency_rank - 1) / currency_customers) as {{ dbt.type_int() }}
        ) as recency_score,
        cast(
            1 + floor(5.0 * (frequency_rank - 1) / currency_customers) as {{ dbt.type_int() }}
        ) as frequency_score,
        cast(
            1 + floor(5.0 * (monetary_rank - 1) / currency_customers) as {{ dbt.type_int() }}
        ) as monetary_score
    from ranked

),

final as (

    select
        user_id || '-' || currency as customer_currency_id,
        user_id,
        currency,
        first_ordered_at,
        last_ordered_at,
        orders,
        revenue,
        average_order_value,
        orders > 1 as is_repeat_customer,
        recency_days,
        recency_score,
        frequency_score,
        monetary_score,
        cast(recency_score as {{ dbt.type_string() }})
        || cast(frequency_score as {{ dbt.type_string() }})
        || cast(monetary_score as {{ dbt.type_string() }}) as rfm_cell,
        case
            when recency_score >= 4 and frequency_score >= 4 then 'champions'
            when recency_score >= 3 and frequency_score >= 3 then 'loyal'
            when recency_score >= 4 and orders = 1 then 'new'
            when recency_score <= 2 and frequency_score >= 3 then 'at_risk'
            when recency_score <= 2 then 'hibernating'
            else 'needs_attention'
        end as rfm_segment
    from scored

)

select * from final
