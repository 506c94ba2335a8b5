{#- The funnel() macro has a portable implementation and a faster DuckDB one (ASOF
    joins); on every configured funnel they must reach the same steps at the same times. -#}
{%- set funnels = world_funnels() -%}
-- depends_on: {{ ref('fct_events') }}
with

portable as (

    {% for name, spec in funnels.items() %}
        select *
        from (
            {{ proving_ground.default__funnel(
                name, spec['steps'], spec.get('window_days', 14), none
            ) }}
        ) as portable_{{ loop.index }}
        {% if not loop.last %}union all{% endif %}
    {% else %}
        {{ no_funnel_rows() }}
    {% endfor %}

),

dispatched as (

    {% for name, spec in funnels.items() %}
        select *
        from (
            {{ funnel(name, spec['steps'], spec.get('window_days', 14)) }}
        ) as dispatched_{{ loop.index }}
        {% if not loop.last %}union all{% endif %}
    {% else %}
        {{ no_funnel_rows() }}
    {% endfor %}

),

only_portable as (

    select * from portable
    except
    select * from dispatched

),

only_dispatched as (

    select * from dispatched
    except
    select * from portable

)

select
    'portable only' as found_in,
    *  -- noqa: AM04
from only_portable
union all
select
    'dispatched only' as found_in,
    *  -- noqa: AM04
from only_dispatched
