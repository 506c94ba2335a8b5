{#- Answer quality per day x feature x model version x role of the asker: volumes, the
    rated share, the mean rating with its sums (to pool days or roles correctly: mean =
    sum / count, variance from the sum of squares), flagged hallucinations, latency, and
    the tokens and provider cost of the answers (with the sum of squared costs, for the
    spread of a pooled mean cost). -#}
with

responses as (

    select * from {{ ref('stg_app__llm_responses') }}

),

users as (

    select
        user_id,
        role
    from {{ ref('stg_app__users') }}

),

daily as (

    select
        responses.requested_date as response_date,
        responses.feature,
        responses.model_version,
        users.role,
        count(*) as responses,
        sum(case when responses.is_rated then 1 else 0 end) as rated_responses,
        sum(responses.rating) as rating_sum,
        sum(responses.rating * responses.rating) as rating_sum_squares,
        sum(case when responses.is_flagged_hallucination then 1 else 0 end)
            as flagged_hallucinations,
        sum(responses.prompt_tokens) as prompt_tokens,
        sum(responses.completion_tokens) as completion_tokens,
        count(responses.cost_usd) as costed_responses,
        sum(responses.cost_usd) as cost_usd,
        sum(responses.cost_usd * responses.cost_usd) as cost_usd_squares,
        {{ proving_ground.quantile('responses.latency_ms', 0.5) }} as median_latency_ms,
        {{ proving_ground.quantile('responses.latency_ms', 0.9) }} as p90_latency_ms
    from responses
    inner join users on responses.user_id = users.user_id
    group by responses.requested_date, responses.feature, responses.model_version, users.role

),

final as (

    select
        cast(response_date as {{ dbt.type_string() }}) || '-' || feature || '-'
        || model_version || '-' || role as llm_quality_id,
        response_date,
        feature,
        model_version,
        role,
        responses,
        rated_responses,
        cast(rated_responses as {{ dbt.type_float() }}) / responses as rated_share,
        rating_sum,
        rating_sum_squares,
        cast(rating_sum as {{ dbt.type_float() }}) / nullif(rated_responses, 0) as mean_rating,
        flagged_hallucinations,
        cast(flagged_hallucinations as {{ dbt.type_float() }}) / responses
            as hallucination_rate,
        median_latency_ms,
        p90_latency_ms,
        prompt_tokens,
        completion_tokens,
        costed_responses,
        cost_usd,
        cost_usd_squares,
        cost_usd / nullif(costed_responses, 0) as cost_usd_per_response
    from daily

)

select * from final
