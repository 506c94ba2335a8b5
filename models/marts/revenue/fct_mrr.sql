{#- The paying customers' months, as int_invoices_covering_months derives them from the
    paid invoices. -#}
select
    mrr_id,
    user_id,
    mrr_month,
    snapshot_date,
    invoice_id,
    plan,
    billing_interval,
    currency,
    mrr
from {{ ref('int_invoices_covering_months') }}
