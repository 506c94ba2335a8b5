-- The planted data-quality faults, per fault class and raw table: the rows truth labels,
-- the rows staging's rules flag (fct_data_quality), what staging does with them, and the
-- rows it kept that still show the fault (leaked; null where it cannot be repaired).
with planted as (
    select
        fault,
        table_name,
        count(*) as planted
    from truth.faults
    group by fault, table_name
)

select
    quality.fault,
    quality.table_name,
    quality.handling,
    coalesce(planted.planted, 0) as planted,
    quality.rows_flagged as flagged,
    quality.rows_left as leaked
from marts.fct_data_quality as quality
left join planted
    on quality.fault = planted.fault and quality.table_name = planted.table_name
where quality.rows_flagged > 0 or planted.planted > 0
order by quality.table_name, quality.fault
