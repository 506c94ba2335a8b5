{{ config(post_hook="{{ comment_actor_attributes() }}") }}
with

source as (

    select * from {{ source('app', 'actors') }}
    where {{ known_by_as_of_date('joined_at') }}

),

renamed as (

    select
        ----------  ids
        cast(actor_id as {{ dbt.type_string() }}) as actor_id,

        ---------- strings
        actor_kind,
        {%- for attribute in raw_actor_attributes() %}
        {{ attribute }},
        {%- endfor %}

        ---------- dates
        cast(joined_at as date) as joined_date,

        ---------- timestamps
        joined_at

    from source

)

select * from renamed
