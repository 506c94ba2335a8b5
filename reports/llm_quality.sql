-- Answer quality by model version and month: mean rating of the rated answers, the share
-- flagged as hallucinations, and the typical latency (the response-weighted mean of the
-- daily medians).
select
    model_version,
    cast(date_trunc('month', response_date) as date) as response_month,
    sum(responses) as responses,
    sum(rated_responses) as rated_responses,
    sum(rating_sum) as rating_sum,
    sum(flagged_hallucinations) as flagged_hallucinations,
    sum(rating_sum) / nullif(sum(rated_responses), 0) as mean_rating,
    sum(flagged_hallucinations) / sum(responses) as hallucination_rate,
    sum(median_latency_ms * responses) / sum(responses) as median_latency_ms
from marts.fct_llm_quality
group by model_version, cast(date_trunc('month', response_date) as date)
order by model_version, response_month
