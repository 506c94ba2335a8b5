{#- Every marketing touch with its position among the user's touches. -#}
with

touches as (

    select * from {{ ref('stg_marketing__touches') }}

),

users as (

    select * from {{ ref('stg_app__users') }}

),

final as (

    select
        touches.touch_id,
        touches.user_id,
        touches.channel,
        touches.campaign,
        touches.touch_type,
        touches.touched_at < users.signed_up_at as is_before_signup,
        touches.touch_date,
        touches.touched_at,
        row_number() over (
            partition by touches.user_id order by touches.touched_at, touches.touch_id
        ) as touch_number_of_user
    from touches
    inner join users on touches.user_id = users.user_id

)

select * from final
