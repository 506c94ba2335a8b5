{#- fct_kpi_anomalies against the planted anomaly days. A planted day must be flagged on
    new users and DAU wherever the planted shift (truth's expected value against the
    day's baseline without the anomaly) is at least threshold + 4 of the mart's spreads,
    so missing it would take a 4-spread fluke. Every other flag is a false one: under
    normal noise a day-metric is flagged with chance at most 2 x (1 - Phi(threshold))
    (Mills ratio below), so the false flags have mean m = that x scored day-metrics and
    may not exceed m + 4 sqrt(m), nor 3 when m is small (at threshold 4 over three years
    and three metrics m = 0.2, and more than 3 false flags has chance below 0.1%). -#}
{%- set t = var('kpi_anomaly_threshold') -%}
with

flags as (

    select * from {{ ref('fct_kpi_anomalies') }}

),

anomalies as (

    select * from {{ source('truth', 'anomalies') }}

),

planted as (

    {{ planted_anomaly_days() }}

),

missed as (

    select
        'planted anomaly not flagged' as failure,
        planted.anomaly_date as kpi_date,
        planted.metric,
        flags.score,
        planted.anomaly_name as detail
    from planted
    inner join flags
        on planted.anomaly_date = flags.kpi_date
        and planted.metric = flags.metric
    where flags.spread is not null
        and abs(planted.expected - planted.baseline) >= ({{ t }} + 4) * flags.spread
        and not flags.is_anomaly

),

false_flags as (

    select flags.*
    from flags
    left join anomalies on flags.kpi_date = anomalies.anomaly_date
    where flags.is_anomaly and anomalies.anomaly_date is null

),

bound as (

    select
        2 * exp(-{{ t }} * {{ t }} / 2) / ({{ t }} * sqrt(2 * pi()))
        * (1 - 1 / ({{ t }} * {{ t }}) + 3 / ({{ t }} * {{ t }} * {{ t }} * {{ t }}))
        * count(score) as expected_false_flags
    from flags

),

false_count as (

    select count(*) as false_flags from false_flags

),

too_many as (

    select
        'false flags beyond the bound' as failure,
        false_flags.kpi_date,
        false_flags.metric,
        false_flags.score,
        cast(false_count.false_flags as {{ dbt.type_string() }}) || ' false flags, bound '
        || cast(greatest(
            3, bound.expected_false_flags
            + 4 * sqrt(bound.expected_false_flags)
        ) as {{ dbt.type_string() }}) as detail
    from false_flags
    cross join false_count
    cross join bound
    where false_count.false_flags
        > greatest(3, bound.expected_false_flags + 4 * sqrt(bound.expected_false_flags))

)

select * from missed
union all
select * from too_many
