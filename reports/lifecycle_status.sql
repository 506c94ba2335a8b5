-- Growth accounting by week: new, returning and resurrecting users, and the users who went
-- dormant (negative).
select
    lifecycle_week,
    status,
    users,
    signed_users
from marts.fct_user_lifecycle
order by lifecycle_week, status
