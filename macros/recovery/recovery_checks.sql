{% macro recovery_checks(comparisons, p_value='null', covered='null') -%}
{#- What a recovery test returns with the var recovery_checks true, instead of its
    failures: every comparison it made, in one shape, which make calibrate reads across
    seeds (generator/calibration.py). `comparisons` is the CTE holding them, with columns
    quantity (what is compared), cell (where), measured, expected and standard_error (0
    for a count that must match exactly); p_value and covered name columns or expressions
    for the mart's p-value of a comparison with nothing planted and whether the mart's 95%
    interval holds the expected value (null where the mart reports none). -#}
select
    '{{ model.name }}' as test_name,
    cast(quantity as {{ dbt.type_string() }}) as quantity,
    cast(cell as {{ dbt.type_string() }}) as cell,
    cast(measured as {{ dbt.type_float() }}) as measured,
    cast(expected as {{ dbt.type_float() }}) as expected,
    cast(standard_error as {{ dbt.type_float() }}) as standard_error,
    cast({{ p_value }} as {{ dbt.type_float() }}) as p_value,
    cast({{ covered }} as {{ dbt.type_boolean() }}) as covered
from {{ comparisons }}
{%- endmacro %}
