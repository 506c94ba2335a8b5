-- The headline numbers on the as-of date: users, active users, revenue, churn, retention.
with

kpi as (

    select * from marts.fct_kpi_daily

),

users as (

    select * from marts.dim_users

),

churn as (

    select * from marts.fct_churn
    where breakdown = '(all)'

),

latest_day as (

    select * from kpi
    order by kpi_date desc
    limit 1

),

latest_month as (

    select * from churn
    order by mrr_month desc
    limit 1

),

user_totals as (

    select
        count(*) as users,
        avg(case when is_retained_day_7 then 1.0 else 0.0 end)
        filter (where is_retained_day_7 is not null) as day_7_retention
    from users

)

select
    latest_day.kpi_date as as_of_date,
    user_totals.users,
    latest_day.dau,
    latest_day.wau,
    latest_day.mau,
    latest_day.dau_mau,
    user_totals.day_7_retention,
    latest_month.mrr_month,
    latest_month.ending_mrr as mrr,
    latest_month.customers_at_end as paying_customers,
    latest_month.logo_churn_rate
from latest_day
cross join user_totals
left join latest_month on true  -- a world without subscriptions has no revenue month
