-- Paths after the event that opens most sessions (the anchor most users fire with
-- nothing before it): each edge of the Sankey chart, step by step, with the users who
-- walk it (fct_paths).
with opener as (
    select anchor_event
    from marts.fct_paths
    where path_direction = 'before' and step = 1 and to_event = '(start)'
    order by users desc, anchor_event asc
    limit 1
)

select
    paths.step,
    paths.from_event,
    paths.to_event,
    paths.users,
    paths.anchor_users
from marts.fct_paths as paths
inner join opener on paths.anchor_event = opener.anchor_event
where paths.path_direction = 'after'
order by paths.step asc, paths.users desc
