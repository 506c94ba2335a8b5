{#- fct_feature_adoption against each launched feature's planted Bass diffusion. Every
    day, cumulative adopters lie within the Bonferroni bound (0.1% family-wise over the
    days) of truth's expected cumulative adopters (each user's chance of having adopted
    by then, given when they were using the product; variance from the same chances).
    And the adoption midpoint (the first day cumulative adopters reach half of truth's
    expected adopters by the last day) lies within 4 standard errors of the day truth's
    curve reaches it: the count's standard deviation there over the curve's slope (new
    adopters a day, averaged over the week around it), plus one day for the rounding.
    That standard error takes the count as normal, which a count of H adopters (skewness
    about 1 / sqrt(H)) is in its tails at 4 standard errors when H is at least
    (4 (4^2 - 1) / 6)^2 = 100, the first Edgeworth term at most doubling them: a midpoint
    with fewer adopters by then is not judged (a world of a few hundred users). -#}
{%- set fewest_at_midpoint = (4 * (4 * 4 - 1) / 6) ** 2 -%}
with

adoption as (

    select * from {{ ref('fct_feature_adoption') }}

),

planted as (

    select * from {{ source('truth', 'feature_adoption') }}

),

joined as (

    select
        planted.feature,
        planted.adoption_date,
        planted.expected_cumulative_adopters,
        planted.cumulative_variance,
        planted.expected_new_adopters,
        coalesce(adoption.cumulative_adopters, 0) as cumulative_adopters,
        count(*) over (partition by planted.feature) as days_checked,
        max(planted.expected_cumulative_adopters) over (partition by planted.feature) / 2
            as half_way
    from planted
    left join adoption
        on planted.feature = adoption.feature
        and planted.adoption_date = adoption.adoption_date

),

curve_misses as (

    select
        feature,
        adoption_date,
        cast(cumulative_adopters as {{ dbt.type_float() }}) as observed,
        expected_cumulative_adopters as expected,
        'cumulative adopters off the planted curve' as failure
    from joined
    where abs(cumulative_adopters - expected_cumulative_adopters)
        > {{ count_tolerance(
            'sqrt(cumulative_variance)', normal_quantile_upper('0.0005 / days_checked')
        ) }}

),

observed_midpoints as (

    select
        feature,
        min(adoption_date) as observed_day
    from joined
    where cumulative_adopters >= half_way
    group by feature

),

planted_midpoints as (

    select
        feature,
        min(adoption_date) as planted_day
    from joined
    where expected_cumulative_adopters >= half_way
    group by feature

),

midpoint_spread as (

    select
        planted_midpoints.feature,
        planted_midpoints.planted_day,
        max(
            case
                when joined.adoption_date = planted_midpoints.planted_day
                    then sqrt(joined.cumulative_variance)
            end
        ) as count_sd,
        avg(joined.expected_new_adopters) as slope,
        max(joined.half_way) as half_way
    from planted_midpoints
    inner join joined
        on planted_midpoints.feature = joined.feature
        and joined.adoption_date between
        {{ dbt.dateadd('day', -3, 'planted_midpoints.planted_day') }}
        and {{ dbt.dateadd('day', 3, 'planted_midpoints.planted_day') }}
    group by planted_midpoints.feature, planted_midpoints.planted_day

),

midpoint_lags as (

    select
        midpoint_spread.feature,
        {{ dbt.datediff('midpoint_spread.planted_day', 'observed_midpoints.observed_day', 'day') }}
            as days_late
    from midpoint_spread
    inner join observed_midpoints
        on midpoint_spread.feature = observed_midpoints.feature

),

midpoint_misses as (

    select
        midpoint_spread.feature,
        midpoint_spread.planted_day as adoption_date,
        cast(midpoint_lags.days_late as {{ dbt.type_float() }}) as observed,
        4 * midpoint_spread.count_sd / midpoint_spread.slope + 1 as expected,
        'adoption midpoint off the planted one (observed: days late; expected: tolerance)'
            as failure
    from midpoint_spread
    left join midpoint_lags
        on midpoint_spread.feature = midpoint_lags.feature
    where midpoint_spread.half_way >= {{ fewest_at_midpoint }}
        and (
            midpoint_lags.days_late is null
            or abs(midpoint_lags.days_late)
            > 4 * midpoint_spread.count_sd / midpoint_spread.slope + 1
        )

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (  -- noqa: ST03

    select
        'cumulative adopters' as quantity,
        feature || ' ' || cast(adoption_date as {{ dbt.type_string() }}) as cell,
        cumulative_adopters as measured,
        expected_cumulative_adopters as expected,
        sqrt(cumulative_variance) as standard_error
    from joined
    union all
    select
        'adoption midpoint, days late' as quantity,
        midpoint_spread.feature as cell,
        midpoint_lags.days_late as measured,
        0 as expected,
        midpoint_spread.count_sd / midpoint_spread.slope as standard_error
    from midpoint_spread
    inner join midpoint_lags
        on midpoint_spread.feature = midpoint_lags.feature
    where midpoint_spread.half_way >= {{ fewest_at_midpoint }}

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from curve_misses
    union all
    select * from midpoint_misses
{% endif %}
