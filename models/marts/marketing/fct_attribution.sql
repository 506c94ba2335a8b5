{#- Credit for every conversion to a paid plan (its checkout event), by channel and
    attribution model, over the user's touches in the window before it: first touch, last
    touch, linear, time decay (a touch's weight halves every attribution_half_life_days
    before the conversion) and position-based (40% first, 40% last, 20% shared by the
    touches between; 50/50 with two touches). A conversion without a touch in the window
    goes to the no-touch channel. Credits sum to 1 per conversion and model. -#}
{%- set half_life_seconds = var('attribution_half_life_days') * 86400 -%}
with

conversions as (

    select * from {{ ref('int_paid_conversions') }}

),

touches as (

    select * from {{ ref('fct_touchpoints') }}

),

window_touches as (

    select
        conversions.conversion_id,
        touches.channel,
        {{ dbt.datediff('touches.touched_at', 'conversions.converted_at', 'second') }}
            as seconds_before,
        row_number() over (
            partition by conversions.conversion_id
            order by touches.touched_at, touches.touch_id
        ) as touch_number,
        count(*) over (partition by conversions.conversion_id) as touches
    from conversions
    inner join touches
        on conversions.user_id = touches.user_id
        and touches.touched_at < conversions.converted_at
        and touches.touched_at
        >= {{ dbt.dateadd('day', -var('attribution_window_days'), 'conversions.converted_at') }}

),

weighted as (

    select
        *,
        -- a double on every engine (a decimal divisor would round it on Spark)
        power(0.5, cast(seconds_before as {{ dbt.type_float() }}) / {{ half_life_seconds }})
            as decay_weight
    from window_touches

),

touch_credits as (

    select
        conversion_id,
        channel,
        touches,
        case when touch_number = 1 then 1.0 else 0.0 end as first_touch,
        case when touch_number = touches then 1.0 else 0.0 end as last_touch,
        1.0 / touches as linear,
        decay_weight / sum(decay_weight) over (partition by conversion_id) as time_decay,
        case
            when touches = 1 then 1.0
            when touches = 2 then 0.5
            when touch_number = 1 or touch_number = touches then 0.4
            else 0.2 / (touches - 2)
        end as position_based
    from weighted

),

{%- set models = ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based'] %}

credits as (

    {% for model in models -%}
        select
            conversion_id,
            '{{ model }}' as attribution_model,
            channel,
            max(touches) as touches_in_window,
            sum({{ model }}) as credit
        from touch_credits
        group by conversion_id, channel
        union all
        select
            conversions.conversion_id,
            '{{ model }}' as attribution_model,
            '{{ var("attribution_no_touch_channel") }}' as channel,
            0 as touches_in_window,
            1.0 as credit
        from conversions
        where conversions.conversion_id not in (
                select touch_credits.conversion_id from touch_credits
            )
        {% if not loop.last %}union all
        {% endif -%}
    {% endfor %}

),

final as (

    select
        credits.conversion_id || '-' || credits.attribution_model || '-' || credits.channel
            as attribution_id,
        credits.conversion_id,
        conversions.user_id,
        conversions.converted_at,
        cast({{ dbt.date_trunc('month', 'conversions.converted_at') }} as date)
            as conversion_month,
        credits.attribution_model,
        credits.channel,
        credits.touches_in_window,
        cast(credits.credit as {{ dbt.type_float() }}) as credit,
        cast(credits.credit * conversions.revenue as {{ dbt.type_float() }})
            as attributed_revenue
    from credits
    inner join conversions
        on credits.conversion_id = conversions.conversion_id

)

select * from final
