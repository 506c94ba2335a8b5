-- Cumulative adopters of each feature by day, and the share of the day's active users who
-- had adopted it, beside the planted Bass diffusion's expected adopters (launched features).
with

adoption as (

    select * from marts.fct_feature_adoption

),

expected as (

    select * from truth.feature_adoption

)

select
    adoption.feature,
    adoption.adoption_date,
    adoption.new_adopters,
    adoption.cumulative_adopters,
    adoption.share_of_active_users,
    expected.expected_cumulative_adopters,
    sqrt(expected.cumulative_variance) as expected_sd
from adoption
left join expected
    on adoption.feature = expected.feature
    and adoption.adoption_date = expected.adoption_date
order by adoption.feature, adoption.adoption_date
