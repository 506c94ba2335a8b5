"""The raw tables are declared once in the generator and again as dbt sources: they must
agree. No model may read truth; the recovery tests must."""

from __future__ import annotations

import json

import duckdb
import pytest
import yaml

from conftest import ROOT, run_dbt
from generator.schema import RAW_TABLES

SOURCE_SYSTEMS = ("app", "billing", "marketing")


def test_dbt_sources_declare_the_generators_raw_tables():
    """One source per source system, each in its staging folder, together declaring every
    raw table the generator writes with the same columns."""
    declared = {}
    for system in SOURCE_SYSTEMS:
        path = ROOT / "models" / "staging" / system / f"_{system}__sources.yml"
        (source,) = yaml.safe_load(path.read_text())["sources"]
        assert source["name"] == system and source["schema"] == "raw"
        for table in source["tables"]:
            declared[table["name"]] = [c["name"] for c in table["columns"]]
    assert declared == {table: list(columns) for table, columns in RAW_TABLES.items()}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("target")
    result = run_dbt(ROOT, target / "unused.duckdb", "parse", "--target-path", str(target))
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((target / "manifest.json").read_text())


def _depends_on_truth(manifest: dict, unique_id: str, seen: set[str]) -> bool:
    node = manifest["nodes"].get(unique_id)
    if node is None or unique_id in seen:
        return False
    seen.add(unique_id)
    for parent in node["depends_on"]["nodes"]:
        if parent.startswith("source.proving_ground.truth."):
            return True
        if _depends_on_truth(manifest, parent, seen):
            return True
    return False


def test_no_model_depends_on_truth(manifest):
    models = [uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"]
    assert len(models) >= 10
    offenders = [uid for uid in models if _depends_on_truth(manifest, uid, set())]
    assert offenders == []


def test_no_intermediate_model_reads_a_mart(manifest):
    layer = {
        uid: node["original_file_path"].split("/")[1]
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }
    offenders = [
        (uid, parent)
        for uid, node in manifest["nodes"].items()
        if layer.get(uid) == "intermediate"
        for parent in node["depends_on"]["nodes"]
        if layer.get(parent) == "marts"
    ]
    assert offenders == []


def test_descriptions_are_comments_in_the_warehouse(built_world):
    """persist_docs: an analyst opening the file in any SQL client sees every model's
    description, and every mart column's."""
    con = duckdb.connect(str(built_world), read_only=True)
    bare_relations = con.execute(
        "select table_name from duckdb_tables() where schema_name in ('marts', 'intermediate') "
        "and comment is null union all select view_name from duckdb_views() "
        "where schema_name = 'staging' and comment is null"
    ).fetchall()
    bare_columns = con.execute(
        "select table_name || '.' || column_name from duckdb_columns() "
        "where schema_name = 'marts' and comment is null"
    ).fetchall()
    described = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'marts'"
    ).fetchone()
    con.close()
    assert described is not None and described[0] >= 10
    assert bare_relations == [] and bare_columns == []


def test_every_marts_user_id_is_a_key_of_dim_users(manifest):
    """Foreign keys of the marts are tested: a user_id column relates to dim_users."""
    related = {
        (n["attached_node"], n["column_name"])
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test"
        and n.get("test_metadata", {}).get("name") == "relationships"
        and "model.proving_ground.dim_users" in n["depends_on"]["nodes"]
    }
    missing = [
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and "/marts/" in node["original_file_path"]
        and node["name"] != "dim_users"
        and "user_id" in node["columns"]
        and (uid, "user_id") not in related
    ]
    assert missing == []


def test_every_recovery_test_reads_truth_and_a_mart(manifest):
    recovery = [n for n in manifest["nodes"].values() if "recovery" in n.get("tags", [])]
    assert len(recovery) >= 6
    for node in recovery:
        parents = node["depends_on"]["nodes"]
        assert any(p.startswith("source.proving_ground.truth.") for p in parents), node["name"]
        assert any(p.startswith("model.proving_ground.") for p in parents), node["name"]


def test_every_model_has_a_grain_description_and_described_columns(manifest):
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        assert node["description"].startswith("One row per"), node["name"]
        if "/marts/" in node["original_file_path"]:
            undescribed = [c for c, v in node["columns"].items() if not v["description"]]
            assert undescribed == [], node["name"]


def test_every_model_has_a_primary_key_test(manifest):
    tested = {
        n["attached_node"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test" and n.get("test_metadata", {}).get("name") == "unique"
    }
    models = {uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    assert models - tested == set()


def test_the_tracking_plan_is_the_scenarios(built_world):
    """raw.event_catalog and raw.funnel_steps, which the warehouse reads to know the world,
    say what the scenario says: its events (the billing system's too) and their roles and
    types, its funnels and flows."""
    from generator.scenario import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "study_assistant.yml")
    con = duckdb.connect(str(built_world), read_only=True)
    catalog = con.execute(
        "select event_name, is_session_start, is_signup, is_paid_conversion from raw.event_catalog"
    ).fetchall()
    types = dict(con.execute("select event_name, event_type from raw.event_catalog").fetchall())
    steps = con.execute(
        "select funnel_name, event_name, window_days from raw.funnel_steps "
        "order by funnel_number, step_number"
    ).fetchall()
    con.close()
    assert [row[0] for row in catalog] == scenario.logged_events()
    system = {s.event for f in scenario.funnels.values() for s in f.steps if s.type == "system"}
    assert {n for n, t in types.items() if t == "system"} == system
    assert {n for n, t in types.items() if t == "billing"} == set(scenario.billing_events())
    assert set(scenario.event_names()) <= {n for n, t in types.items() if t == "user_action"}
    session_start, signup, paid_conversion = ([r[0] for r in catalog if r[i]] for i in (1, 2, 3))
    assert session_start == [scenario.events.session_start]
    assert signup == [scenario.events.signup]
    conversion_funnels = [f for f in scenario.funnels.values() if f.entry == "plan_conversion"]
    assert paid_conversion == [f.steps[-1].event for f in conversion_funnels]
    planted = [
        (name, step.event, funnel.window_days)
        for name, funnel in scenario.funnels.items()
        for step in funnel.steps
    ]
    flows = [
        (name, event, flow.window_days)
        for name, flow in scenario.events.flows.items()
        for event in flow.steps
    ]
    assert steps == planted + flows


def test_a_world_without_subscriptions_funnels_experiments_or_marketing_builds(tmp_path):
    """All are optional in a scenario: the warehouse and its tests must not need them
    (their marts are then empty)."""
    from conftest import copy_project, run_generator

    data = yaml.safe_load((ROOT / "scenarios" / "study_assistant.yml").read_text())
    data.pop("subscriptions")
    data.pop("funnels")
    data.pop("experiments")
    data.pop("marketing")
    scenario = tmp_path / "minimal.yml"
    scenario.write_text(yaml.safe_dump(data))
    db = tmp_path / "minimal.duckdb"
    generated = run_generator("--scenario", str(scenario), "--users", "2000", "--db", str(db))
    assert generated.returncode == 0, generated.stderr
    built = run_dbt(copy_project(tmp_path / "project"), db, "build")
    assert built.returncode == 0, built.stdout[-3000:]


def test_dbt_experiment_windows_are_the_planted_windows():
    """Truth's counterfactual metrics use the simulator's windows, the marts dbt's var."""
    from generator.behaviours.experiments.section import WINDOWS as EXPERIMENT_WINDOWS

    configured = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    assert configured["experiment_windows"] == EXPERIMENT_WINDOWS


def test_dbt_measures_the_experiment_funnel_truth_measures(built_world):
    """fct_experiment_exposures measures the first funnel that starts at the signup
    (macro experiment_funnel); truth's counterfactual metrics measure the same one."""
    from generator.behaviours.experiments.simulate import experiment_funnel
    from generator.scenario import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "study_assistant.yml")
    con = duckdb.connect(str(built_world), read_only=True)
    first = con.execute(
        "select plan.funnel_name from raw.funnel_steps as plan "
        "inner join raw.event_catalog as catalog using (event_name) "
        "where plan.step_number = 1 and catalog.is_signup "
        "order by plan.funnel_number limit 1"
    ).fetchone()
    con.close()
    assert first is not None and first[0] == experiment_funnel(scenario)
