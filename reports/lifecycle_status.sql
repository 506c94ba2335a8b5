-- Growth accounting by week: new, returning and resurrecting users, and the users who went
-- dormant (negative).
select
    lifecycle_week,
    status,
    users,
    signed_users
from marts.fct_user_lifecycle
where is_complete  -- the unfinished as-of week's counts are not final
order by lifecycle_week, status
