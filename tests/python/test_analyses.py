"""Every analysis in analyses/ compiles and runs on a built world and answers with rows."""

from __future__ import annotations

import duckdb
import pytest

from conftest import ROOT, run_dbt

ANALYSES = sorted(p.stem for p in (ROOT / "analyses").glob("*.sql"))


@pytest.fixture(scope="module")
def compiled(built_world):
    project = built_world.parent / "project"
    result = run_dbt(project, built_world, "compile", "--select", "resource_type:analysis")
    assert result.returncode == 0, result.stdout[-3000:]
    return project / "target" / "compiled" / "proving_ground" / "analyses"


def test_there_are_ready_questions():
    assert len(ANALYSES) >= 4


@pytest.mark.parametrize("name", ANALYSES)
def test_an_analysis_runs_and_answers(built_world, compiled, name):
    sql = (compiled / f"{name}.sql").read_text()
    con = duckdb.connect(str(built_world), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    assert rows, f"{name} returned no rows"
