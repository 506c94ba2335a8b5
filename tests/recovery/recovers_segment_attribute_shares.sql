{#- Observable attributes in dim_users against the planted shares: within each hidden
    segment (joined from truth.users), and over all users, where the planted share is the
    segments' shares mixed by the planted segment shares. Each within 4 binomial standard
    errors (a segment's role is planted with share 1, so it must hold exactly). -#}
{%- set attributes = ['role'] + user_attributes() -%}
with

users as (

    select * from {{ ref('dim_users') }}

),

truth_users as (

    select * from {{ source('truth', 'users') }}

),

parameters as (

    select * from {{ source('truth', 'parameters') }}

),

labelled as (

    {% for attribute in attributes %}
        select
            '{{ attribute }}' as attribute,
            truth_users.segment,
            users.{{ attribute }} as attribute_value
        from users
        inner join truth_users
            on users.user_id = cast(truth_users.user_id as {{ dbt.type_string() }})
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

planted as (

    select
        substring(parameter, length('attribute.') + 1) as attribute,
        substring(dimension, 1, position('/' in dimension) - 1) as segment,
        substring(dimension, position('/' in dimension) + 1) as attribute_value,
        value as planted_share
    from parameters
    where parameter like 'attribute.%'

),

segment_shares as (

    select
        dimension as segment,
        value as segment_share
    from parameters
    where parameter = 'segment.share'

),

planted_overall as (

    select
        planted.attribute,
        '(all)' as segment,
        planted.attribute_value,
        sum(planted.planted_share * segment_shares.segment_share) as planted_share
    from planted
    inner join segment_shares on planted.segment = segment_shares.segment
    group by planted.attribute, planted.attribute_value

),

observed as (

    select
        attribute,
        segment,
        attribute_value,
        count(*) as users
    from labelled
    group by attribute, segment, attribute_value

    union all

    select
        attribute,
        '(all)' as segment,
        attribute_value,
        count(*) as users
    from labelled
    group by attribute, attribute_value

),

expected as (

    select * from planted
    union all
    select * from planted_overall

),

compared as (

    select
        expected.attribute,
        expected.segment,
        expected.attribute_value,
        expected.planted_share,
        coalesce(observed.users, 0) as users,
        sum(coalesce(observed.users, 0)) over (
            partition by expected.attribute, expected.segment
        ) as segment_users
    from expected
    left join observed
        on expected.attribute = observed.attribute
        and expected.segment = observed.segment
        and expected.attribute_value = observed.attribute_value

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        case
            when segment = '(all)' then 'attribute share over all users'
            else 'attribute share within a segment'
        end as quantity,
        attribute || ' = ' || attribute_value || ' | ' || segment as cell,
        cast(users as double) / segment_users as measured,
        planted_share as expected,
        sqrt(planted_share * (1 - planted_share) / segment_users) as standard_error,
        attribute,
        segment,
        attribute_value,
        users,
        segment_users
    from compared
    where segment_users > 0

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where abs(measured - expected) > 4 * standard_error
{% endif %}
