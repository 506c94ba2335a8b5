-- Every funnel's steps, for all users and by role: users reaching each step and the share
-- of those entering step 1.
select
    funnel_name,
    step_number,
    event_name,
    breakdown_value as role,
    users_entering,
    users_reaching,
    conversion_from_start,
    conversion_from_previous
from marts.fct_funnel_conversion
where breakdown in ('(all)', 'role')
order by funnel_name, role, step_number
