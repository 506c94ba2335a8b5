-- The days fct_kpi_anomalies flags: a value far from the same weekday in the weeks around it.
select
    kpi_date,
    metric,
    metric_value,
    baseline,
    score
from marts.fct_kpi_anomalies
where is_anomaly
order by kpi_date, metric
