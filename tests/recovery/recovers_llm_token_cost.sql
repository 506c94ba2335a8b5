{#- What the answers cost, against each model's planted tokens and prices: per model, the
    mean tokens in, tokens out and cost per answer in fct_llm_quality against truth's
    means, each within 4 standard errors (the planted variance over the answers). A
    model without declared tokens has no row in truth and is not judged. -#}
with

quality as (

    select * from {{ ref('fct_llm_quality') }}

),

planted as (

    select * from {{ source('truth', 'llm_token_costs') }}

),

measured as (

    select
        model_version,
        sum(costed_responses) as answers,
        sum(prompt_tokens) as prompt_tokens,
        sum(completion_tokens) as completion_tokens,
        sum(cost_usd) as cost_usd
    from quality
    group by model_version

),

compared as (

    select
        planted.model_version,
        measured.answers,
        'prompt tokens' as measure,
        cast(measured.prompt_tokens as {{ dbt.type_float() }}) / measured.answers as measured,
        planted.expected_prompt_tokens as expected,
        sqrt(planted.prompt_tokens_variance / measured.answers) as standard_error
    from planted
    inner join measured on planted.model_version = measured.model_version
    where measured.answers > 0

    union all

    select
        planted.model_version,
        measured.answers,
        'completion tokens' as measure,
        cast(measured.completion_tokens as {{ dbt.type_float() }}) / measured.answers
            as measured,
        planted.expected_completion_tokens as expected,
        sqrt(planted.completion_tokens_variance / measured.answers) as standard_error
    from planted
    inner join measured on planted.model_version = measured.model_version
    where measured.answers > 0

    union all

    select
        planted.model_version,
        measured.answers,
        'cost (USD)' as measure,
        measured.cost_usd / measured.answers as measured,
        planted.expected_cost_usd as expected,
        sqrt(planted.cost_usd_variance / measured.answers) as standard_error
    from planted
    inner join measured on planted.model_version = measured.model_version
    where measured.answers > 0

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        'mean ' || measure || ' per answer' as quantity,
        model_version as cell,
        measured,
        expected,
        standard_error,
        answers
    from compared

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where abs(measured - expected) > 4 * standard_error
{% endif %}
