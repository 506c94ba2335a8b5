"""One row per user of fct_churn_features: whether they trained or test the churn model
(the latest signups are held out), whether they churned, and the model's probability.

Python, because the model is scikit-learn's gradient boosting (generator.analysis.churn)."""

from generator.analysis.churn import fit_churn


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("fct_churn_features").df()
    holdout = float(dbt.config.get("holdout_share"))
    return fit_churn(features, holdout, explain=False).scores
