{#- Every conversion is credited exactly once in full under every attribution model: its
    credits sum to 1 (to rounding) for each of the five models, and no model misses it. -#}
with

attribution as (

    select * from {{ ref('fct_attribution') }}

),

sums as (

    select
        conversion_id,
        attribution_model,
        sum(credit) as total_credit
    from attribution
    group by conversion_id, attribution_model

),

per_conversion as (

    select
        conversion_id,
        count(*) as models
    from sums
    group by conversion_id

)

select
    conversion_id,
    attribution_model,
    total_credit,
    null as models
from sums
where abs(total_credit - 1) > 1e-9
union all
select
    conversion_id,
    null as attribution_model,
    null as total_credit,
    models
from per_conversion
where models != 5
