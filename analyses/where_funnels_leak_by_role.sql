-- Where do the world's funnels leak, for each role? The funnel() macro counts any ordered
-- list of events within a window: here each funnel of the tracking plan; to ask about a
-- new one, write funnel('my_flow', ['event_a', 'event_b', 'event_c'], window_days=1).
{%- set funnels = world_funnels() %}
-- depends_on: {{ ref('fct_events') }}
with

reached as (

    {% for name, spec in funnels.items() %}
        select *
        from ({{ funnel(name, spec['steps'], spec['window_days']) }}) as funnel_{{ loop.index }}
        {% if not loop.last %}union all{% endif %}
    {% else %}
        {{ no_funnel_rows() }}
    {% endfor %}

),

users as (

    select * from {{ ref('dim_users') }}

)

select
    reached.funnel_name,
    users.role,
    reached.step_number,
    reached.event_name,
    count(*) as users_reaching,
    round(
        100.0 * count(*) / max(count(*)) over (
            partition by reached.funnel_name, users.role
        ),
        1
    ) as percent_of_entering,
    {{ proving_ground.quantile('reached.seconds_from_start', 0.5) }} as median_seconds
from reached
inner join users on reached.user_id = users.user_id
group by reached.funnel_name, users.role, reached.step_number, reached.event_name
order by reached.funnel_name, users.role, reached.step_number
