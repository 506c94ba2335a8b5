-- Daily new users and active users (DAU, WAU, MAU) over the whole timeframe.
select
    kpi_date,
    new_users,
    dau,
    wau,
    mau,
    dau_mau,
    sessions
from marts.fct_kpi_daily
order by kpi_date
