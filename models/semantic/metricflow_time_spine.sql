{#- The days MetricFlow joins metrics to: every day from the first signup to the as-of
    date. -#}
with

users as (

    select * from {{ ref('stg_app__users') }}

),

bounds as (

    select
        min(signup_date) as first_date,
        {{ as_of_date() }} as last_date
    from users

),

series as (

    {{ integer_series(0, var("max_series_days")) }}

),

final as (

    select cast({{ dbt.dateadd('day', 'series.n', 'bounds.first_date') }} as date) as date_day
    from bounds
    cross join series
    where {{ dbt.dateadd('day', 'series.n', 'bounds.first_date') }} <= bounds.last_date

)

select * from final
