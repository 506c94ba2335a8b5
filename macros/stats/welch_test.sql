{#- The sample variance (n - 1) of n values from their sum and sum of squares; 0 for one
    value. Arguments are column names. -#}
{% macro sample_variance(total, squares, n) -%}
    case when {{ n }} > 1 then ({{ squares }} - {{ total }} * {{ total }} / {{ n }}) / ({{ n }} - 1) else 0 end
{%- endmacro %}

{#- The sample covariance (n - 1) of n pairs from their sums and sum of products; 0 for
    one pair. Arguments are column names. -#}
{% macro sample_covariance(x_total, y_total, products, n) -%}
    case when {{ n }} > 1 then ({{ products }} - {{ x_total }} * {{ y_total }} / {{ n }}) / ({{ n }} - 1) else 0 end
{%- endmacro %}

{#- The columns point, se, dof and is_defined of GrowthBook's two-sided Welch t-test of
    arm b against arm a, each arm's columns named <arm>_n, _mean, _unadjusted (the mean
    before CUPED) and _variance; relative: the lift over a's unadjusted mean, its variance
    by the delta method. Undefined (as GrowthBook's) when a's mean is 0 or either arm does
    not vary. -#}
{% macro welch_test(a, b, relative) -%}
    {%- if relative -%}
        ({{ b }}_mean - {{ a }}_mean) / nullif({{ a }}_unadjusted, 0) as point,
        sqrt(greatest(0,
            {{ b }}_variance / nullif({{ a }}_unadjusted * {{ a }}_unadjusted * {{ b }}_n, 0)
            + {{ a }}_variance * {{ b }}_unadjusted * {{ b }}_unadjusted
            / nullif(power({{ a }}_unadjusted, 4) * {{ a }}_n, 0)
        )) as se,
    {%- else -%}
        {{ b }}_mean - {{ a }}_mean as point,
        sqrt(greatest(0, {{ b }}_variance / {{ b }}_n + {{ a }}_variance / {{ a }}_n)) as se,
    {%- endif %}
        power({{ b }}_variance / {{ b }}_n + {{ a }}_variance / {{ a }}_n, 2) / nullif(
            power({{ b }}_variance, 2) / nullif(power({{ b }}_n, 2) * ({{ b }}_n - 1), 0)
            + power({{ a }}_variance, 2) / nullif(power({{ a }}_n, 2) * ({{ a }}_n - 1), 0),
            0
        ) as dof,
        {{ a }}_mean != 0 and {{ a }}_unadjusted != 0
        and {{ a }}_variance > 0 and {{ b }}_variance > 0 as is_defined
{%- endmacro %}
