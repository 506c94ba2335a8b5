"""The report: `python -m generator report` writes one HTML page over a built world that
headless Chromium, with every host name unresolvable, draws with no console error and
every chart drawn; planted vs measured agree within their tolerances; bad input gets one
line, a non-zero exit and the previous report untouched."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, chromium_dom
from generator.report import AREAS

# Put before every other script of the page: records uncaught errors and console.error
# calls, and writes them into the DOM once the page has loaded.
ERROR_PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message)));
const __consoleError = console.error;
console.error = (...args) => { window.__errors.push(args.join(' ')); __consoleError(...args); };
window.addEventListener('load', () => setTimeout(() => {
  document.body.setAttribute('data-errors', JSON.stringify(window.__errors));
}, 0));
</script>"""

SECTIONS = {
    "kpis",
    "activity",
    "retention",
    "funnels",
    "lifecycle",
    "revenue",
    "experiments",
    "churn",
    "forecasts",
    "attribution",
    "adoption",
    "llm",
    "quality",
    "paths",
    "planted",
}


def _report(db: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator", "report", "--db", str(db), "--out", str(out), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def report(built_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = _report(built_world, out)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result.stdout


@dataclass
class _Seen:
    drawn: dict[str, bool]
    sections: set[str]
    errors: str | None
    charted_sections: set[str]


def _drawn(page: Path, tmp_path: Path) -> _Seen:
    """Load the page (with the error probe) and read each chart div's drawn svg."""
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("<head>", "<head>" + ERROR_PROBE, 1))
    dom = chromium_dom(probed.as_uri(), tmp_path / "profile")
    body = re.search(r"<body[^>]*>", dom)
    errors = re.search(r'data-errors="([^"]*)"', body.group(0)) if body else None
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'<div id="(chart-\d+)"', dom)]
    drawn = {}
    for i, (start, chart) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(dom)
        drawn[chart] = 'class="main-svg"' in dom[start:end]
    sections = [(m.start(), m.group(1)) for m in re.finditer(r'<section id="([^"]+)"', dom)]
    charted = {
        max((s for s in sections if s[0] < start), default=(0, ""))[1] for start, _ in starts
    }
    return _Seen(
        drawn,
        {name for _, name in sections},
        html.unescape(errors.group(1)) if errors else None,
        charted,
    )


def test_the_report_is_one_offline_page(report):
    page, stdout = report
    text = page.read_text()
    assert re.search(r"wrote .*: 15 sections, \d+ charts", stdout)
    # plotly.js is embedded: no script or stylesheet is fetched from anywhere
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+href=", text)
    assert "Plotly.newPlot" in text


def test_chromium_draws_every_chart_without_an_error(report, tmp_path):
    page, stdout = report
    charts = int(re.search(r"(\d+) charts", stdout).group(1))
    seen = _drawn(page, tmp_path)
    assert seen.errors is not None, "the page did not finish loading"
    assert json.loads(seen.errors) == []
    assert seen.sections == SECTIONS
    # every section but the key-number tiles has a chart, and each chart written is there
    assert seen.charted_sections == SECTIONS - {"kpis"}
    assert len(seen.drawn) == charts
    assert all(seen.drawn.values()), [c for c, ok in seen.drawn.items() if not ok]


def test_the_probe_sees_a_broken_chart(report, tmp_path):
    """A chart whose data cannot be drawn shows up as an error and an undrawn chart."""
    page, _ = report
    broken = tmp_path / "broken.html"
    text, n = re.subn(
        r'Plotly\.newPlot\(\s*"chart-3"', 'Plotly.newPlot("nowhere"', page.read_text()
    )
    assert n == 1
    broken.write_text(text)
    seen = _drawn(broken, tmp_path)
    assert json.loads(seen.errors)
    assert seen.drawn["chart-3"] is False


def test_planted_and_measured_agree_within_tolerance(report, built_world):
    _, stdout = report
    match = re.search(r"planted vs measured: (\d+) of (\d+) within", stdout)
    within, checks = int(match.group(1)), int(match.group(2))
    assert checks >= 30
    assert within == checks
    con = duckdb.connect(str(built_world), read_only=True)
    try:
        rows = con.execute((ROOT / "reports" / "planted_vs_measured.sql").read_text()).fetchall()
    finally:
        con.close()
    # every area of the report's table has at least one comparison
    assert {r[0] for r in rows} == set(AREAS)


def test_a_missing_warehouse_is_one_line_and_exit_2(tmp_path):
    result = _report(tmp_path / "nowhere.duckdb", tmp_path / "r.html")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "nowhere.duckdb: no such warehouse" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_a_warehouse_without_marts_is_refused(tmp_path):
    db = tmp_path / "raw_only.duckdb"
    duckdb.connect(str(db)).close()
    result = _report(db, tmp_path / "r.html")
    assert result.returncode == 2
    assert "no marts yet" in result.stderr


def test_a_failing_query_leaves_the_previous_report(report, built_world, tmp_path):
    page, _ = report
    before = page.read_bytes()
    queries = tmp_path / "queries"
    queries.mkdir()
    for sql in (ROOT / "reports").glob("*.sql"):
        (queries / sql.name).write_text(sql.read_text())
    (queries / "mrr_bridge.sql").write_text("select * from marts.no_such_mart")
    result = _report(built_world, page, "--sql-dir", str(queries))
    assert result.returncode == 2
    assert "mrr_bridge.sql" in result.stderr and "no_such_mart" in result.stderr
    assert page.read_bytes() == before


def test_the_exposure_names_every_table_the_report_reads(built_world, report):
    """models/marts/_marts__exposures.yml lists exactly the marts and truth tables that
    reports/*.sql query, so the docs site's lineage shows what feeds the report."""
    manifest = json.loads((built_world.parent / "project" / "target" / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.proving_ground.product_report"]
    declared = {node.split(".", 2)[2] for node in exposure["depends_on"]["nodes"]}
    queried = set()
    for sql in (ROOT / "reports").glob("*.sql"):
        queried |= set(re.findall(r"\b(marts|truth)\.([a-z_0-9]+)", sql.read_text()))
    expected = {name if schema == "marts" else f"truth.{name}" for schema, name in queried}
    assert declared == expected
