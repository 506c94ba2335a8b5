-- The churn model on the users it trained on and on the later signups held out from it.
select
    split,
    users,
    churned_share,
    mean_predicted,
    auc,
    brier_score,
    calibration_error
from marts.fct_churn_evaluation
order by split desc
