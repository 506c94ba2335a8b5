-- The churn model's drivers: each feature's SHAP importance over the held-out users (mean
-- absolute contribution to the log-odds of churning), with where it raises the risk.
select
    feature,
    feature_kind,
    importance,
    importance_rank,
    riskier_when
from marts.fct_churn_drivers
order by importance_rank
