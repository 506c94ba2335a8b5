-- Which signup cohorts retain best? Month-3 retention ("on or after") per monthly cohort,
-- ranked, with the cohort's size; only cohorts whose third month has fully elapsed.
with

retention as (

    select * from {{ ref('fct_cohort_retention') }}

)

select
    cohort_month,
    cohort_size,
    eligible_users,
    round(100.0 * retention_rate_on_or_after, 1) as month_3_retention_percent,
    rank() over (order by retention_rate_on_or_after desc) as retention_rank
from retention
where period_type = 'month'
    and period_number = 3
    and eligible_users > 0
order by retention_rank
