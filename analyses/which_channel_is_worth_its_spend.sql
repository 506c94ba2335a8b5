-- Which marketing channel is worth its spend? Spend, conversions to paid and revenue
-- credited to each channel under every attribution model, with CAC and ROAS over the
-- whole period. The models disagree most where a channel's touches sit early or late.
with

performance as (

    select * from {{ ref('fct_channel_performance') }}

)

select
    channel,
    attribution_model,
    round(sum(spend), 2) as spend,
    round(sum(attributed_conversions), 1) as conversions,
    round(sum(attributed_revenue), 2) as revenue,
    round(sum(spend) / nullif(sum(attributed_conversions), 0), 2) as cac,
    round(sum(attributed_revenue) / nullif(sum(spend), 0), 3) as roas
from performance
where channel != '{{ var("attribution_no_touch_channel") }}'
group by channel, attribution_model
order by channel, attribution_model
