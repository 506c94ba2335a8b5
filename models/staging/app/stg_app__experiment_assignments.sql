with

source as (

    select * from {{ source('app', 'experiment_assignments') }}
    where {{ known_by_as_of_date('assigned_at') }}

),

renamed as (

    select
        ----------  ids
        cast(assignment_id as {{ dbt.type_string() }}) as assignment_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,

        ---------- strings
        experiment_key,
        variant,

        ---------- dates
        cast(assigned_at as date) as assigned_date,

        ---------- timestamps
        assigned_at

    from source

)

select * from renamed
