{#- Where a feature spreads by Rogers' adopter categories, each would-be adopter has a
    planned time after the launch (truth.adopters) and adopts in the first session they
    open from then on (truth.adopters.adopted_at). For users with an account before the
    launch, their first event of the feature in fct_feature_adopters must fall on the day
    they adopted, never before their planned time: per feature and category, every such
    adopter's date must match (an exact count). A feature whose events also appear before
    adoption would break it, as it would break what analysts read as its adoption. -#}
with

adopters as (

    select * from {{ ref('fct_feature_adopters') }}

),

planned as (

    select
        feature,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        adopter_category,
        planned_days_after_launch,
        adopted_at
    from {{ source('truth', 'adopters') }}
    where adopted_at is not null

),

launches as (

    select
        feature,
        min(adoption_date) as launch_date
    from {{ source('truth', 'feature_adoption') }}
    group by feature

),

checked as (

    select
        planned.feature,
        planned.adopter_category,
        adopters.adopted_on,
        cast(planned.adopted_at as date) as planted_on,
        cast({{ dbt.dateadd(
            'day',
            'cast(floor(planned.planned_days_after_launch) as ' ~ dbt.type_int() ~ ')',
            'launches.launch_date'
        ) }} as date) as planned_on
    from planned
    inner join launches on planned.feature = launches.feature
    inner join adopters
        on planned.feature = adopters.feature
        and planned.user_id = adopters.user_id
    where adopters.signup_date < launches.launch_date

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        'adopters dated at their planned time' as quantity,
        feature || '/' || adopter_category as cell,
        sum(
            case when adopted_on = planted_on and adopted_on >= planned_on then 1 else 0 end
        ) as measured,
        count(*) as expected,
        0 as standard_error,
        min(planned_on) as first_planned_on,
        max(planned_on) as last_planned_on
    from checked
    group by feature, adopter_category

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where measured <> expected
{% endif %}
