{#- Each numeric user attribute (an age) in dim_users against its planted distribution:
    per hidden segment (joined from truth.users), the mean value within 4 standard errors
    (the planted sd over sqrt(n)) of the planted mean, which accounts for the range it is
    kept in and the rounding. Its bands (`<name>_band`) are checked with the categorical
    attributes, per segment and over all users (recovers_segment_attribute_shares).
    Segments of fewer than 10 users are shown, not judged. -#}
{%- set numeric = numeric_user_attributes() -%}
-- users and truth_users are read once per numeric attribute (a world may have none)
with

users as (  -- noqa: ST03

    select * from {{ ref('dim_users') }}

),

truth_users as (  -- noqa: ST03

    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        segment
    from {{ source('truth', 'users') }}

),

parameters as (

    select
        parameter,
        {{ dbt.split_part('dimension', "'/'", 1) }} as attribute,
        {{ dbt.split_part('dimension', "'/'", 2) }} as segment,
        value
    from {{ source('truth', 'parameters') }}
    where parameter in ('numeric_attribute.mean', 'numeric_attribute.sd')

),

observed as (

    {% for attribute in numeric %}
        select
            '{{ attribute }}' as attribute,
            truth_users.segment,
            count(*) as users,
            avg(cast(users.{{ attribute }} as {{ dbt.type_float() }})) as mean_value
        from users
        inner join truth_users on users.user_id = truth_users.user_id
        group by truth_users.segment
        {% if not loop.last %}union all{% endif %}
    {% else %}
        select
            cast(null as {{ dbt.type_string() }}) as attribute,
            cast(null as {{ dbt.type_string() }}) as segment,
            0 as users,
            cast(null as {{ dbt.type_float() }}) as mean_value
        where 1 = 0
    {% endfor %}

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        'mean of a numeric attribute within a segment' as quantity,
        observed.attribute || '/' || observed.segment as cell,
        observed.users,
        observed.mean_value as measured,
        means.value as expected,
        sds.value / sqrt(observed.users) as standard_error
    from observed
    inner join parameters as means
        on means.parameter = 'numeric_attribute.mean'
        and observed.attribute = means.attribute
        and observed.segment = means.segment
    inner join parameters as sds
        on sds.parameter = 'numeric_attribute.sd'
        and observed.attribute = sds.attribute
        and observed.segment = sds.segment

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where users >= 10
        and abs(measured - expected) > 4 * standard_error + 1e-9 * abs(expected)
{% endif %}
