{#- Each category's share of rows is within n standard errors of the expected share
    (binomial: sqrt(p(1 - p) / rows)); a category expected at 0 must not appear.
    Returns one row per category that misses. -#}
{% test category_shares(model, column_name, shares, n_standard_errors=4) %}

with

observed as (

    select cast({{ column_name }} as {{ dbt.type_string() }}) as category, count(*) as row_count
    from {{ model }}
    group by 1

),

expected as (

    {% for category, share in shares.items() %}
    select '{{ category }}' as category, cast({{ share }} as {{ dbt.type_float() }}) as share
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

total as (

    select sum(row_count) as total_rows from observed

),

compared as (

    select
        coalesce(observed.category, expected.category) as category,
        coalesce(observed.row_count, 0) as row_count,
        total.total_rows,
        coalesce(expected.share, 0) as expected_share,
        cast(coalesce(observed.row_count, 0) as {{ dbt.type_float() }}) / total.total_rows
            as observed_share
    from observed
    full outer join expected on observed.category = expected.category
    cross join total

),

validation_errors as (

    select *
    from compared
    where abs(observed_share - expected_share)
        > {{ n_standard_errors }} * sqrt(expected_share * (1 - expected_share) / total_rows)
        or (expected_share = 0 and row_count > 0)

)

select * from validation_errors

{% endtest %}
