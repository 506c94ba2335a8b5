-- The MRR bridge: each month's starting MRR, the movements, and the ending MRR.
select
    mrr_month,
    starting_mrr,
    new_mrr,
    expansion_mrr,
    reactivation_mrr,
    contraction_mrr,
    churned_mrr,
    ending_mrr,
    net_new_mrr,
    quick_ratio
from marts.fct_mrr_movements
order by mrr_month
