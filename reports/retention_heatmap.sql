-- Monthly retention by signup cohort: the share of each cohort active in month n after
-- signup, over the users for whom month n has fully elapsed.
select
    cohort_month,
    period_number,
    cohort_size,
    eligible_users,
    retention_rate_on
from marts.fct_cohort_retention
where period_type = 'month'
order by cohort_month, period_number
