-- One row per split x tenth of the users ordered by predicted churn probability: the mean
-- prediction beside the share that churned (a calibrated model has them equal).
with

scores as (

    select * from {{ ref('fct_churn_scores') }}

),

binned as (

    select
        split,
        churned,
        churn_probability,
        ntile(10) over (partition by split order by churn_probability, user_id) as risk_decile
    from scores

),

final as (

    select
        split || '-' || cast(risk_decile as {{ dbt.type_string() }}) as calibration_bin_id,
        split,
        risk_decile,
        count(*) as users,
        avg(churn_probability) as mean_predicted,
        avg(case when churned then 1.0 else 0.0 end) as churned_share
    from binned
    group by split, risk_decile

)

select * from final
