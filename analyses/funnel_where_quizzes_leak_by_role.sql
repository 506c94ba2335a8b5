-- Where does the quiz flow leak, for students and for teachers?
-- A new funnel in a few lines: name it, list its events in order, give a window.
with

reached as (

    {{ funnel(
        'quiz_to_rating',
        ['quiz_generated', 'quiz_completed', 'answer_rated'],
        window_days=1,
    ) }}

),

users as (

    select * from {{ ref('dim_users') }}

)

select
    users.role,
    reached.step_number,
    reached.event_name,
    count(*) as users_reaching,
    round(100.0 * count(*) / max(count(*)) over (partition by users.role), 1)
        as percent_of_entering,
    {{ proving_ground.quantile('reached.seconds_from_start', 0.5) }} as median_seconds
from reached
inner join users on reached.user_id = users.user_id
group by users.role, reached.step_number, reached.event_name
order by users.role, reached.step_number
