"""One row per feature of the churn model: its SHAP importance over the held-out users
(mean absolute contribution to the log-odds of churning), its rank and where it raises
the risk. The same model as fct_churn_scores, trained again from the same seed.

Python, because SHAP explains the model in Python (generator.analysis.churn)."""

from generator.analysis.churn import fit_churn


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("fct_churn_features").df()
    holdout = float(dbt.config.get("holdout_share"))
    return fit_churn(features, holdout).drivers
