with

source as (

    select * from {{ source('billing', 'subscription_changes') }}
    where {{ known_by_as_of_date('changed_at') }}

),

renamed as (

    select
        ----------  ids
        cast(change_id as {{ dbt.type_string() }}) as change_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,

        ---------- strings
        from_plan,
        to_plan,
        reason as change_reason,

        ---------- booleans
        reason = 'payment_failed' as is_involuntary,

        ---------- timestamps
        changed_at

    from source

)

select * from renamed
