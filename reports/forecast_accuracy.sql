-- Each headline metric's backtest: the forecast made one horizon before the last period,
-- beside what came.
select
    metric,
    grain,
    origin,
    periods,
    interval_coverage,
    mean_absolute_percentage_error
from marts.fct_forecast_accuracy
order by metric
