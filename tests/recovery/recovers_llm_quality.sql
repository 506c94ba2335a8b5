{#- fct_llm_quality against the planted model quality. Per model version x feature x
    role, the mean rating matches truth's mean of the rounded, clipped latent score within
    the Bonferroni bound for a 0.1% family-wise false alarm (truth sums each rated
    answer's expected score and variance, so an experiment's lift on some answers' latent
    mean is included; the ratings counted must be truth's exactly); so does the mean per model version x
    feature with the roles mixed as the ratings mix them, and the share of answers
    flagged as hallucinations (binomial, the planted chance times the chance a report or
    the check catches it). Every answer comes from the model live that day (the rollout
    date), exactly. -#}
with

quality as (

    select * from {{ ref('fct_llm_quality') }}

),

planted as (

    select * from {{ source('truth', 'llm_ratings') }}

),

planted_sums as (

    select * from {{ source('truth', 'llm_rating_sums') }}

),

by_role as (

    select
        quality.model_version,
        quality.feature,
        quality.role,
        sum(quality.rated_responses) as ratings,
        sum(quality.rating_sum) as rating_sum,
        sum(quality.responses) as responses,
        sum(quality.flagged_hallucinations) as flagged
    from quality
    group by quality.model_version, quality.feature, quality.role

),

joined as (

    select
        by_role.*,
        planted_sums.ratings as planted_ratings,
        planted_sums.expected_rating_sum,
        planted_sums.rating_variance_sum,
        planted.flag_probability
    from by_role
    inner join planted
        on by_role.model_version = planted.model_version
        and by_role.feature = planted.feature
        and by_role.role = planted.role
    inner join planted_sums
        on by_role.model_version = planted_sums.model_version
        and by_role.feature = planted_sums.feature
        and by_role.role = planted_sums.role

),

checks as (

    select
        'mean rating' as checked,
        model_version,
        feature,
        role,
        cast(rating_sum as {{ dbt.type_float() }}) / ratings as observed,
        expected_rating_sum / ratings as expected,
        sqrt(rating_variance_sum) / ratings as standard_error
    from joined
    where ratings > 0
    union all
    select
        'ratings counted' as checked,
        model_version,
        feature,
        role,
        cast(ratings as {{ dbt.type_float() }}) as observed,
        planted_ratings as expected,
        0 as standard_error
    from joined
    where ratings != planted_ratings
    union all
    select
        'mean rating' as checked,
        model_version,
        feature,
        '(all)' as role,
        cast(sum(rating_sum) as {{ dbt.type_float() }}) / sum(ratings) as observed,
        sum(expected_rating_sum) / sum(ratings) as expected,
        sqrt(sum(rating_variance_sum)) / sum(ratings) as standard_error
    from joined
    group by model_version, feature
    having sum(ratings) > 0
    union all
    select
        'flagged hallucinations' as checked,
        model_version,
        feature,
        '(all)' as role,
        cast(sum(flagged) as {{ dbt.type_float() }}) as observed,
        sum(responses * flag_probability) as expected,
        sqrt(greatest(sum(responses * flag_probability * (1 - flag_probability)), 1))
            as standard_error
    from joined
    group by model_version, feature

),

rating_errors as (

    select *
    from (
        select
            *,
            count(*) over () as n_checks
        from checks
    ) as counted
    where abs(observed - expected)
        > {{ normal_quantile_upper('0.001 / (2 * n_checks)') }} * standard_error

),

live_days as (

    select
        model_version,
        min(live_from) as live_from
    from planted
    group by model_version

),

windows as (

    select
        model_version,
        live_from,
        lead(live_from) over (order by live_from) as replaced_on
    from live_days

),

rollout_errors as (

    select
        'answers outside the model''s live days' as checked,
        quality.model_version,
        quality.feature,
        quality.role,
        cast(sum(quality.responses) as {{ dbt.type_float() }}) as observed,
        0 as expected,
        0 as standard_error,
        0 as n_checks
    from quality
    left join windows on quality.model_version = windows.model_version
    where windows.model_version is null
        or quality.response_date < windows.live_from
        or quality.response_date >= windows.replaced_on
    group by quality.model_version, quality.feature, quality.role

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (  -- noqa: ST03

    select
        case
            when checked = 'mean rating' and role = '(all)' then 'mean rating, roles mixed'
            when checked = 'mean rating' then 'mean rating by role'
            else checked
        end as quantity,
        model_version || ' ' || feature || ' ' || role as cell,
        observed as measured,
        expected,
        standard_error
    from checks

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from rating_errors
    union all
    select * from rollout_errors
{% endif %}
