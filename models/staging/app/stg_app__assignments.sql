with

source as (

    select * from {{ source('app', 'assignments') }}
    where {{ known_by_as_of_date('assigned_at') }}

),

renamed as (

    select
        ----------  ids
        cast(assignment_id as {{ dbt.type_string() }}) as assignment_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(actor_id as {{ dbt.type_string() }}) as actor_id,

        ---------- strings
        relation,

        ---------- dates
        cast(assigned_at as date) as assigned_date,

        ---------- timestamps
        assigned_at

    from source

)

select * from renamed
