with

source as (

    select * from {{ source('app', 'llm_responses') }}
    where {{ known_by_as_of_date('requested_at') }}

),

renamed as (

    select
        ----------  ids
        cast(response_id as {{ dbt.type_string() }}) as response_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,

        ---------- strings
        feature,
        model_version,
        flag_source,

        ---------- numerics
        latency_ms,
        rating,
        prompt_tokens,
        completion_tokens,
        cost_usd,

        ---------- booleans
        rating is not null as is_rated,
        hallucination_flag as is_flagged_hallucination,

        ---------- dates
        cast(requested_at as date) as requested_date,

        ---------- timestamps
        requested_at

    from source

)

select * from renamed
