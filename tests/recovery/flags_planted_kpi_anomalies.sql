{#- fct_kpi_anomalies against the planted anomaly days. A planted day must be flagged on
    new users and DAU wherever the planted shift (truth's expected value against the
    day's baseline without the anomaly) is at least the threshold's t of the mart's
    spreads plus 4 standard deviations of the day's count less its baseline (truth's
    sqrt(expected_sd^2 + baseline_sd^2)), so missing it would take a 4-sd fluke; in a
    small world a spread can be far below a count's noise (it is floored at 0.1), and
    there a miss can be chance. Every other flag is a false one: a
    day-metric is flagged by noise with chance at most 2 x (1 - Phi(t)) (Mills ratio
    below) under normal noise; a count with baseline b is skewed (1 / sqrt(b) for a
    Poisson count), and the first Edgeworth term raises that chance by the factor
    1 + t (t^2 - 1) / (6 sqrt(b)). So the false flags have mean m = the sum of those
    chances over the scored day-metrics and may not exceed m + 4 sqrt(m), nor 3 when m is
    small (at threshold 4 over three years and three metrics of large counts m = 0.2, and
    more than 3 false flags has chance below 0.1%). Day-metrics whose baseline is too
    small for the expansion (its first term more than 3 times the normal tail, a baseline
    under (t (t^2 - 1) / 18)^2, 11 a day at threshold 4: a handful of signups a day in a
    small world) are not judged: there a single event can be a flag. -#}
{%- set t = var('kpi_anomaly_threshold') -%}
{%- set smallest_baseline = (t * (t * t - 1) / 18) ** 2 -%}
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
        and abs(planted.expected - planted.baseline)
        >= {{ t }} * flags.spread
        + 4 * sqrt(
            planted.expected_sd * planted.expected_sd
            + planted.baseline_sd * planted.baseline_sd
        )
        and not flags.is_anomaly

),

false_flags as (

    select flags.*
    from flags
    left join anomalies on flags.kpi_date = anomalies.anomaly_date
    where flags.is_anomaly
        and anomalies.anomaly_date is null
        and flags.baseline >= {{ smallest_baseline }}

),

bound as (

    select
        2 * exp(-{{ t }} * {{ t }} / 2) / ({{ t }} * sqrt(2 * pi()))
        * (1 - 1 / ({{ t }} * {{ t }}) + 3 / ({{ t }} * {{ t }} * {{ t }} * {{ t }}))
        * sum(1 + {{ t }} * ({{ t }} * {{ t }} - 1) / (6 * sqrt(baseline)))
            as expected_false_flags
    from flags
    where score is not null and baseline >= {{ smallest_baseline }}

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
