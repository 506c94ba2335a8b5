{#- `dbt run-operation register_lake --target spark --args '{path: DIR}'`: names every
    source table after the Parquet files of a lake (`generate --lake DIR`), each
    `<schema>.<table>` a table over `DIR/<schema>/<table>/`, so that the project's sources
    read the lake on Spark as they read the warehouse's schemas on DuckDB. A table of that
    name made by an earlier registration is replaced; DIR must be a path every executor
    reads at (a local path in local mode, a shared or object-store path on a cluster). -#}
{% macro register_lake(path) -%}
    {%- if target.type != 'spark' -%}
        {{ exceptions.raise_compiler_error(
            "register_lake: the lake is registered on Spark (--target spark); on DuckDB,"
            ~ " generate --db writes the warehouse itself"
        ) }}
    {%- endif -%}
    {%- set root = path.rstrip('/') -%}
    {%- set schemas = [] -%}
    {%- set tables = [] -%}
    {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
        {%- if source.schema not in schemas -%}
            {%- do schemas.append(source.schema) -%}
        {%- endif -%}
        {%- do tables.append((source.schema, source.identifier)) -%}
    {%- endfor -%}
    {%- for schema in schemas -%}
        {%- do run_query('create database if not exists ' ~ schema) -%}
    {%- endfor -%}
    {%- for schema, table in tables -%}
        {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ table) -%}
        {%- do run_query(
            'create table ' ~ schema ~ '.' ~ table ~ " using parquet location '"
            ~ root ~ '/' ~ schema ~ '/' ~ table ~ "'"
        ) -%}
    {%- endfor -%}
    {{ log('registered ' ~ tables | length ~ ' tables of ' ~ root, info=true) }}
{%- endmacro %}
