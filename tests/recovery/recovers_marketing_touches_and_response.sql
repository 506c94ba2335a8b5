{#- The marketing marts against the planted channels. Touches per channel and month in
    fct_touchpoints after the users signed up against truth's expected touches (a Poisson
    count given who was using the product, so variance = mean); conversions to paid by the number of touches in the
    window before them (fct_attribution) against truth's summed conversion chances of the
    free-plan decisions with that many touches, which carry the planted saturating lift;
    both within the Bonferroni bound for a 0.1% family-wise false alarm. Spend per channel
    and month in fct_channel_performance equals the planted spend (to the cent per
    campaign and day the ad platforms round to). -#}
with

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

attribution as (

    select * from {{ ref('fct_attribution') }}

),

performance as (

    select * from {{ ref('fct_channel_performance') }}

),

planted_daily as (

    select * from {{ source('truth', 'marketing_daily') }}

),

planted_response as (

    select * from {{ source('truth', 'marketing_response') }}

),

planted_monthly as (

    select
        channel,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as month,
        sum(expected_touches) as expected_touches,
        sum(spend) as spend,
        count(*) as days
    from planted_daily
    group by channel, cast({{ dbt.date_trunc('month', 'activity_date') }} as date)

),

observed_touches as (

    select
        channel,
        cast({{ dbt.date_trunc('month', 'touch_date') }} as date) as month,
        count(*) as touches
    from touchpoints
    where not is_before_signup
    group by channel, cast({{ dbt.date_trunc('month', 'touch_date') }} as date)

),

touch_checks as (

    select
        planted_monthly.channel,
        planted_monthly.month,
        coalesce(observed_touches.touches, 0) as observed,
        planted_monthly.expected_touches as expected,
        count(*) over () as checks
    from planted_monthly
    left join observed_touches
        on planted_monthly.channel = observed_touches.channel
        and planted_monthly.month = observed_touches.month

),

conversions as (

    select
        least(touches_in_window, 10) as touches_in_window,
        count(distinct conversion_id) as conversions
    from attribution
    where attribution_model = 'last_touch'
    group by least(touches_in_window, 10)

),

response_checks as (

    select
        planted_response.touches_in_window,
        coalesce(conversions.conversions, 0) as observed,
        planted_response.expected_conversions as expected,
        planted_response.conversion_variance as variance,
        count(*) over () as checks
    from planted_response
    left join conversions
        on planted_response.touches_in_window = conversions.touches_in_window

),

campaigns as (

    select count(distinct campaign) as campaigns from touchpoints

),

spend_checks as (

    select
        planted_monthly.channel,
        planted_monthly.month,
        max(performance.spend) as observed,
        max(planted_monthly.spend) as expected,
        max(planted_monthly.days) * max(campaigns.campaigns) * 0.005 as tolerance
    from planted_monthly
    cross join campaigns
    left join performance
        on planted_monthly.channel = performance.channel
        and planted_monthly.month = performance.month
    group by planted_monthly.channel, planted_monthly.month

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (  -- noqa: ST03

    select
        'touches per channel and month' as quantity,
        channel || ' ' || cast(month as {{ dbt.type_string() }}) as cell,
        observed as measured,
        expected,
        sqrt(expected) as standard_error
    from touch_checks
    union all
    select
        'conversions to paid by touches in the window' as quantity,
        cast(touches_in_window as {{ dbt.type_string() }}) as cell,
        observed as measured,
        expected,
        sqrt(variance) as standard_error
    from response_checks

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select
        channel || ' ' || cast(month as {{ dbt.type_string() }}) as checked,
        'touches' as kind,
        cast(observed as {{ dbt.type_float() }}) as observed,
        expected
    from touch_checks
    where abs(observed - expected)
        > {{ count_tolerance('sqrt(expected)', normal_quantile_upper('0.0005 / checks')) }}
    union all
    select
        cast(touches_in_window as {{ dbt.type_string() }}) || ' touches in the window' as checked,
        'conversions' as kind,
        cast(observed as {{ dbt.type_float() }}) as observed,
        expected
    from response_checks
    where abs(observed - expected)
        > {{ count_tolerance('sqrt(variance)', normal_quantile_upper('0.0005 / checks')) }}
    union all
    select
        channel || ' ' || cast(month as {{ dbt.type_string() }}) as checked,
        'spend' as kind,
        observed,
        expected
    from spend_checks
    where observed is null or abs(observed - expected) > tolerance
{% endif %}
