{#- The paying customers' months, as int_invoices_covering_months derives them from the
    paid invoices. -#}
select * from {{ ref('int_invoices_covering_months') }}
