{#- One row per experiment x variant x metric: the sufficient statistics every test in
    fct_experiment_results is computed from (GrowthBook's engine reads the same): users,
    sums, sums of squares and of cubes (its skewness) of the metric, of a ratio metric's denominator and of the
    pre-exposure covariate, and their sums of products. The chain metrics (events_per_session,
    goal_session_rate, reached_goal) only for experiments with a goal event. Portable SQL; any
    engine can finish the statistics from here. -#}
{%- set metrics = [
    {'name': 'sessions', 'type': 'mean', 'value': 'sessions'},
    {'name': 'retained_d7', 'type': 'proportion', 'value': 'retained_d7'},
    {'name': 'converted', 'type': 'proportion', 'value': 'converted'},
    {'name': 'revenue_per_user', 'type': 'mean', 'value': 'revenue'},
    {'name': 'revenue_per_active_user', 'type': 'ratio', 'value': 'revenue',
     'denominator': 'active'},
    {'name': 'completed_funnel', 'type': 'proportion', 'value': 'completed_funnel'},
    {'name': 'mean_rating', 'type': 'ratio', 'value': 'rating_sum', 'denominator': 'ratings'},
    {'name': 'events_per_session', 'type': 'ratio', 'value': 'journey_events',
     'denominator': 'journey_sessions', 'goal': true},
    {'name': 'goal_session_rate', 'type': 'ratio', 'value': 'goal_sessions',
     'denominator': 'journey_sessions', 'goal': true},
    {'name': 'reached_goal', 'type': 'proportion', 'value': 'reached_goal', 'goal': true},
] -%}
{%- set double = dbt.type_float() -%}
with

exposures as (

    select * from {{ ref('fct_experiment_exposures') }}

),

{% for metric in metrics %}
    {%- set x = 'cast(' ~ metric.value ~ ' as ' ~ double ~ ')' %}
    {%- set d = 'cast(' ~ metric.get('denominator', '1') ~ ' as ' ~ double ~ ')' %}
    {%- set c = 'cast(pre_sessions as ' ~ double ~ ')' %}
    {{ metric.name }} as (

        select
            experiment_key,
            variant,
            '{{ metric.name }}' as metric,
            '{{ metric.type }}' as metric_type,
            count(*) as users,
            sum({{ x }}) as metric_sum,
            sum({{ x }} * {{ x }}) as metric_sum_squares,
            sum({{ x }} * {{ x }} * {{ x }}) as metric_sum_cubes,
            sum({{ d }}) as denominator_sum,
            sum({{ d }} * {{ d }}) as denominator_sum_squares,
            sum({{ x }} * {{ d }}) as metric_denominator_sum_products,
            sum({{ c }}) as covariate_sum,
            sum({{ c }} * {{ c }}) as covariate_sum_squares,
            sum({{ x }} * {{ c }}) as metric_covariate_sum_products
        from exposures
        {% if metric.get('goal') -%}
            where {{ metric.value }} is not null  -- only experiments with a goal event
        {% endif -%}
        group by experiment_key, variant

    ),

{% endfor -%}

final as (

    {% for metric in metrics -%}
        select * from {{ metric.name }}
        {% if not loop.last %}union all
        {% endif -%}
    {% endfor %}

)

select
    {{ dbt.concat(['experiment_key', "'-'", 'variant', "'-'", 'metric']) }}
        as experiment_statistic_id,
    *
from final
