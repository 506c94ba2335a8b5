{#- Student's t and the chi-square distribution in portable SQL (only ln, exp, sqrt, power,
    cos and atan), so that fct_experiment_results runs on any engine. Checked against
    scipy in tests/python/test_experiment_statistics.py (through GrowthBook's engine):
    p-values and quantiles agree to about 1e-13 for 1 to 1e7 degrees of freedom. -#}

{#- 256 points of composite Gauss-Legendre quadrature on (0, 1): 16 panels of 16 nodes.
    The integral of f over [0, h] is sum(h * node_weight * f(h * node_at)). -#}
{% macro gauss_legendre_nodes() -%}
    {#- row n: panel floor(n / 16), node mod(n, 16) of the rule (the first eight mirrored
        below 0); computed, not a union of literal rows, which Spark cannot ship to its
        executors in some plans -#}
    {%- set rule = [
        (0.09501250983763744, 0.18945061045506864), (0.2816035507792589, 0.18260341504492364),
        (0.45801677765722737, 0.16915651939500265), (0.6178762444026438, 0.1495959888165767),
        (0.755404408355003, 0.12462897125553407), (0.8656312023878318, 0.0951585116824926),
        (0.9445750230732326, 0.062253523938647456), (0.9894009349916499, 0.027152459411754176),
    ] -%}
    select
        (panel + (1 + x) / 2) / 16 as node_at,
        w / 32 as node_weight
    from (
        select
            floor(n / 16) as panel,
            case when mod(n, 16) < 8 then -1 else 1 end * case mod(n, 8)
                {%- for x, w in rule %}
                when {{ loop.index0 }} then {{ x }}
                {%- endfor %}
            end as x,
            case mod(n, 8)
                {%- for x, w in rule %}
                when {{ loop.index0 }} then {{ w }}
                {%- endfor %}
            end as w
        from ({{ integer_series(0, 255) }}) as series
    ) as nodes
{%- endmacro %}


{#- ln(1 + y), exact near 0 where ln(1 + y) loses y's digits. -#}
{% macro ln_1p(y) -%}
    case
        when abs({{ y }}) < 0.01 then
            {%- for k in range(1, 10) %}
                {{ '+' if k % 2 else '-' }} power({{ y }}, {{ k }}) / {{ k }}
            {%- endfor %}
        else ln(1 + {{ y }})
    end
{%- endmacro %}


{#- ln(cos(u)) for 0 <= u < pi / 2, by its series near 0 where cos(u) rounds to 1. -#}
{% macro ln_cos(u) -%}
    case
        when {{ u }} < 0.1 then
            - power({{ u }}, 2) / 2 - power({{ u }}, 4) / 12 - power({{ u }}, 6) / 45
            - 17 * power({{ u }}, 8) / 2520 - 31 * power({{ u }}, 10) / 14175
            - 691 * power({{ u }}, 12) / 935550
        else ln(cos({{ u }}))
    end
{%- endmacro %}


{#- The Stirling series of ln Gamma(s) without its (s - 1/2) ln s - s + ln(2 pi) / 2, for
    s >= 8 (error below 1e-15). -#}
{% macro stirling_tail(s) -%}
    (
        1 / (12 * {{ s }}) - 1 / (360 * power({{ s }}, 3)) + 1 / (1260 * power({{ s }}, 5))
        - 1 / (1680 * power({{ s }}, 7)) + 1 / (1188 * power({{ s }}, 9))
    )
{%- endmacro %}


{#- ln Gamma(x) for x > 0: Stirling's series at x + 8, brought down by Gamma(x + 1) = x
    Gamma(x). -#}
{% macro ln_gamma(x) -%}
    (
        ({{ x }} + 7.5) * ln({{ x }} + 8) - ({{ x }} + 8) + {{ 0.5 * 1.8378770664093453 }}
        + {{ stirling_tail('(' ~ x ~ ' + 8)') }}
        {%- for j in range(8) %}
            - ln({{ x }} + {{ j }})
        {%- endfor %}
    )
{%- endmacro %}


{#- ln Gamma(x) - ln Gamma(x + 1/2) for x > 0, without the cancellation of two large
    logarithms when x is large (a t distribution's normalising constant at 1e6 degrees
    of freedom). -#}
{% macro ln_gamma_half_ratio(x) -%}
    {%- set s = '(' ~ x ~ ' + 8)' -%}
    (
        - ({{ s }} - 0.5) * ({{ ln_1p('0.5 / ' ~ s) }})
        - 0.5 * ln({{ s }} + 0.5) + 0.5
        + {{ stirling_tail(s) }} - {{ stirling_tail('(' ~ s ~ ' + 0.5)') }}
        {%- for j in range(8) %}
            + ln({{ x }} + {{ j + 0.5 }}) - ln({{ x }} + {{ j }})
        {%- endfor %}
    )
{%- endmacro %}


{#- The upper tail of Student's t, P(T > t) for t >= 0. With t = sqrt(nu) tan(u),
    P(0 < T < t) is proportional to the integral of cos(u)^(nu - 1) from 0 to
    theta = atan(t / sqrt(nu)), whose whole (to pi / 2) is t_whole(nu) =
    sqrt(pi) / 2 x Gamma(nu / 2) / Gamma((nu + 1) / 2). Up to pi / 4 the tail is the whole
    less the quadrature (cut where the integrand is below e^-72 of its peak, so the nodes
    stay where it lives); beyond, where the integrand is not smooth at pi / 2 for
    nu < 3, the tail is the series of the integral of s^(nu - 1) / sqrt(1 - s^2) over
    s = cos(u) <= cos(theta) <= 1 / sqrt(2) (45 terms, error below 2^-45). Arguments are
    columns: theta, s = cos(theta), nu, whole = t_whole(nu), and the quadrature (the sum
    of t_quadrature_term(theta, nu) over the nodes, `nodes` the alias of a
    gauss_legendre_nodes() row). -#}
{% macro t_whole(nu) -%}
    ({{ (3.141592653589793 ** 0.5) / 2 }} * exp({{ ln_gamma_half_ratio('(' ~ nu ~ ' / 2)') }}))
{%- endmacro %}

{% macro t_quadrature_term(theta, nu) -%}
    {%- set h = 'least(' ~ theta ~ ', 12 / sqrt(greatest(' ~ nu ~ ' - 1, 1e-12)))' -%}
    case
        when {{ theta }} < {{ 3.141592653589793 / 4 }}
            then {{ h }} * nodes.node_weight
            * exp(({{ nu }} - 1) * {{ ln_cos(h ~ ' * nodes.node_at') }})
        else 0
    end
{%- endmacro %}

{% macro t_upper_tail(theta, s, nu, whole, quadrature) -%}
    {%- set ns = namespace(c=1.0, terms=[]) -%}
    {%- for k in range(45) -%}
        {%- do ns.terms.append(
            ns.c ~ ' * power(' ~ s ~ ', ' ~ 2 * k ~ ') / (' ~ nu ~ ' + ' ~ 2 * k ~ ')'
        ) -%}
        {%- set ns.c = ns.c * (2 * k + 1) / (2 * k + 2) -%}
    {%- endfor -%}
    case
        when {{ theta }} < {{ 3.141592653589793 / 4 }}
            then greatest(0, {{ whole }} - {{ quadrature }})
        else power({{ s }}, {{ nu }}) * (
            {{ ns.terms | join('\n            + ') }}
        )
    end / (2 * {{ whole }})
{%- endmacro %}


{#- CTEs `<prefix>_nodes`, `<prefix>_0` .. `<prefix>_result` over `source`, one row per
    `key` (a list of columns) with a `statistic` and its degrees of freedom `dof`: the
    two-sided p-value of the statistic and the quantile of the t distribution at `level`
    (Newton's method from the Cornish-Fisher expansion at the normal quantile,
    `iterations` steps). Ends with a comma, as a CTE among others. -#}
{% macro student_t(source, key, statistic, dof, level, prefix='student_t', iterations=6) -%}
    {%- set keys = key | join(', ') -%}
    {%- set z = normal_quantile_upper(1 - level) -%}
    {%- set carried = keys ~ ', statistic, nu, whole, quantile, p_value' -%}
{{ prefix }}_nodes as (

    {{ gauss_legendre_nodes() }}

),

{{ prefix }}_0 as (

    select
        {{ keys }},
        statistic,
        nu,
        {{ t_whole('nu') }} as whole,
        {{ z }} + (power({{ z }}, 3) + {{ z }}) / (4 * nu)
        + (5 * power({{ z }}, 5) + 16 * power({{ z }}, 3) + 3 * {{ z }})
        / (96 * power(nu, 2)) as quantile,
        cast(null as {{ dbt.type_float() }}) as p_value
    from (
        select
            {{ keys }},
            cast({{ statistic }} as {{ dbt.type_float() }}) as statistic,
            cast({{ dof }} as {{ dbt.type_float() }}) as nu
        from {{ source }}
        where {{ dof }} > 0 and {{ statistic }} is not null
    ) as inputs

),

{% for i in range(iterations + 1) %}
    {%- set at = 'statistic' if loop.last else 'quantile' -%}
{{ prefix }}_{{ loop.index }} as (

    select
        {{ keys }},
        statistic,
        nu,
        whole,
        {% if loop.last -%}
            quantile,
            2 * {{ t_upper_tail('theta', 's', 'nu', 'whole', 'quadrature') }} as p_value
        {%- else -%}
            -- Newton: q - (F(q) - level) / f(q), F(q) = 1 - upper tail
            quantile - (
                1 - {{ t_upper_tail('theta', 's', 'nu', 'whole', 'quadrature') }} - {{ level }}
            ) / (
                exp(-(nu + 1) / 2 * {{ ln_1p('quantile * quantile / nu') }})
                / (2 * sqrt(nu) * whole)
            ) as quantile,
            p_value
        {%- endif %}
    from (
        select
            {{ carried }},
            theta,
            cos(theta) as s,
            sum({{ t_quadrature_term('theta', 'nu') }}) as quadrature
        from (
            select *, atan(abs({{ at }}) / sqrt(nu)) as theta
            from {{ prefix }}_{{ loop.index0 }}
        ) as at_point
        cross join {{ prefix }}_nodes as nodes
        group by {{ carried }}, theta
    ) as integrated

),

{% endfor -%}
{{ prefix }}_result as (

    select {{ keys }}, least(1, greatest(0, p_value)) as p_value, quantile
    from {{ prefix }}_{{ iterations + 1 }}

),
{%- endmacro %}


{#- P(X > x) for X chi-square with an integer `dof` >= 1 degrees of freedom: for an even
    dof, e^(-x/2) times the sum over j < dof / 2 of (x/2)^j / j!; for an odd one,
    2 P(Z > sqrt(x)) plus e^(-x/2) times the sum over 1 <= j <= (dof - 1) / 2 of
    (x/2)^(j - 1/2) / Gamma(j + 1/2). `series` is the sum of chi_square_series_term()
    over j = 0..dof, `normal_tail` of normal_tail_quadrature_term(sqrt(x)) over the
    nodes. -#}
{% macro chi_square_series_term(x, dof, j) -%}
    case
        when {{ x }} <= 0 then 0
        when mod({{ dof }}, 2) = 0 and {{ j }} < {{ dof }} / 2
            then exp(-{{ x }} / 2 + {{ j }} * ln({{ x }} / 2) - {{ ln_gamma(j ~ ' + 1') }})
        when mod({{ dof }}, 2) = 1 and {{ j }} >= 1 and {{ j }} <= ({{ dof }} - 1) / 2
            then exp(
                -{{ x }} / 2 + ({{ j }} - 0.5) * ln({{ x }} / 2) - {{ ln_gamma(j ~ ' + 0.5') }}
            )
        else 0
    end
{%- endmacro %}

{#- P(Z > z) for a standard normal Z is the integral of its density over [z, z + 12]
    (what lies beyond is below e^-72 of it): a quadrature term at node `nodes`. -#}
{% macro normal_tail_quadrature_term(z) -%}
    12 * nodes.node_weight * exp(-power({{ z }} + 12 * nodes.node_at, 2) / 2)
    / {{ (2 * 3.141592653589793) ** 0.5 }}
{%- endmacro %}

{% macro chi_square_upper_tail(x, dof, series, normal_tail) -%}
    case
        when {{ x }} <= 0 then 1
        when mod({{ dof }}, 2) = 1 then least(1, 2 * {{ normal_tail }} + {{ series }})
        else least(1, {{ series }})
    end
{%- endmacro %}
