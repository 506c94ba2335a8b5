"""The dashboard: its explorers' SQL counts what the marts count, and in headless Chromium
every page renders its charts with no exception, on the default world and on a world
lacking most behaviours; a missing, locked or unbuilt warehouse gets one line on the page
and in the terminal, and a served dashboard never keeps a writer out.

Each page's load time (navigation until its last chart is drawn) is written to
target/dashboard_timings.json, never asserted; DASHBOARD_DB=path measures another built
warehouse (the 50,000-user world, say) the same way."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from conftest import CHROMIUM_FLAGS, ROOT, copy_project, run_dbt, run_generator
from generator.dashboard import PAGES, command
from generator.dashboard import queries as q
from generator.dashboard.warehouse import Warehouse, breakdowns

playwright_api = pytest.importorskip("playwright.sync_api")

TIMINGS = ROOT / "target" / "dashboard_timings.json"
# Chromium flags for a driven browser (no dump, no virtual time)
DRIVEN_FLAGS = [
    f for f in CHROMIUM_FLAGS if not f.startswith(("--headless", "--virtual-time", "--host"))
]
RENDERED = re.compile(r"Page rendered in ([\d.]+) s with (\d+) charts")


# --- the explorers' SQL against the marts -----------------------------------------------


def test_the_funnel_explorer_counts_as_the_funnel_mart(built_world):
    wh = Warehouse(built_world)
    plan = wh.query(q.world_funnels())
    assert not plan.empty
    for name, spec in plan.groupby("funnel_name", sort=False):
        ours = wh.query(q.funnel(list(spec.event_name), float(spec.window_days.iloc[0])))
        mart = wh.query(
            "select step_number, users_reaching from marts.fct_funnel_conversion "
            f"where funnel_name = {q.literal(name)} and breakdown = '(all)' order by 1"
        )
        assert list(ours.users_reaching) == list(mart.users_reaching), name


def test_the_retention_explorer_counts_as_the_retention_mart(built_world):
    wh = Warehouse(built_world)
    for period in q.PERIOD_DAYS:
        ours = wh.query(q.retention("month", period))
        mart = wh.query(
            "select cohort_month as cohort, period_number, eligible_users, retained_on, "
            "retained_on_or_after from marts.fct_cohort_retention "
            f"where period_type = '{period}'"
        )
        joined = ours.merge(mart, on=["cohort", "period_number"], how="outer", indicator=True)
        assert (joined._merge == "both").all(), period
        for column in ("eligible_users", "retained_on", "retained_on_or_after"):
            assert (joined[f"{column}_x"] == joined[f"{column}_y"]).all(), (period, column)


def test_kpis_by_a_breakdown_add_up_to_the_daily_kpis(built_world):
    wh = Warehouse(built_world)
    column = breakdowns(wh)[0]
    start, end = dt.date(2000, 1, 1), dt.date(2100, 1, 1)
    split = wh.query(q.kpi_by_group(start, end, column))
    daily = wh.query(q.kpi_daily(start, end)).set_index("kpi_date")
    summed = split.groupby("kpi_date")[["new_users", "dau", "sessions"]].sum()
    summed = summed.reindex(daily.index, fill_value=0)
    assert split.group_value.nunique() > 1
    for metric in ("new_users", "dau", "sessions"):
        assert (summed[metric] == daily[metric]).all(), metric


def test_breakdowns_come_from_the_world(tmp_path):
    """A world's own attribute names become breakdowns; ids, e-mails and attributes with a
    single value or too many do not."""
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_users as select i as user_id, 'u' || i || '@x.org' as email, "
        "['north', 'south', 'east'][1 + i % 3] as region, 'same' as plan_kind, "
        "'city ' || i as city, i % 3 = 0 as is_churned, date '2024-01-01' as cohort_month "
        "from range(60) as t (i)"
    )
    con.close()
    assert breakdowns(Warehouse(db)) == ["region", "is_churned", "cohort_month"]


# --- the pages in a browser ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(db: Path, log: Path) -> Iterator[tuple[str, Path]]:
    """The dashboard over `db` on a free port, until the block ends; its terminal output
    goes to `log`."""
    port = _free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            command(db, port),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the dashboard did not start"
            time.sleep(0.5)
        yield base, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make browser` installs it"
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=DRIVEN_FLAGS, headless=True)
        yield b
        b.close()


class Visitor:
    """One browser tab on the dashboard, going from page to page as a user does (the
    first page loads the app; the others are reached from the sidebar)."""

    def __init__(self, browser, base: str) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.base = base
        self.runs = 0

    def close(self) -> None:
        self.page.close()

    def visit(self, key: str) -> dict:
        """Open one page and wait until its last chart is drawn: what it shows and how
        long it took."""
        page = self.page
        started = time.perf_counter()
        if self.runs == 0:
            page.goto(f"{self.base}/{'' if key == PAGES[0][0] else key}")
        else:
            title = dict(PAGES)[key]
            page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first.click()
        self.runs += 1
        sentinel = page.get_by_text(f"(run {self.runs})", exact=False)
        sentinel.wait_for(timeout=120_000)
        found = RENDERED.search(sentinel.inner_text())
        assert found, key
        charts = int(found.group(2))
        page.wait_for_function(
            "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
            arg=charts,
            timeout=120_000,
        )
        seconds = time.perf_counter() - started
        alerts = '[data-testid="stAlertContent{}"]'
        return {
            "page": key,
            "seconds": round(seconds, 2),
            "server_seconds": float(found.group(1)),
            "charts": charts,
            "drawn": page.locator(".js-plotly-plot").count(),
            "exceptions": page.locator('[data-testid="stException"]').count(),
            "errors": [e.inner_text() for e in page.locator(alerts.format("Error")).all()],
            "notes": [e.inner_text() for e in page.locator(alerts.format("Info")).all()],
            "sql": page.get_by_text("SQL", exact=True).count(),
        }


def load(browser, base: str, key: str) -> dict:
    """One page, opened in a fresh tab."""
    visitor = Visitor(browser, base)
    try:
        return visitor.visit(key)
    finally:
        visitor.close()


def _record(world: str, rows: list[dict]) -> None:
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    timings = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    timings[world] = {
        r["page"]: {k: r[k] for k in ("seconds", "server_seconds", "charts")} for r in rows
    }
    TIMINGS.write_text(json.dumps(timings, indent=2) + "\n")


def _every_page(browser, db: Path, tmp_path: Path, world: str) -> list[dict]:
    with served(db, tmp_path / "dashboard.log") as (base, log):
        visitor = Visitor(browser, base)
        try:
            rows = [visitor.visit(key) for key, _ in PAGES]
        finally:
            visitor.close()
        terminal = log.read_text()
    _record(world, rows)
    for row in rows:
        assert row["exceptions"] == 0, row
        assert not row["errors"], row
        assert row["drawn"] >= row["charts"], row
        assert row["charts"] > 0 or row["notes"], row  # a chart, or a note of what is lacking
    assert "Traceback" not in terminal, terminal[-3000:]
    return rows


def test_every_page_renders_on_the_default_world(browser, built_world, tmp_path):
    db = Path(os.environ.get("DASHBOARD_DB", built_world))
    rows = _every_page(
        browser, db, tmp_path, db.stem if "DASHBOARD_DB" in os.environ else "default"
    )
    assert all(r["charts"] > 0 for r in rows), rows  # the default world has every behaviour
    assert all(r["sql"] > 0 for r in rows), rows


@pytest.fixture(scope="module")
def bare_world(tmp_path_factory) -> Path:
    """The online shop at 2,000 users: no subscriptions, no LLM answers, no experiments'
    truth of the default world."""
    base = tmp_path_factory.mktemp("bare")
    db = base / "warehouse.duckdb"
    scenario = ROOT / "scenarios" / "online_shop.yml"
    made = run_generator(
        "--scenario", str(scenario), "--users", "2000", "--seed", "3", "--db", str(db)
    )
    assert made.returncode == 0, made.stderr
    built = run_dbt(copy_project(base / "project"), db, "run")
    assert built.returncode == 0, built.stdout[-3000:]
    return db


def test_every_page_renders_on_another_world(browser, bare_world, tmp_path):
    rows = _every_page(browser, bare_world, tmp_path, "online_shop")
    lacking = [r for r in rows if r["notes"] and r["charts"] == 0]
    assert lacking, "the online shop lacks LLM answers: that page should say so"
    assert all("this world has no" in " ".join(r["notes"]).lower() for r in lacking), lacking


def _first_error(browser, db: Path, tmp_path: Path) -> tuple[str, str]:
    with served(db, tmp_path / "dashboard.log") as (base, log):
        row = load(browser, base, PAGES[1][0])
        terminal = log.read_text()
    assert row["exceptions"] == 0, row
    assert len(row["errors"]) == 1, row
    return row["errors"][0], terminal


def test_a_missing_warehouse_gets_one_line(browser, tmp_path):
    missing = tmp_path / "nowhere.duckdb"
    shown, terminal = _first_error(browser, missing, tmp_path)
    assert "no such warehouse" in shown and "\n" not in shown.strip()
    assert "no such warehouse" in terminal and "Traceback" not in terminal
    assert not missing.exists()  # nothing made


def test_an_unbuilt_warehouse_gets_one_line(browser, tmp_path):
    db = tmp_path / "raw_only.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema raw; create table raw.events (event_id varchar)")
    con.close()
    shown, terminal = _first_error(browser, db, tmp_path)
    assert "no marts yet" in shown and "no marts yet" in terminal


def test_a_locked_warehouse_gets_one_line_and_the_dashboard_blocks_no_writer(
    browser, built_world, tmp_path
):
    db = tmp_path / "copy.duckdb"
    shutil.copy(built_world, db)
    writer = duckdb.connect(str(db))  # another process would hold this lock the same way
    try:
        with served(db, tmp_path / "dashboard.log") as (base, log):
            row = load(browser, base, PAGES[0][0])
            assert len(row["errors"]) == 1 and "in use by" in row["errors"][0], row
            assert "in use by" in log.read_text()
            writer.close()
            writer = None
            row = load(browser, base, PAGES[0][0])
            assert not row["errors"] and row["charts"] > 0, row
            # the page has rendered and the dashboard is still serving: a writer gets in
            writer = duckdb.connect(str(db))
            writer.execute("create table main.written_while_served as select 1 as x")
    finally:
        if writer is not None:
            writer.close()
