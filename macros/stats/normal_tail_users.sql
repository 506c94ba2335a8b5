{#- The skewness of a metric from its sufficient statistics (users n, sum, sum of squares,
    sum of cubes): the third central moment over the variance to the power 1.5. Null for
    a metric that does not vary. -#}
{% macro sample_skewness(n, total, squares, cubes) -%}
    {%- set mean = '(' ~ total ~ ' / ' ~ n ~ ')' -%}
    {%- set m2 = '(' ~ squares ~ ' / ' ~ n ~ ' - ' ~ mean ~ ' * ' ~ mean ~ ')' -%}
    case
        when {{ m2 }} > 1e-12 * (1 + {{ mean }} * {{ mean }})
            then (
                {{ cubes }} / {{ n }} - 3 * {{ mean }} * {{ squares }} / {{ n }}
                + 2 * {{ mean }} * {{ mean }} * {{ mean }}
            ) / power({{ m2 }}, 1.5)
    end
{%- endmacro %}

{#- The fewest users whose mean a normal test at bound z can judge, given the metric's
    skewness g. The first Edgeworth term moves the tail beyond z of a mean of n values by
    g / (6 sqrt(n)) x (z^2 - 1) x phi(z); with phi(z) close to z x P(Z > z), that move is
    at most the tail itself (the test's false-alarm rate at most doubles) when
    n >= (g z (z^2 - 1) / 6)^2. At least 150 users, so that the skewness itself is
    estimated from a sample of some size (its standard error is sqrt(6 / n), about 0.2,
    for normal data; more for heavy tails, which is why the floor is no lower). Null, not
    judged, for a metric that does not vary. -#}
{% macro normal_tail_users(skewness, z) -%}
    case
        when {{ skewness }} is not null
            then greatest(
                150,
                ceil(power({{ skewness }} * {{ z }} * ({{ z }} * {{ z }} - 1) / 6, 2))
            )
    end
{%- endmacro %}

{#- Each experiment arm x metric with its users and the skewness of its metric (a ratio's
    numerator), from fct_experiment_statistics: what normal_tail_users() judges by. -#}
{% macro experiment_arm_skewness() -%}
    select
        experiment_key,
        variant,
        metric,
        users,
        {{ sample_skewness('users', 'metric_sum', 'metric_sum_squares', 'metric_sum_cubes') }}
            as skewness
    from {{ ref('fct_experiment_statistics') }}
{%- endmacro %}
