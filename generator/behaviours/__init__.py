"""One package per planted behaviour. Each holds, in one place:

- section.py: its part of the scenario (pydantic models) and `check(world)`, which checks it
  against the sections it refers to; it imports only generator.section and other sections;
- simulate.py: its steps over one shard (functions of generator.state.Shard, run in turn by
  generator.shard), the raw rows it logs and, where it has them, `reference_tables`;
- truth.py: `parameters(scenario, add)`, its rows of truth.parameters, and `tables(...)`,
  its truth tables from the shards' summed truth;
- tables.py: the raw and truth tables it adds (RAW, TRUTH), with their DuckDB types;
- expect.py, where its raw tables carry them: its Great Expectations checks.

A new behaviour is a new package here plus one line in each list that composes them:
generator/scenario.py (its section and check), generator/shard.py (its steps),
generator/truth.py (PARAMETERS, TABLES) and generator/schema.py (its tables); and, when it
has them, generator/simulate.py (its reference tables) and generator/expectations.py
(EXPECTING)."""
