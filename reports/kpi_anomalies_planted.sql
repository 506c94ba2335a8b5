-- The anomalies the simulator planted (the answer key): signup and activity multipliers.
select
    anomaly_name,
    anomaly_date,
    signup_multiplier,
    activity_multiplier
from truth.anomalies
order by anomaly_date
