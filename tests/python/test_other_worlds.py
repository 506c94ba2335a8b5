"""A world other than the default builds with plain `dbt build` and gets its report: here
one whose signup and session events have other names, whose segment shares and
attributes differ, with no subscriptions, no LLM and no marketing. The warehouse learns
the events from the world's tracking plan and the attributes from raw.users; the
sections of behaviours the world lacks say so instead of failing."""

from __future__ import annotations

import re
import subprocess
import sys

import duckdb
import pytest
import yaml

from conftest import DEFAULT_SCENARIO, ROOT, build_world, run_dbt

USERS = 3000
SIGNUP, SESSION_START = "account_created", "session_started"


def _renamed_world() -> dict:
    text = DEFAULT_SCENARIO.read_text()
    text = re.sub(r"\bsign_up\b", SIGNUP, text)
    text = re.sub(r"\bapp_open\b", SESSION_START, text)
    world = yaml.safe_load(text)
    for section in ("subscriptions", "llm", "marketing"):
        world.pop(section)
    world["segments"]["teacher"]["share"] = 0.15  # other shares than the default world's
    world["segments"]["casual_student"]["share"] = 0.42
    attributes = world["attributes"]  # other attributes: renamed, dropped, added
    attributes["platform"] = attributes.pop("device")
    attributes.pop("country")
    attributes["age_band"] = {
        "values": ["under_18", "18_24", "25_plus"],
        "shares": {segment: [0.5, 0.3, 0.2] for segment in world["segments"]},
    }
    attributes["age_band"]["shares"]["teacher"] = [0.0, 0.1, 0.9]
    world["funnels"].pop("upgrade")  # a plan-conversion funnel needs subscriptions
    world["experiments"] = {
        name: exp
        for name, exp in world["experiments"].items()
        if not {"plan_conversion", "answer_rating"}
        & {b for effects in exp.get("effects", {}).values() for b in effects}
    }
    return world


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    base = tmp_path_factory.mktemp("renamed")
    scenario = base / "renamed.yml"
    scenario.write_text(yaml.safe_dump(_renamed_world(), sort_keys=False))
    db, _ = build_world(base, "--scenario", str(scenario), "--users", str(USERS))
    return db


def test_the_marts_read_the_worlds_own_events(renamed):
    con = duckdb.connect(str(renamed), read_only=True)
    signup_sessions = con.execute(
        "select count(*) from marts.fct_sessions where is_signup_session"
    ).fetchone()
    onboarding = con.execute(
        "select event_name, users_reaching from marts.fct_funnel_conversion "
        "where funnel_name = 'onboarding' and breakdown = '(all)' and step_number = 1"
    ).fetchone()
    flows = con.execute(
        "select distinct event_name from marts.fct_funnel_conversion "
        "where funnel_name = 'quiz_flow' and step_number = 1"
    ).fetchall()
    con.close()
    assert signup_sessions == (USERS,)  # every account opens with its signup session
    assert onboarding == (SIGNUP, USERS)
    assert flows == [(SESSION_START,)]


def test_the_worlds_attributes_reach_the_marts(renamed):
    con = duckdb.connect(str(renamed), read_only=True)
    columns = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'dim_users'"
        ).fetchall()
    }
    breakdowns = {
        r[0]
        for r in con.execute(
            "select distinct breakdown from marts.fct_funnel_conversion"
        ).fetchall()
    }
    teachers_under_18 = con.execute(
        "select count(*) from marts.dim_users where role = 'teacher' and age_band = 'under_18'"
    ).fetchone()
    con.close()
    assert {"platform", "acquisition_channel", "age_band"} <= columns
    assert not {"device", "country"} & columns
    assert breakdowns == {
        "(all)",
        "role",
        "platform",
        "acquisition_channel",
        "age_band",
        "cohort_month",
    }
    assert teachers_under_18 == (0,)  # planted share 0


def test_the_report_says_what_the_world_lacks(renamed, tmp_path):
    out = tmp_path / "report.html"
    result = subprocess.run(
        [sys.executable, "-m", "generator", "report", "--db", str(renamed), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    page = out.read_text()
    for lacking in ("subscriptions", "marketing", "LLM answers"):
        assert f"Nothing to show: this world has no {lacking}" in page
    assert "Nothing to show: this world has no funnels" not in page
    assert "Nothing to show: this world has no experiments" not in page


def test_the_ready_analyses_ask_about_this_world(renamed):
    project = renamed.parent / "project"
    result = run_dbt(project, renamed, "compile", "--select", "resource_type:analysis")
    assert result.returncode == 0, result.stdout[-3000:]
    compiled = project / "target" / "compiled" / "proving_ground" / "analyses"
    con = duckdb.connect(str(renamed), read_only=True)
    try:
        answers = {
            path.stem: con.execute(path.read_text()).fetchall() for path in compiled.glob("*.sql")
        }
    finally:
        con.close()
    assert answers["which_features_go_with_retention"]
    leaks = answers["where_funnels_leak_by_role"]
    assert {(row[0], row[3]) for row in leaks if row[2] == 1} >= {
        ("onboarding", SIGNUP),
        ("quiz_flow", SESSION_START),
    }
    assert answers["which_channel_is_worth_its_spend"] == []  # no marketing in this world
