{#- Retrospective anomaly detection on the daily KPIs: a day is an anomaly when it stands
    out both from the weeks before it and from the weeks after it, so the weekly pattern,
    the trend and a change of level (a new month's seasonality) do not read as anomalies.
    Each side's baseline is the median of the same weekday in the var('kpi_anomaly_weeks')
    weeks on that side. Noise grows like a count's: spread = phi x sqrt(baseline), with
    phi per metric = 1.4826 x the median over all days of |value - before| / sqrt(before)
    (a standard deviation for normal noise, robust to the anomalies themselves; at least
    0.1). The metrics are var('kpi_anomaly_metrics'), columns of fct_kpi_daily. The score
    is the side's z-score closer to zero when both sides agree in sign, 0 when the value
    lies between them; |score| >= var('kpi_anomaly_threshold') flags the day. Days without
    both full sides (the first and last weeks) get no score. -#}
{%- set metrics = var('kpi_anomaly_metrics') -%}
{%- set weeks = var('kpi_anomaly_weeks') -%}
with

kpi as (

    select * from {{ ref('fct_kpi_daily') }}

),

long as (

    {% for metric in metrics %}
        select
            kpi_date,
            '{{ metric }}' as metric,
            cast({{ metric }} as {{ dbt.type_float() }}) as metric_value
        from kpi
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

offsets as (

    {% for k in range(1, weeks + 1) %}
        select
            'before' as side,
            {{ -7 * k }} as day_offset
        union all
        select
            'after' as side,
            {{ 7 * k }} as day_offset
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

sides as (

    select
        day.kpi_date,
        day.metric,
        offsets.side,
        count(*) as neighbour_days,
        {{ proving_ground.quantile('other.metric_value', 0.5) }} as baseline
    from long as day
    cross join offsets
    inner join long as other
        on day.metric = other.metric
        and other.kpi_date = {{ dbt.dateadd('day', 'offsets.day_offset', 'day.kpi_date') }}
    group by day.kpi_date, day.metric, offsets.side

),

with_sides as (

    select
        long.kpi_date,
        long.metric,
        long.metric_value,
        before_side.baseline as baseline_before,
        after_side.baseline as baseline_after,
        coalesce(before_side.neighbour_days, 0) = {{ weeks }}
        and coalesce(after_side.neighbour_days, 0) = {{ weeks }} as is_scored
    from long
    left join sides as before_side
        on long.kpi_date = before_side.kpi_date
        and long.metric = before_side.metric
        and before_side.side = 'before'
    left join sides as after_side
        on long.kpi_date = after_side.kpi_date
        and long.metric = after_side.metric
        and after_side.side = 'after'

),

noise as (

    select
        metric,
        greatest(
            {{ proving_ground.quantile(
                'abs(metric_value - baseline_before) / sqrt(greatest(baseline_before, 1))', 0.5
            ) }} * 1.4826,
            0.1
        ) as phi
    from with_sides
    where baseline_before is not null
    group by metric

),

z_scores as (

    select
        with_sides.*,
        noise.phi,
        (with_sides.metric_value - with_sides.baseline_before)
        / (noise.phi * sqrt(greatest(with_sides.baseline_before, 1))) as z_before,
        (with_sides.metric_value - with_sides.baseline_after)
        / (noise.phi * sqrt(greatest(with_sides.baseline_after, 1))) as z_after
    from with_sides
    inner join noise on with_sides.metric = noise.metric

),

closer as (

    select
        *,
        case when abs(z_before) <= abs(z_after) then 'before' else 'after' end as closer_side
    from z_scores

),

final as (

    select
        metric || '-' || cast(kpi_date as {{ dbt.type_string() }}) as kpi_anomaly_id,
        kpi_date,
        metric,
        metric_value,
        case
            when not is_scored then null
            when closer_side = 'before' then baseline_before
            else baseline_after
        end as baseline,
        case
            when not is_scored then null
            when closer_side = 'before' then phi * sqrt(greatest(baseline_before, 1))
            else phi * sqrt(greatest(baseline_after, 1))
        end as spread,
        case
            when not is_scored then null
            when sign(z_before) = sign(z_after) and closer_side = 'before' then z_before
            when sign(z_before) = sign(z_after) then z_after
            else 0
        end as score
    from closer

)

select
    *,
    coalesce(abs(score) >= {{ var('kpi_anomaly_threshold') }}, false) as is_anomaly
from final
