"""`--params FILE.csv` and `--set path=value` override any number of a scenario, checked
like the YAML and recorded in truth; `--export csv|json|parquet DIR` writes every raw table."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from conftest import DEFAULT_SCENARIO, ROOT, run_generator
from generator import params
from generator.params import Override
from generator.scenario import ScenarioError
from generator.schema import RAW_TABLES


def _set(*items: str) -> list[Override]:
    return [params.parse_set(i) for i in items]


def test_overrides_replace_numbers_dates_and_list_items():
    scenario = params.load(
        DEFAULT_SCENARIO,
        overrides=_set(
            "users=1234",
            "arrivals.growth.annual_rate=0.4",
            "activity.age_decay.curve.0=0.9",
            "start=2023-02-01",
            "churn.monthly_probability=0.2",
        ),
    )
    assert scenario.users == 1234
    assert scenario.arrivals.growth.annual_rate == 0.4  # type: ignore[union-attr]
    assert scenario.activity.age_decay.curve[0] == 0.9
    assert str(scenario.start) == "2023-02-01"
    assert scenario.churn.monthly_probability == 0.2


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "segments.nobody.share=0.1",
            "--set: segments.nobody.share: the scenario has no segments.nobody",
        ),
        ("users=many", "--set: users: expects a number, got 'many'"),
        ("segments=1", "--set: segments: a mapping; override the values inside it"),
        ("activity.age_decay.curve.99=1", "the scenario has no activity.age_decay.curve.99"),
        ("start=2024-13-01", "start: expects a date (YYYY-MM-DD), got '2024-13-01'"),
        ("churn.monthly_probability=1.5", "churn.monthly_probability: Input should be less"),
        ("segments.teacher.share=0.5", "segments: shares must sum to 1"),
        ("events.catalog..feature=x", "not a path of keys joined by dots"),
    ],
)
def test_a_bad_override_is_named(item, message):
    with pytest.raises(ScenarioError, match=None) as raised:
        params.load(DEFAULT_SCENARIO, overrides=_set(item))
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_set_needs_a_path_and_a_value():
    with pytest.raises(ScenarioError, match="give path=value"):
        params.parse_set("users")


def test_a_parameters_file(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(
        "parameter,value,description\n"
        "# a comment row\n"
        "users,2500,patients\n"
        "\n"
        "segments.teacher.activity,2.0,teachers use it more\n"
    )
    rows = params.read_params(good)
    assert [(o.path, o.text, o.source) for o in rows] == [
        ("users", "2500", "good.csv line 2"),
        ("segments.teacher.activity", "2.0", "good.csv line 3"),
    ]
    assert params.load(DEFAULT_SCENARIO, overrides=rows).users == 2500
    for text, message in [
        ("name,number\nusers,3\n", "the header must name a parameter column and a value column"),
        ("parameter,value\nusers,3,extra\n", "bad.csv line 2: 3 cells, the header has 2"),
        ("", "no header"),
    ]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(ScenarioError, match=message):
            params.read_params(bad)
    with pytest.raises(ScenarioError, match="no such file"):
        params.read_params(tmp_path / "missing.csv")


def test_overrides_reach_truth(tmp_path):
    csv_file = tmp_path / "world.csv"
    csv_file.write_text("parameter,value\nusers,1500\nchurn.monthly_probability,0.25\n")
    db = tmp_path / "w.duckdb"
    result = run_generator(
        "--params", str(csv_file), "--set", "churn.monthly_probability=0.3", "--db", str(db)
    )
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    overrides = con.execute("select * from truth.scenario_overrides").fetchall()
    planted = con.execute(
        "select value from truth.parameters where parameter = 'churn.monthly_probability'"
    ).fetchone()
    users = con.execute("select count(*) from truth.users").fetchone()
    con.close()
    assert overrides == [
        ("users", "50000", "1500", "world.csv line 2"),
        ("churn.monthly_probability", "0.15", "0.25", "world.csv line 3"),
        ("churn.monthly_probability", "0.15", "0.3", "--set"),
    ]
    assert planted == (0.3,) and users == (1500,)


def test_a_bad_override_leaves_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    result = run_generator("--set", "segments.nobody.share=1", "--db", str(db))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --set: segments.nobody.share: the scenario has no segments.nobody"
    ]
    assert list(tmp_path.iterdir()) == []
    checked = subprocess.run(
        [sys.executable, "-m", "generator", "validate", "--set", "users=0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 2 and checked.stderr.count("\n") == 1


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_writes_every_raw_table(tmp_path, fmt):
    db, out = tmp_path / "w.duckdb", tmp_path / "export"
    result = run_generator("--users", "800", "--db", str(db), "--export", fmt, str(out))
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    counts = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in RAW_TABLES}
    con.close()
    reader = {"csv": "read_csv", "json": "read_json", "parquet": "read_parquet"}[fmt]
    suffix = {"csv": ".csv", "json": ".jsonl", "parquet": ".parquet"}[fmt]
    for table, n in counts.items():
        path = out / f"{table}{suffix}"
        if fmt == "parquet" and table == "events":
            path = out / "events" / "*" / "*.parquet"
        elif n == 0:
            assert path.exists()
            continue
        read = duckdb.execute(f"select count(*) from {reader}(?)", [str(path)]).fetchone()
        assert read == (n,), table
    manifest = json.loads((out / "proving_ground_export.json").read_text())
    assert manifest["format"] == fmt
    if fmt == "json":  # every user's onboarding journey, nested, one line each
        journeys = duckdb.execute(
            "select count(*), count(distinct user_id), min(len(steps)) from read_json(?)",
            [str(out / "journeys.jsonl")],
        ).fetchone()
        assert journeys == (counts["users"], counts["users"], 1)


def test_export_format_must_be_known(tmp_path):
    result = run_generator(
        "--db", str(tmp_path / "w.duckdb"), "--export", "xml", str(tmp_path / "x")
    )
    assert result.returncode == 2
    assert "--export: format 'xml' is not one of parquet, csv, json" in result.stderr
    assert list(tmp_path.iterdir()) == []
