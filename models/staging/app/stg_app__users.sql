{{ config(post_hook="{{ comment_user_attributes() }}") }}
with

source as (

    select * from {{ source('app', 'users') }}
    where {{ known_by_as_of_date('loaded_at') }}

),

excluded_accounts as (

    select user_id from {{ ref('stg_app__excluded_accounts') }}

),

renamed as (

    select
        ----------  ids
        cast(user_id as {{ dbt.type_string() }}) as user_id,

        ---------- strings
        email,
        role,
        time_zone,
        {%- for attribute in raw_user_attributes() %}
        {{ attribute }},
        {%- endfor %}

        ---------- dates
        cast(signed_up_at as date) as signup_date,

        ---------- timestamps
        signed_up_at,
        loaded_at

    from source

)

select renamed.*
from renamed
left join excluded_accounts on renamed.user_id = excluded_accounts.user_id
where excluded_accounts.user_id is null
