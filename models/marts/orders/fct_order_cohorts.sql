{#- Revenue by signup cohort: period n of a user is days [30n, 30(n+1)) after their signup
    date, as in fct_cohort_retention's month periods, and a cell is reported once it has
    fully elapsed by the as-of date (matured). Cumulative columns add up periods 0..n. -#}
with

as_of as (

    select {{ as_of_date() }} as as_of

),

users as (

    select * from {{ ref('dim_users') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

series as (

    {{ integer_series(0, var('max_series_days') // 30) }}

),

currencies as (

    select distinct currency from orders

),

cohorts as (

    select
        users.cohort_month,
        currencies.currency,
        count(*) as cohort_users,
        min(floor(
            (
                {{ dbt.datediff('users.signup_date', 'as_of.as_of', 'day') }}
                + 1
            )
            / 30
        ) - 1) as matured_through
    from users
    cross join currencies
    cross join as_of
    group by users.cohort_month, currencies.currency

),

periods as (

    select
        cohorts.cohort_month,
        cohorts.currency,
        cohorts.cohort_users,
        series.n as period_number
    from cohorts
    inner join series on series.n <= cohorts.matured_through

),

order_periods as (

    select
        cohort_month,
        currency,
        cast(floor(account_age_days / 30) as {{ dbt.type_int() }}) as period_number,
        user_id,
        customer_order_number,
        amount
    from orders

),

per_period as (

    select
        cohort_month,
        currency,
        period_number,
        count(distinct user_id) as ordering_customers,
        count(*) as orders,
        sum(amount) as revenue,
        count(distinct case when customer_order_number = 1 then user_id end) as new_customers,
        count(distinct case when customer_order_number = 2 then user_id end)
            as new_repeat_customers
    from order_periods
    group by cohort_month, currency, period_number

),

joined as (

    select
        periods.cohort_month,
        periods.currency,
        periods.period_number,
        periods.cohort_users,
        coalesce(per_period.ordering_customers, 0) as ordering_customers,
        coalesce(per_period.orders, 0) as orders,
        coalesce(per_period.revenue, 0) as revenue,
        coalesce(per_period.new_customers, 0) as new_customers,
        coalesce(per_period.new_repeat_customers, 0) as new_repeat_customers
    from periods
    left join per_period
        on periods.cohort_month = per_period.cohort_month
        and periods.currency = per_period.currency
        and periods.period_number = per_period.period_number

),

final as (

    select
        {{ dbt.concat([
            'cast(cohort_month as ' ~ dbt.type_string() ~ ')', "'-'", 'currency', "'-'",
            'cast(period_number as ' ~ dbt.type_string() ~ ')'
        ]) }} as cohort_period_id,
        cohort_month,
        currency,
        period_number,
        cohort_users,
        ordering_customers,
        orders,
        revenue,
        case when orders > 0 then revenue / orders end as average_order_value,
        sum(revenue) over (
            partition by cohort_month, currency order by period_number
            rows between unbounded preceding and current row
        ) / cohort_users as cumulative_revenue_per_user,
        sum(new_customers) over (
            partition by cohort_month, currency order by period_number
            rows between unbounded preceding and current row
        ) as cumulative_customers,
        sum(new_repeat_customers) over (
            partition by cohort_month, currency order by period_number
            rows between unbounded preceding and current row
        ) as cumulative_repeat_customers
    from joined

)

select * from final
