-- Lifecycle stages by week: the users in each stage (onboarding, activated, engaged,
-- dormant, exited) at each week's start.
select
    week_start,
    lifecycle_stage,
    users,
    share_of_users
from marts.fct_lifecycle_stages_weekly
where is_complete  -- the unfinished as-of week's counts are not final
order by week_start, lifecycle_stage
