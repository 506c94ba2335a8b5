{#- Per channel x month x attribution model: spend, conversions and revenue attributed to
    the channel, cost per acquisition (spend / conversions) and return on ad spend
    (revenue / spend). The no-touch channel has no spend. The month the as-of date falls
    inside is flagged is_complete = false. -#}
with

as_of as (

    select {{ as_of_date() }} as as_of

),

spend as (

    select * from {{ ref('stg_marketing__spend') }}

),

attribution as (

    select * from {{ ref('fct_attribution') }}

),

monthly_spend as (

    select
        channel,
        cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as month,
        sum(spend) as spend
    from spend
    group by 1, 2

),

monthly_attribution as (

    select
        channel,
        conversion_month as month,
        attribution_model,
        sum(credit) as attributed_conversions,
        sum(attributed_revenue) as attributed_revenue
    from attribution
    group by 1, 2, 3

),

models as (

    select distinct attribution_model from attribution

),

spine as (

    select
        channel,
        month
    from monthly_spend
    union
    select
        channel,
        month
    from monthly_attribution

),

final as (

    select
        spine.channel || '-' || cast(spine.month as {{ dbt.type_string() }}) || '-'
        || models.attribution_model as channel_performance_id,
        spine.channel,
        spine.month,
        models.attribution_model,
        cast(coalesce(monthly_spend.spend, 0) as {{ dbt.type_float() }}) as spend,
        coalesce(monthly_attribution.attributed_conversions, 0) as attributed_conversions,
        coalesce(monthly_attribution.attributed_revenue, 0) as attributed_revenue,
        monthly_spend.spend / nullif(monthly_attribution.attributed_conversions, 0) as cac,
        monthly_attribution.attributed_revenue / nullif(monthly_spend.spend, 0) as roas,
        {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'spine.month')) }}
        <= (select as_of.as_of from as_of) as is_complete
    from spine
    cross join models
    left join monthly_spend
        on spine.channel = monthly_spend.channel
        and spine.month = monthly_spend.month
    left join monthly_attribution
        on spine.channel = monthly_attribution.channel
        and spine.month = monthly_attribution.month
        and models.attribution_model = monthly_attribution.attribution_model

)

select * from final
