{#- How far a count may lie from its expectation at z standard deviations: z sd, plus the
    Cornish-Fisher allowance for its skew. A sum of independent Bernoulli or Poisson draws
    has skewness at most 1 / sd in size, which moves its z-quantile by at most
    (z^2 - 1) / 6 counts either way (2.5 at z = 4): negligible for large counts, and what
    keeps a count of a few from failing a normal band by its skew alone. -#}
{% macro count_tolerance(sd, z) -%}
    ({{ z }} * {{ sd }} + ({{ z }} * {{ z }} - 1) / 6)
{%- endmacro %}
