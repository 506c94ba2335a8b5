"""The raw and truth tables: names, columns and DuckDB types. Each behaviour declares the
tables it adds (generator/behaviours/<name>/tables.py); this module lists them all. dbt's
sources declare the same raw columns; a test keeps the two in agreement."""

from __future__ import annotations

from generator.behaviours.activity import tables as activity
from generator.behaviours.actors import tables as actors
from generator.behaviours.adoption import tables as adoption
from generator.behaviours.arrivals import tables as arrivals
from generator.behaviours.events import tables as events
from generator.behaviours.experiments import tables as experiments
from generator.behaviours.faults import tables as faults
from generator.behaviours.funnels import tables as funnels
from generator.behaviours.lifecycle import tables as lifecycle
from generator.behaviours.llm import tables as llm
from generator.behaviours.marketing import tables as marketing
from generator.behaviours.outcomes import tables as outcomes
from generator.behaviours.segments import tables as segments
from generator.behaviours.subscriptions import tables as subscriptions
from generator.behaviours.values import tables as values

_BEHAVIOURS = (
    segments,
    arrivals,
    activity,
    events,
    funnels,
    lifecycle,
    subscriptions,
    llm,
    experiments,
    marketing,
    adoption,
    values,
    actors,
    outcomes,
    faults,
)
RAW_TABLES: dict[str, dict[str, str]] = {
    name: columns for b in _BEHAVIOURS for name, columns in b.RAW.items()
}
# per raw table that grows with time, the column saying when each row arrived
ARRIVES_AT: dict[str, str] = {
    name: column for b in _BEHAVIOURS for name, column in getattr(b, "ARRIVES_AT", {}).items()
}
# every planted number in long form; each behaviour adds its rows
PARAMETERS = {
    "parameter": "VARCHAR",
    "dimension": "VARCHAR",
    "value": "DOUBLE",
    "unit": "VARCHAR",
    "description": "VARCHAR",
}
# the numbers given with --params or --set, each beside the scenario's own (generator/params.py)
OVERRIDES = {
    "path": "VARCHAR",
    "scenario_value": "VARCHAR",
    "value": "VARCHAR",
    "source": "VARCHAR",
}
TRUTH_TABLES: dict[str, dict[str, str]] = {
    "parameters": PARAMETERS,
    "scenario_overrides": OVERRIDES,
    **{name: columns for b in _BEHAVIOURS for name, columns in b.TRUTH.items()},
}


def create_sql(schema: str, table: str, columns: dict[str, str]) -> str:
    cols = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    return f"create table {schema}.{table} ({cols})"


def cast_select(columns: dict[str, str]) -> str:
    """The select list casting each column to its declared type, in declared order: how a
    table's rows are written, into the warehouse or into a lake."""
    return ", ".join(f"cast({name} as {kind}) as {name}" for name, kind in columns.items())


def raw_tables(
    attributes: dict[str, str], actor_attributes: dict[str, str]
) -> dict[str, dict[str, str]]:
    """The raw tables of a world: raw.users carries one column per declared attribute and
    raw.actors one per declared actor attribute (attribute name: its DuckDB type)."""
    tables = dict(RAW_TABLES)
    tables["users"] = {**RAW_TABLES["users"], **attributes}
    tables["actors"] = {**RAW_TABLES["actors"], **actor_attributes}
    return tables
