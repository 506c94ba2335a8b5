{#- Observable attributes in dim_users against what was planted: within each hidden
    segment (joined from truth.users) and over all users, and over all users by year of
    signup, where a drifting mix shows. A categorical attribute's expected count sums each
    user's chance of the value at their signup (truth.attribute_mix, drift included), with
    the binomial variance summed likewise; a numeric attribute's bands and the role come
    from the planted shares (a segment's role is planted with share 1, so it must hold
    exactly). A value the users table left empty is unknown, and empty at random: each
    cell's expectation and variance are taken over the users whose value is known (its
    segment and year's known share of them). Each within 4 standard errors. -#}
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

mix as (

    select * from {{ source('truth', 'attribute_mix') }}

),

first_year as (

    select min(year_start) as starts_on from mix

),

users_by_year as (

    select
        users.*,
        truth_users.segment,
        cast(floor(
            {{ dbt.datediff('first_year.starts_on', 'users.signup_date', 'day') }} -- noqa: LT05
            / 365.25
        ) as integer) as year_number
    from users
    inner join truth_users
        on users.user_id = cast(truth_users.user_id as {{ dbt.type_string() }})
    cross join first_year

),

labelled as (

    {% for attribute in attributes %}
        select
            '{{ attribute }}' as attribute,
            segment,
            year_number,
            {{ attribute }} as attribute_value
        from users_by_year
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

segment_years as (

    select
        segment,
        year_number,
        count(*) / {{ attributes | length }} as users
    from labelled
    group by segment, year_number

),

-- shares planted as constants (role, numeric bands): expected users per segment and year
planted_constant as (

    select
        substring(parameters.parameter, length('attribute.') + 1) as attribute,
        substring(parameters.dimension, 1, position('/' in parameters.dimension) - 1)
            as segment,
        substring(parameters.dimension, position('/' in parameters.dimension) + 1)
            as attribute_value,
        parameters.value as planted_share
    from parameters
    where
        parameters.parameter like 'attribute.%'
        and substring(parameters.parameter, length('attribute.') + 1)
        not in (select distinct mix.attribute from mix)

),

expected_cells as (

    select
        planted_constant.attribute,
        planted_constant.segment,
        segment_years.year_number,
        planted_constant.attribute_value,
        segment_years.users * planted_constant.planted_share as expected_users,
        segment_years.users * planted_constant.planted_share
        * (1 - planted_constant.planted_share) as variance
    from planted_constant
    inner join segment_years on planted_constant.segment = segment_years.segment

    union all

    select
        attribute,
        segment,
        year_number,
        attribute_value,
        expected_users,
        variance
    from mix

),

-- the share of each segment and year whose value is known (not left empty)
known as (

    select
        attribute,
        segment,
        year_number,
        cast(count(attribute_value) as {{ dbt.type_float() }}) / count(*) as known_share
    from labelled
    group by attribute, segment, year_number

),

observed_cells as (

    select
        attribute,
        segment,
        year_number,
        attribute_value,
        count(*) as users
    from labelled
    group by attribute, segment, year_number, attribute_value

),

cells as (

    select
        expected_cells.attribute,
        expected_cells.segment,
        expected_cells.year_number,
        expected_cells.attribute_value,
        expected_cells.expected_users * known.known_share as expected_users,
        expected_cells.variance * known.known_share as variance,
        coalesce(observed_cells.users, 0) as users
    from expected_cells
    inner join known
        on expected_cells.attribute = known.attribute
        and expected_cells.segment = known.segment
        and expected_cells.year_number = known.year_number
    left join observed_cells
        on expected_cells.attribute = observed_cells.attribute
        and expected_cells.segment = observed_cells.segment
        and expected_cells.year_number = observed_cells.year_number
        and expected_cells.attribute_value = observed_cells.attribute_value

),

-- the three views: within a segment, over all users, over all users by year of signup
grouped as (

    select
        'attribute share within a segment' as quantity,
        attribute,
        segment as breakdown,
        attribute_value,
        sum(users) as users,
        sum(expected_users) as expected_users,
        sum(variance) as variance
    from cells
    group by attribute, segment, attribute_value

    union all

    select
        'attribute share over all users' as quantity,
        attribute,
        '(all)' as breakdown,
        attribute_value,
        sum(users) as users,
        sum(expected_users) as expected_users,
        sum(variance) as variance
    from cells
    group by attribute, attribute_value

    union all

    select
        'attribute share by year of signup' as quantity,
        attribute,
        'year ' || cast(year_number as {{ dbt.type_string() }}) as breakdown,
        attribute_value,
        sum(users) as users,
        sum(expected_users) as expected_users,
        sum(variance) as variance
    from cells
    group by attribute, year_number, attribute_value

),

compared as (

    select
        *,
        sum(users) over (partition by quantity, attribute, breakdown) as breakdown_users
    from grouped

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        quantity,
        attribute || ' = ' || attribute_value || ' | ' || breakdown as cell,
        cast(users as double) / breakdown_users as measured,
        expected_users / breakdown_users as expected,
        sqrt(variance) / breakdown_users as standard_error,
        attribute,
        breakdown,
        attribute_value,
        users,
        breakdown_users
    from compared
    where breakdown_users > 0

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where abs(measured - expected) > 4 * standard_error
{% endif %}
