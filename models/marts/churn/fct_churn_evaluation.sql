{#- One row per split (train, test): the churn model's AUC (Mann-Whitney, ties at their
    mean rank), Brier score and calibration error (mean |predicted - observed| over the
    risk deciles, weighted by users). The test split is the one to read. -#}
with

scores as (

    select * from {{ ref('fct_churn_scores') }}

),

calibration as (

    select * from {{ ref('fct_churn_calibration') }}

),

ranked as (

    select
        split,
        churned,
        churn_probability,
        rank() over (partition by split order by churn_probability)
        + (count(*) over (partition by split, churn_probability) - 1) / 2.0 as mean_rank
    from scores

),

splits as (

    select
        split,
        count(*) as users,
        sum(case when churned then 1 else 0 end) as churned_users,
        sum(case when churned then mean_rank else 0 end) as churned_rank_sum,
        avg(churn_probability) as mean_predicted,
        avg(
            (churn_probability - case when churned then 1.0 else 0.0 end)
            * (churn_probability - case when churned then 1.0 else 0.0 end)
        ) as brier_score
    from ranked
    group by split

),

calibration_errors as (

    select
        split,
        sum(users * abs(mean_predicted - churned_share)) / sum(users) as calibration_error
    from calibration
    group by split

),

final as (

    select
        splits.split,
        splits.users,
        splits.churned_users,
        cast(splits.churned_users as {{ dbt.type_float() }}) / splits.users as churned_share,
        splits.mean_predicted,
        (
            splits.churned_rank_sum - splits.churned_users * (splits.churned_users + 1) / 2.0
        )
        / nullif(
            cast(splits.churned_users as {{ dbt.type_float() }})
            * (splits.users - splits.churned_users),
            0
        ) as auc,
        splits.brier_score,
        calibration_errors.calibration_error
    from splits
    inner join calibration_errors on splits.split = calibration_errors.split

)

select * from final
