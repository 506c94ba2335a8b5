"""One row per headline metric x forecast kind x future period: the forecast and its 95%
interval. DAU and new users are forecast by day, MRR and paying customers by month, each
from the last period the warehouse has (kind forecast) and from one horizon earlier
(kind backtest, which fct_forecast_accuracy sets beside what came).

Python, because the model is statsmodels' (generator.analysis.forecast)."""

import pandas as pd

from generator.analysis.forecast import headline_forecasts


def model(dbt, session):
    dbt.config(materialized="table")
    horizon = int(dbt.config.get("horizon_days"))
    daily = dbt.ref("fct_kpi_daily").df()
    daily = daily.set_index(pd.to_datetime(daily["kpi_date"]))[["dau", "new_users"]]
    mrr = dbt.ref("fct_mrr").df()
    mrr["month_start"] = pd.to_datetime(mrr["mrr_month"]).dt.to_period("M").dt.start_time
    monthly = mrr.groupby("month_start").agg(
        mrr=("mrr", lambda x: float(x.astype(float).sum())),
        paying_customers=("user_id", "nunique"),
    )
    return headline_forecasts(daily.astype(float), monthly.astype(float), horizon)
