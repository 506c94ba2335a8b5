-- Calibration of the churn model on the held-out users: each tenth of them by predicted
-- risk, the mean prediction beside the share that churned.
select
    risk_decile,
    users,
    mean_predicted,
    churned_share
from marts.fct_churn_calibration
where split = 'test'
order by risk_decile
