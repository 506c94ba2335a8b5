{#- Every marketing touch with its position among the user's touches. -#}
with

touches as (

    select * from {{ ref('stg_marketing__touches') }}

),

final as (

    select
        touch_id,
        user_id,
        channel,
        campaign,
        touch_date,
        touched_at,
        row_number() over (partition by user_id order by touched_at, touch_id)
            as touch_number_of_user
    from touches

)

select * from final
