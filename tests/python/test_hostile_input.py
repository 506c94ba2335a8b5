"""Hostile input: every bad scenario gets one line and exit status 2, no traceback, and the
warehouse is left as it was; a scenario that validates simulates without failing and
writes sane raw tables.

The fuzz mutates the default scenario with Hypothesis (seeded: `derandomize`, so a failure
reproduces; FUZZ_EXAMPLES sets how many, 250 by default, 800 in `make hostile`). Each
mutation is one of two kinds:
- surely invalid whatever it hits (inf, nan, a boolean or a huge number for a number, a
  number for a name, a name with spaces, an unknown key, the wrong kind of container, a date
  far outside, a key given twice, UTF-16 text, deep nesting): it must be refused, naming
  what it broke;
- possibly valid (a number negated or scaled, a key dropped, a value emptied, one name put
  for another): refused in one line, or else simulated (300 users) with sane raw tables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import math
import os
import re
from pathlib import Path

import duckdb
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import DEFAULT_SCENARIO, run_generator
from generator import cli, simulate
from generator.scenario import ScenarioError, load_scenario

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "250"))
SURELY_INVALID = (
    "inf",
    "nan",
    "bool_for_number",
    "huge_number",
    "text_for_number",
    "number_for_text",
    "name_with_spaces",
    "unknown_key",
    "wrong_container",
    "far_date",
    "duplicate_key",
    "utf16",
    "deep_nesting",
)
POSSIBLY_VALID = ("negate", "scale", "drop_key", "null", "other_name")
BASE = yaml.safe_load(DEFAULT_SCENARIO.read_text())
NAMES = sorted(
    {k for k in BASE["events"]["catalog"]} | {k for k in BASE["segments"]} | {"free", "plus"}
)


def _nodes(node, path=()):
    """(path, value) of every node below the top level, containers included."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        yield (*path, key), value
        if isinstance(value, (dict, list)):
            yield from _nodes(value, (*path, key))


NODES = list(_nodes(BASE))
NUMBERS = [p for p, v in NODES if isinstance(v, (int, float)) and not isinstance(v, bool)]
TEXTS = [p for p, v in NODES if isinstance(v, str) and p[-1] != "description"]
DATES = [p for p, v in NODES if isinstance(v, dt.date)]
MAPPINGS = [p for p, v in NODES if isinstance(v, dict)]
CONTAINERS = [p for p, v in NODES if isinstance(v, (dict, list)) and v]


def _copy(node):
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _get(doc, path):
    node = doc
    for key in path:
        node = node[key]
    return node


def _named(path) -> str:
    """The last key of a path that is a name rather than a list position."""
    return next(str(k) for k in reversed(path) if not isinstance(k, int))


def mutate(data: st.DataObject, kind: str) -> tuple[bytes, str]:
    """The mutated scenario file's bytes, and a word its error must name ('' for any)."""
    doc = _copy(BASE)
    pick = lambda paths: data.draw(st.sampled_from(paths))  # noqa: E731
    if kind in ("inf", "nan", "bool_for_number", "huge_number", "text_for_number"):
        path = pick(NUMBERS)
        value = {
            "inf": data.draw(st.sampled_from([math.inf, -math.inf])),
            "nan": math.nan,
            "bool_for_number": data.draw(st.booleans()),
            "huge_number": data.draw(st.sampled_from([1e308, -1e308, 10**30])),
            "text_for_number": "12 apples",
        }[kind]
        _set(doc, path, value)
        return yaml.safe_dump(doc).encode(), _named(path)
    if kind in ("number_for_text", "name_with_spaces"):
        path = pick(TEXTS)
        _set(doc, path, 12345 if kind == "number_for_text" else "drop table; --")
        return yaml.safe_dump(doc).encode(), _named(path)
    if kind == "unknown_key":
        _get(doc, pick(MAPPINGS))["zz_unknown"] = "zz"
        return yaml.safe_dump(doc).encode(), "zz_unknown"
    if kind == "wrong_container":
        path = pick(CONTAINERS)
        _set(doc, path, [1, 2] if isinstance(_get(doc, path), dict) else {"a": 1})
        return yaml.safe_dump(doc).encode(), _named(path)
    if kind == "far_date":
        path = pick(DATES)
        _set(doc, path, data.draw(st.sampled_from(["9999-12-31", "0001-01-01", "1900-01-01"])))
        return yaml.safe_dump(doc).encode(), _named(path)
    text = yaml.safe_dump(doc)
    if kind == "duplicate_key":
        lines = text.splitlines(keepends=True)
        keyed = [i for i, line in enumerate(lines) if re.match(r"^ *[A-Za-z0-9_.-]+:( |$)", line)]
        i = data.draw(st.sampled_from(keyed))
        return "".join([*lines[: i + 1], lines[i], *lines[i + 1 :]]).encode(), "twice"
    if kind == "utf16":
        return text.encode("utf-16"), "UTF-8"
    if kind == "deep_nesting":
        depth = data.draw(st.integers(30, 600))
        return (text + "zz_deep: " + "[" * depth + "]" * depth + "\n").encode(), "nested"
    # possibly valid
    if kind == "negate":
        path = pick(NUMBERS)
        _set(doc, path, -_get(doc, path))
    elif kind == "scale":
        path = pick(NUMBERS)
        factor = data.draw(st.sampled_from([0, 0.01, 0.5, 1.5, 3, 40]))
        _set(doc, path, _get(doc, path) * factor)
    elif kind == "drop_key":
        path = pick([p for p, _ in NODES if not isinstance(p[-1], int)])
        del _get(doc, path[:-1])[path[-1]]
    elif kind == "null":
        _set(doc, pick([p for p, _ in NODES]), None)
    elif kind == "other_name":
        _set(doc, pick(TEXTS), data.draw(st.sampled_from(NAMES)))
    return yaml.safe_dump(doc).encode(), ""


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> tuple[Path, str]:
    """A warehouse the bad runs must leave byte-identical, and its hash."""
    db = tmp_path_factory.mktemp("guarded") / "warehouse.duckdb"
    simulate.generate(
        load_scenario(DEFAULT_SCENARIO, users=300), seed=3, db_path=db, progress=False
    )
    return db, hashlib.sha256(db.read_bytes()).hexdigest()


def _main(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(list(argv))
    return code, err.getvalue()


def _sane(db: Path, start: dt.date, end: dt.date) -> None:
    """Raw tables a valid scenario writes hold values a tracker could log (but for the
    faults it plants, each labelled in truth)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        # a device clock that is off, and a flipped duration, are planted faults: labelled
        labelled = "select row_id from truth.faults where fault = '{}'"
        checks = {
            "events within the timeframe": "select count(*) from raw.events "
            f"where (event_at < '{start}' or event_at >= '{end}'::date + 1) "
            f"and event_id not in ({labelled.format('clock_skew')})",
            "no negative duration": "select count(*) from raw.events where duration_ms < 0 "
            f"and event_id not in ({labelled.format('negative_duration')})",
            "signups within the timeframe": "select count(*) from raw.users "
            f"where signed_up_at < '{start}' or signed_up_at >= '{end}'::date + 1",
            "latency positive": "select count(*) from raw.llm_responses where latency_ms <= 0",
            "ratings 1 to 5": "select count(*) from raw.llm_responses "
            "where rating not between 1 and 5",
            "amounts not negative": "select count(*) from raw.invoices where amount < 0",
        }
        for what, sql in checks.items():
            bad = con.execute(sql).fetchone()
            assert bad is not None and bad[0] == 0, what
    finally:
        con.close()


@settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzzed_scenarios_are_refused_in_one_line_or_simulate_sanely(
    data, guarded, tmp_path_factory
):
    db, digest = guarded
    kinds = SURELY_INVALID + POSSIBLY_VALID
    kind = data.draw(st.sampled_from(kinds), label="mutation")
    event(kind)
    content, word = mutate(data, kind)
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "scenario.yml"
    path.write_bytes(content)

    try:
        scenario = load_scenario(path)
        refused = None
    except ScenarioError as exc:
        refused = str(exc)

    if kind in SURELY_INVALID:
        assert refused is not None, f"{kind}: an invalid scenario was accepted"
        assert word in refused, f"{kind}: '{refused}' does not name {word}"
    event("refused" if refused is not None else "validated and simulated")
    if refused is not None:
        code, err = _main("generate", "--scenario", str(path), "--db", str(db), "--quiet")
        assert code == 2 and err.count("\n") == 1 and err.startswith("error: "), err
        assert "Traceback" not in err
        assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
        return
    new = folder / "new.duckdb"
    code, err = _main(
        "generate", "--scenario", str(path), "--users", "300", "--db", str(new), "--quiet"
    )
    assert code == 0, f"{kind}: a scenario that validated failed to simulate: {err}"
    _sane(new, scenario.start, scenario.end)


# -- the cases seen by hand, named ---------------------------------------------------------------
def _with(path: str, value) -> dict:
    doc = _copy(BASE)
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    _set(doc, keys, value)
    return doc


NAMED_CASES = [
    ("infinite_latency", _with("llm.models.tutor-v1.latency_ms.median", math.inf), "median"),
    ("huge_session_rate", _with("activity.sessions_per_day", 1e308), "sessions_per_day"),
    (
        "zero_weekday_weights",
        _with("arrivals.weekday_weights", dict.fromkeys(BASE["arrivals"]["weekday_weights"], 0)),
        "weekday",
    ),
    ("end_far_away", _with("end", "9999-12-31"), "end"),
    ("users_beyond_a_machine", _with("users", 10**12), "users"),
    ("true_as_a_number", _with("churn.monthly_probability", True), "monthly_probability"),
    (
        "attribute_named_like_a_column",
        _with("attributes.email", BASE["attributes"]["device"]),
        "email",
    ),
    (
        "attribute_named_a_sql_word",
        _with("attributes.select", BASE["attributes"]["device"]),
        "select",
    ),
    (
        "attribute_not_a_column_name",
        _with("attributes.Age-Band", BASE["attributes"]["device"]),
        "Age-Band",
    ),
    (
        "event_named_end",
        _with("events.catalog.end", {"gap_seconds": {"median": 1, "sigma": 0}}),
        "end",
    ),
    ("quote_in_a_name", _with("segments.teacher.role", "o'teacher"), "role"),
    ("a_session_rate_no_machine_holds", _with("activity.sessions_per_day", 60.0), "sessions"),
]


@pytest.mark.parametrize(
    ("doc", "word"), [c[1:] for c in NAMED_CASES], ids=[c[0] for c in NAMED_CASES]
)
def test_named_bad_scenarios(tmp_path, doc, word):
    path = tmp_path / "s.yml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert word in str(caught.value) and "\n" not in str(caught.value)


def test_duplicate_keys_utf16_and_deep_nesting_are_named(tmp_path):
    text = DEFAULT_SCENARIO.read_text()
    cases = {
        "dup.yml": (text + "users: 10\n").encode(),
        "utf16.yml": text.encode("utf-16"),
        "deep.yml": (text + "x: " + "[" * 500 + "]" * 500 + "\n").encode(),
        "binary.yml": bytes(range(256)),
    }
    expected = {
        "dup.yml": "'users' given twice",
        "utf16.yml": "not UTF-8",
        "deep.yml": "nested too deeply",
        "binary.yml": "not UTF-8",
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ScenarioError, match=expected[name]):
            load_scenario(tmp_path / name)


# -- the command line ----------------------------------------------------------------------------
CLI_CASES = [
    ("users_zero", ["--users", "0"], "--users"),
    ("users_text", ["--users", "many"], "--users"),
    ("workers_zero", ["--workers", "0"], "--workers"),
    ("workers_thousand", ["--workers", "1000"], "--workers"),
    ("seed_negative", ["--seed", "-1"], "--seed"),
    ("seed_text", ["--seed", "x"], "--seed"),
    ("db_empty", ["--db", ""], "--db"),
    ("parquet_empty", ["--parquet", ""], "--parquet"),
    ("scenario_missing", ["--scenario", "no/such.yml"], "no such file"),
    ("scenario_a_folder", ["--scenario", "scenarios"], "not a regular file"),
    ("unknown_flag", ["--colour", "blue"], "--colour"),
]


@pytest.mark.parametrize(
    ("argv", "word"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES]
)
def test_bad_command_lines_are_one_line(guarded, argv, word):
    db, digest = guarded
    args = ["--db", str(db), *argv] if "--db" not in argv else argv
    result = run_generator(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and word in lines[0], result.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("command", ["report", "expect"])
def test_reading_commands_refuse_what_is_not_a_warehouse_in_one_line(tmp_path, command):
    text = tmp_path / "notes.txt"
    text.write_text("not a warehouse")
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    for db in (tmp_path / "missing.duckdb", text, empty, tmp_path):
        code, err = _main(command, "--db", str(db))
        assert code == 2 and err.count("\n") == 1 and err.startswith("error: "), err
    assert text.read_text() == "not a warehouse"


def test_report_replaces_only_a_report(guarded, tmp_path):
    db, _ = guarded
    mine = tmp_path / "mine.html"
    mine.write_text("<html>my own page</html>")
    code, err = _main("report", "--db", str(db), "--out", str(mine))
    assert code == 2 and "not a report" in err
    assert mine.read_text() == "<html>my own page</html>"
