-- Conversions and revenue credited to each channel under each attribution model, over the
-- whole timeframe, beside the conversions the channel's touches caused (the answer key:
-- what removing its touches would have lost).
with

performance as (

    select * from marts.fct_channel_performance

),

caused as (

    select
        channel,
        sum(removal_conversions) as caused_conversions
    from truth.marketing_daily
    group by channel

),

credited as (

    select
        channel,
        attribution_model,
        sum(spend) as spend,
        sum(attributed_conversions) as attributed_conversions,
        sum(attributed_revenue) as attributed_revenue
    from performance
    group by channel, attribution_model

)

select
    credited.*,
    credited.spend / nullif(credited.attributed_conversions, 0) as cac,
    caused.caused_conversions
from credited
left join caused on credited.channel = caused.channel
order by credited.channel, credited.attribution_model
