{#- z such that P(Z > z) = p for a standard normal Z, 0 < p <= 0.5 (Abramowitz and Stegun
    26.2.23, |error| < 4.5e-4): the bound a family of m two-sided checks uses for a
    family-wise false-alarm rate alpha is normal_quantile_upper(alpha / (2 * m)). -#}
{% macro normal_quantile_upper(p) -%}
    (
        sqrt(-2 * ln({{ p }}))
        - (2.515517 + 0.802853 * sqrt(-2 * ln({{ p }})) + 0.010328 * (-2 * ln({{ p }})))
        / (
            1 + 1.432788 * sqrt(-2 * ln({{ p }})) + 0.189269 * (-2 * ln({{ p }}))
            + 0.001308 * power(sqrt(-2 * ln({{ p }})), 3)
        )
    )
{%- endmacro %}
