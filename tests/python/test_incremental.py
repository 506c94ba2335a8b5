"""The event-grain models are incremental: a warehouse written through a day and built,
then appended day by day with an incremental `dbt run` after each append, equals a full
refresh of the same raw tables, model by model, late events included. An incremental
run that misses the new arrivals differs, so the comparison can fail."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import copy_project, run_dbt, run_generator, table_contents
from conftest import table_contents as contents

INCREMENTAL = (
    "staging.stg_app__event_deliveries",
    "intermediate.int_events_sessionized",
    "marts.fct_events",
    "marts.fct_sessions",
    "intermediate.int_user_activity_daily",
    "marts.fct_funnel_steps_reached",
    "marts.fct_user_paths",
)
SELECT = (
    "--select",
    "+fct_events",
    "+fct_sessions",
    "+int_user_activity_daily",
    "+fct_funnel_steps_reached",
    "+fct_user_paths",
)
THROUGH = dt.date(2024, 6, 30)


def model_contents(db: Path) -> dict[str, tuple[int, int]]:
    return table_contents(db, list(INCREMENTAL))


def _ok(result) -> None:
    assert result.returncode == 0, (result.stdout or "")[-3000:] + (result.stderr or "")[-2000:]


def _append(db: Path, days: int) -> None:
    _ok(run_generator("--db", str(db), "--append-days", str(days), "--workers", "2"))


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("incremental")
    project = copy_project(folder / "project")
    db = folder / "warehouse.duckdb"
    world = ("--users", "6000", "--seed", "3", "--workers", "2")
    _ok(run_generator(*world, "--db", str(db), "--through", str(THROUGH)))
    _ok(run_dbt(project, db, "run", *SELECT))  # the first build: full
    _append(db, 1)
    _ok(run_dbt(project, db, "run", *SELECT))  # incremental
    missed = folder / "missed.duckdb"
    shutil.copy(db, missed)
    _append(db, 6)
    _ok(run_dbt(project, db, "run", *SELECT))  # incremental again
    # the same 6 days appended, then an incremental run that looks for arrivals only
    # after a point a year past the newest row: it rebuilds nobody
    _append(missed, 6)
    _ok(run_dbt(project, missed, "run", *SELECT, "--vars", "{incremental_lookback_hours: -8784}"))
    full = folder / "full.duckdb"
    shutil.copy(db, full)
    _ok(run_dbt(project, full, "run", "--full-refresh", *SELECT))
    return {"incremental": db, "full": full, "missed": missed}


def test_incremental_runs_equal_a_full_refresh(grown):
    assert contents(grown["incremental"]) == contents(grown["full"])  # the same raw tables
    incremental, full = model_contents(grown["incremental"]), model_contents(grown["full"])
    assert [name for name in INCREMENTAL if incremental[name] != full[name]] == []


def test_the_appended_days_brought_late_events_of_earlier_days(grown):
    """The appends carried events that happened before the day they arrived (phones
    uploading late): those are the ones that move sessions in the past."""
    con = duckdb.connect(str(grown["full"]), read_only=True)
    try:
        late = con.execute(
            "select count(*) from marts.fct_events where received_at >= ? and event_at < ?",
            [THROUGH + dt.timedelta(days=1), THROUGH + dt.timedelta(days=1)],
        ).fetchall()[0][0]
    finally:
        con.close()
    assert late > 0


def test_an_incremental_run_that_misses_the_arrivals_differs(grown):
    missed, full = model_contents(grown["missed"]), model_contents(grown["full"])
    assert contents(grown["missed"]) == contents(grown["full"])
    assert all(missed[name] != full[name] for name in INCREMENTAL)


def test_an_incremental_run_for_other_funnels_stops(grown, tmp_path):
    """The funnels' steps reached hold one set of funnels: an incremental run asked for
    the world's first funnel with a window a day longer stops, says to rebuild in full,
    and leaves the table as it was."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(grown["incremental"], db)
    with duckdb.connect(str(db), read_only=True) as con:
        plan = con.execute(
            "select funnel_name, event_name, window_days from staging.stg_app__funnel_steps "
            "where funnel_number = 1 order by step_number"
        ).fetchall()
    assert plan, "the world has no funnel to ask for"
    funnel = {"steps": [row[1] for row in plan], "window_days": float(plan[0][2]) + 1}
    before = table_contents(db, ["marts.fct_funnel_steps_reached"])
    project = copy_project(tmp_path / "project")
    result = run_dbt(
        project,
        db,
        "run",
        "--select",
        "fct_funnel_steps_reached",
        "--vars",
        json.dumps({"funnels": {plan[0][0]: funnel}}),
    )
    assert result.returncode != 0
    assert "--full-refresh" in result.stdout
    assert table_contents(db, ["marts.fct_funnel_steps_reached"]) == before
