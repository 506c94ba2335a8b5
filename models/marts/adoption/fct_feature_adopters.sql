{#- Who adopted each feature, and when: a user adopts a feature with their first event of
    it (as in fct_feature_adoption). Rogers' adopter categories as analysts assign them,
    by adoption order: the first 2.5% of a feature's adopters are innovators, the next
    13.5% early adopters, the next 34% the early majority, the next 34% the late majority
    and the last 16% laggards; adopters of the same day share the category of the earliest
    among them. -#}
with

events as (

    select
        user_id,
        feature,
        event_date
    from {{ ref('fct_events') }}
    where feature is not null

),

users as (

    select * from {{ ref('dim_users') }}

),

adopters as (

    select
        user_id,
        feature,
        min(event_date) as adopted_on
    from events
    group by user_id, feature

),

ranked as (

    select
        adopters.*,
        min(adopters.adopted_on) over (partition by adopters.feature) as first_adopted_on,
        rank() over (partition by adopters.feature order by adopters.adopted_on)
            as adoption_rank,
        count(*) over (partition by adopters.feature) as feature_adopters
    from adopters

),

final as (

    select
        ranked.feature || '-' || ranked.user_id as feature_adopter_id,
        ranked.feature,
        ranked.user_id,
        ranked.adopted_on,
        users.signup_date,
        {{ dbt.datediff('ranked.first_adopted_on', 'ranked.adopted_on', 'day') }}
            as days_after_first_adopter,
        {{ dbt.datediff('users.signup_date', 'ranked.adopted_on', 'day') }}
            as account_age_days,
        users.signup_date < ranked.first_adopted_on as signed_up_before_first_adopter,
        cast(ranked.adoption_rank - 1 as {{ dbt.type_float() }})
        / ranked.feature_adopters as adopters_before_share,
        case
            when (ranked.adoption_rank - 1) < 0.025 * ranked.feature_adopters
                then 'innovators'
            when (ranked.adoption_rank - 1) < 0.16 * ranked.feature_adopters
                then 'early_adopters'
            when (ranked.adoption_rank - 1) < 0.50 * ranked.feature_adopters
                then 'early_majority'
            when (ranked.adoption_rank - 1) < 0.84 * ranked.feature_adopters
                then 'late_majority'
            else 'laggards'
        end as adopter_category
    from ranked
    inner join users on ranked.user_id = users.user_id

)

select * from final
