"""`make calibrate`: are the recovery tests' statistics calibrated across seeds?

Every recovery test compares what a mart measured with what truth expects, in units of a
standard error (the test fails beyond about 4). With the dbt var `recovery_checks` each test
returns every comparison it made instead of its failures (macro recovery_checks). This
module builds one world per seed (simulate, then `dbt run` of the models the recovery tests
read), runs those comparisons on it, and judges them over the seeds, per quantity:

- bias: the mean of z = (measured - expected) / standard error, about 0;
- spread: the standard deviation of z, about 1 (above 1, the standard errors are too small);
- coverage: the share of the marts' 95% intervals holding the expected value, about 95%;
- null p-values: where nothing was planted, 5% below 0.05 and a tenth in each tenth of
  [0, 1] (uniform; the KS test's p-value is shown too, but it takes the p-values as
  independent, which those of one world are not: the metrics share their users);
- exact counts: a comparison with standard error 0 must match.

The comparisons within one world are not independent (a cumulative curve, nested funnel
steps, the same users in every metric), the worlds are: each figure's standard error is
taken over the seeds (a world's checks form a cluster), and a figure is off when it lies
further from its target than the Student t quantile with seeds - 1 degrees of freedom at the
two-sided level of 4 normal standard errors. That bound tends to 4 standard errors with
many seeds and widens honestly with few (10 seeds: 7.0).
"""

from __future__ import annotations

import contextlib
import html
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from scipy import stats

from generator.outputs import OutputError
from generator.scenario import Scenario
from generator.simulate import generate

NOMINAL_COVERAGE = 0.95  # the marts' intervals at the default experiment_alpha
NULL_SHARE = 0.05  # p-values below 0.05 where nothing was planted
ALARM = 2 * stats.norm.sf(4.0)  # two-sided level of 4 standard errors, per figure
CHECK_COLUMNS = [
    "test_name",
    "quantity",
    "cell",
    "measured",
    "expected",
    "standard_error",
    "p_value",
    "covered",
]
PAGE_MARK = "<title>Proving Ground calibration</title>"
OUR_FILES = {"world", "dbt", "calibration.html", "summary.csv", "comparisons.csv.gz"}


class CalibrationError(Exception):
    """The calibration cannot run (a world failed to build, too few seeds)."""


def bound(seeds: int) -> float:
    """How many standard errors (estimated over `seeds` worlds) a figure may be off."""
    if seeds < 3:
        raise CalibrationError(f"at least 3 seeds are needed to judge a spread (got {seeds})")
    return float(stats.t.isf(ALARM / 2, seeds - 1))


# --- building worlds and reading their comparisons --------------------------------------


def _dbt(project: Path, db: Path, target: Path, *args: str) -> None:
    dbt = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "DUCKDB_PATH": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [str(dbt), "--quiet", *args, "--target-path", str(target)]
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise CalibrationError(f"dbt {args[0]} failed on {db}: " + " | ".join(tail))


def compile_checks(project: Path, db: Path, target: Path) -> dict[str, str]:
    """The recovery tests compiled to return their comparisons, by test name."""
    select = ["--select", "path:tests/recovery", "--vars", "{recovery_checks: true}"]
    _dbt(project, db, target, "compile", *select)
    files = sorted(target.glob("compiled/*/tests/recovery/*.sql"))
    if not files:
        raise CalibrationError(f"dbt compiled no recovery test into {target}")
    return {f.stem: f.read_text() for f in files}


def world_checks(db: Path, queries: dict[str, str]) -> tuple[pd.DataFrame, list[str]]:
    """Every comparison the recovery tests make on the warehouse at `db`, and the names of
    the tests that make none in this shape (a detection rather than an estimate)."""
    frames, other = [], []
    con = duckdb.connect(str(db), read_only=True)
    try:
        for name, sql in queries.items():
            df = con.execute(sql).df()
            if list(df.columns) != CHECK_COLUMNS:
                other.append(name)
                continue
            frames.append(df)
    finally:
        con.close()
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CHECK_COLUMNS)
    return rows, other


def collect(
    scenario: Scenario,
    seeds: Sequence[int],
    workdir: Path,
    project: Path,
    workers: int = 2,
    say: Callable[[str], None] = print,
) -> tuple[pd.DataFrame, list[str]]:
    """Build a world per seed in `workdir` and return the recovery tests' comparisons on
    all of them, with a `seed` column, in seed order. Two worlds are in hand at a time: one
    is simulated (in this process) while dbt builds and reads the other; each is removed
    once read."""
    slots = [(workdir / "world" / str(k), workdir / "dbt" / str(k)) for k in range(2)]
    queries: dict[str, str] = {}
    found: dict[int, pd.DataFrame] = {}
    other: list[str] = []

    def read(seed: int, slot: tuple[Path, Path], started: float) -> tuple[int, float]:
        nonlocal other, queries
        world, target = slot
        db = world / "warehouse.duckdb"  # one name: the compiled SQL names the catalog after it
        _dbt(project, db, target, "run", "--select", "+path:tests/recovery")
        if not queries:  # the first world, read before any other is started
            queries = compile_checks(project, db, target)
        rows, other = world_checks(db, queries)
        rows.insert(0, "seed", seed)
        found[seed] = rows
        db.unlink()
        return seed, time.perf_counter() - started

    def told(done: tuple[int, float]) -> None:
        seed, seconds = done
        say(
            f"seed {seed} ({len(found)} of {len(seeds)}): {len(found[seed]):,} comparisons "
            f"in {seconds:.0f} s"
        )

    try:
        for world, _ in slots:
            world.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=len(slots)) as pool:
            busy: dict[int, Future] = {}
            for i, seed in enumerate(seeds):
                k = i % len(slots)
                if k in busy:  # the slot's previous world is still being read
                    told(busy.pop(k).result())
                started = time.perf_counter()
                generate(
                    scenario,
                    seed=seed,
                    db_path=slots[k][0] / "warehouse.duckdb",
                    workers=workers,
                    progress=False,
                )
                if not queries:  # the first world compiles the checks the others reuse
                    told(read(seed, slots[k], started))
                    continue
                busy[k] = pool.submit(read, seed, slots[k], started)
            for future in busy.values():
                told(future.result())
    finally:
        for world, _ in slots:
            db = world / "warehouse.duckdb"
            for path in (db, db.with_name(db.name + ".wal")):
                path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                world.rmdir()
        with contextlib.suppress(OSError):
            (workdir / "world").rmdir()
    return pd.concat([found[seed] for seed in seeds], ignore_index=True), other


def claim(workdir: Path) -> None:
    """The calibration writes only into a new or empty folder or one of its own runs."""
    if workdir.is_symlink() or (workdir.exists() and not workdir.is_dir()):
        raise OutputError(f"{workdir}: not a folder; give a folder for the calibration")
    if not workdir.exists():
        return
    names = {p.name for p in workdir.iterdir()}
    page = workdir / "calibration.html"
    ours = names <= OUR_FILES and (
        not page.exists() or PAGE_MARK.encode() in page.read_bytes()[:4096]
    )
    if not ours:
        raise OutputError(
            f"{workdir}: holds files that are not a calibration's; give a new or empty folder"
        )


# --- judging them ---------------------------------------------------------------------


@dataclass
class Figure:
    """One calibration figure of one quantity: its value, target and standard error."""

    value: float
    target: float
    standard_error: float
    limit: float  # how many standard errors it may be off

    @property
    def is_off(self) -> bool:
        if not np.isfinite(self.value):
            return False
        return abs(self.value - self.target) > self.limit * self.standard_error


def _clustered_mean(values: pd.Series, seeds: pd.Series) -> tuple[float, float, int]:
    """The mean of `values` and its standard error with each seed's values as a cluster."""
    by_seed = pd.DataFrame({"v": values.to_numpy(float), "s": seeds.to_numpy()}).groupby("s").v
    sums, counts = by_seed.sum().to_numpy(), by_seed.count().to_numpy(float)
    mean = sums.sum() / counts.sum()
    k = len(sums)
    if k < 2:
        return float(mean), float("nan"), k
    resid = sums - mean * counts
    se = np.sqrt(k / (k - 1) * np.sum(resid**2)) / counts.sum()
    return float(mean), float(se), k


def _share(hits: pd.Series, seeds: pd.Series, target: float, limit: float) -> Figure:
    """A share and its standard error over the seeds, never below the binomial one at the
    target (what independent comparisons would give)."""
    share, se, _ = _clustered_mean(hits, seeds)
    binomial = np.sqrt(target * (1 - target) / len(hits))
    return Figure(share, target, float(np.fmax(se, binomial)), limit)


def _worst_decile(nulls: pd.DataFrame, limit: float) -> Figure:
    """Uniformity of p-values that need not be independent within a world: each tenth of
    [0, 1] should hold a tenth of them; the tenth furthest off in its standard errors."""
    tenth = np.minimum((nulls["p_value"].to_numpy(float) * 10).astype(int), 9)
    figures = [
        _share(pd.Series(tenth == k, dtype=float), nulls["seed"], 0.1, limit) for k in range(10)
    ]
    return max(figures, key=lambda f: abs(f.value - f.target) / f.standard_error)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per test and quantity: the calibration figures and whether each is off.

    `rows` holds the comparisons of several seeds (columns `seed` and CHECK_COLUMNS). A
    quantity seen in fewer than 3 of them (an arm judged on a few seeds only) is shown but
    not judged."""
    bound(rows["seed"].nunique())
    out = []
    for (test, quantity), g in rows.groupby(["test_name", "quantity"], sort=True):
        rec: dict[str, object] = {"test": test, "quantity": quantity}
        se = g["standard_error"]
        scored = g[(se > 0) & g["measured"].notna() & g["expected"].notna()]
        exact = g[(se == 0) & g["measured"].notna()]
        seeds = g["seed"].nunique()
        limit = bound(seeds) if seeds >= 3 else math.inf
        rec["seeds"] = seeds
        rec["missing"] = int((se.notna() & g["measured"].isna()).sum())
        rec["comparisons"] = len(scored)
        if len(scored):
            z = (scored["measured"] - scored["expected"]) / scored["standard_error"]
            n = len(z)
            mean, mean_se, _ = _clustered_mean(z, scored["seed"])
            square, square_se, _ = _clustered_mean(z**2, scored["seed"])
            spread = float(np.sqrt(max(square - mean**2, 0.0)))
            # never below the standard errors of independent standard normal z-scores
            rec["bias"] = Figure(mean, 0.0, float(np.fmax(mean_se, 1 / np.sqrt(n))), limit)
            spread_se = square_se / (2 * max(spread, 1e-9))
            spread_se = float(np.fmax(spread_se, 1 / np.sqrt(2 * n)))
            rec["spread"] = Figure(spread, 1.0, spread_se, limit)
        rec["exact"] = len(exact)
        covered = g[g["covered"].notna()]
        if len(covered):
            hits = covered["covered"].astype(float)
            rec["coverage"] = _share(hits, covered["seed"], NOMINAL_COVERAGE, limit)
            rec["intervals"] = len(covered)
        nulls = g[g["p_value"].notna()]
        if len(nulls):
            below = (nulls["p_value"] < NULL_SHARE).astype(float)
            rec["null_below_05"] = _share(below, nulls["seed"], NULL_SHARE, limit)
            rec["null_p_values"] = len(nulls)
            rec["ks_p"] = float(stats.kstest(nulls["p_value"], "uniform").pvalue)
            rec["worst_decile"] = _worst_decile(nulls, limit)
        if len(exact):
            gap = (exact["measured"] - exact["expected"]).abs()
            rec["exact_mismatches"] = int((gap > 1e-9 * exact["expected"].abs().clip(1)).sum())
        out.append(rec)
    table = pd.DataFrame(out)
    for col in [*FIGURES, "ks_p", "exact_mismatches", "missing"]:
        if col not in table:
            table[col] = None
    table["off"] = table.apply(_offences, axis=1)
    return table


FIGURES = ["bias", "spread", "coverage", "null_below_05", "worst_decile"]
WORDS = {"null_below_05": "null below 05", "worst_decile": "null p-values not uniform"}


def _off_figures(rec: pd.Series, figures: Sequence[str]) -> list[str]:
    found = []
    for name in figures:
        fig = rec.get(name)
        if isinstance(fig, Figure) and fig.is_off:
            found.append(WORDS.get(name, name))
    return found


def _offences(rec: pd.Series) -> str:
    """What is off about one quantity, in words ('' when nothing)."""
    found = _off_figures(rec, FIGURES)
    missing = rec.get("missing")
    if missing is not None and not pd.isna(missing) and missing > 0:
        found.append(f"{int(missing)} with nothing measured")
    mism = rec.get("exact_mismatches")
    if mism is not None and not pd.isna(mism) and mism > 0:
        found.append(f"{int(mism)} exact counts differ")
    return ", ".join(found)


HEADLINE = ["coverage", "null_below_05", "worst_decile"]


def pooled(rows: pd.DataFrame) -> pd.Series:
    """Every quantity's comparisons as one: the headline coverage of the intervals and
    uniformity of the null p-values (its other figures mix quantities and are not judged)."""
    return summarise(rows.assign(test_name="(all)", quantity="(all)")).iloc[0]


def _headline_lines(headline: pd.Series) -> list[str]:
    lines = []
    if isinstance(headline["coverage"], Figure):
        lines.append(
            f"95% intervals holding the expected value: {_cell(headline['coverage'], pct=True)}"
            f" of {int(headline['intervals']):,}"
        )
    if isinstance(headline["null_below_05"], Figure):
        lines.append(
            f"null p-values: {int(headline['null_p_values']):,}, "
            f"{_cell(headline['null_below_05'], pct=True)} below 0.05, "
            f"KS p {headline['ks_p']:.2f}"
        )
    return lines


@dataclass
class Calibration:
    """What a calibration run found and wrote."""

    table: pd.DataFrame
    headline: pd.Series
    page: Path
    lines: list[str]

    @property
    def ok(self) -> bool:
        off = _off_figures(self.headline, HEADLINE)
        return not self.table["off"].astype(bool).any() and not off


def calibrate(
    scenario: Scenario,
    seeds: Sequence[int],
    workdir: Path,
    project: Path,
    workers: int = 2,
    say: Callable[[str], None] = print,
) -> Calibration:
    """Build the worlds, judge the comparisons, write calibration.html and the tables
    (summary.csv, comparisons.csv.gz) into `workdir`."""
    bound(len(seeds))  # refuse too few seeds, or a folder not ours, before building anything
    claim(workdir)
    rows, other = collect(scenario, seeds, workdir, project, workers, say)
    table = summarise(rows)
    headline = pooled(rows)
    about = (
        f"{scenario.name}: {len(seeds)} seeds ({seeds[0]} to {seeds[-1]}) of "
        f"{scenario.users:,} users, {len(rows):,} comparisons."
    )
    page = workdir / "calibration.html"
    write_page(page, rows, table, headline, other, about)
    rows.to_csv(workdir / "comparisons.csv.gz", index=False)
    flat = table.copy()
    for col in FIGURES:
        flat[col] = flat[col].map(lambda f: f.value if isinstance(f, Figure) else None)
        flat[col + "_se"] = table[col].map(
            lambda f: f.standard_error if isinstance(f, Figure) else None
        )
    flat.to_csv(workdir / "summary.csv", index=False)
    lines = [about, *text_table(table), *_headline_lines(headline)]
    if _off_figures(headline, HEADLINE):
        lines.append("all quantities together: " + ", ".join(_off_figures(headline, HEADLINE)))
    lines.append(f"wrote {page}")
    return Calibration(table, headline, page, lines)


# --- the page ---------------------------------------------------------------------------


def _cell(fig: object, digits: int = 2, pct: bool = False) -> str:
    if not isinstance(fig, Figure):
        return ""
    if pct:
        return f"{fig.value:.1%} ± {fig.standard_error:.1%}"
    return f"{fig.value:.{digits}f} ± {fig.standard_error:.{digits}f}"


def text_table(table: pd.DataFrame) -> list[str]:
    """The summary as aligned text lines (also what the README quotes)."""
    lines = [
        f"{'quantity':<58} {'n':>6} {'exact':>6} {'bias':>13} {'spread':>13} {'coverage':>15} "
        f"{'p<0.05':>15} {'KS p':>6}  off"
    ]
    for _, r in table.iterrows():
        ks = "" if r["ks_p"] is None or pd.isna(r["ks_p"]) else f"{r['ks_p']:.2f}"
        lines.append(
            f"{r['quantity'][:58]:<58} {int(r['comparisons']):>6} {int(r['exact']):>6} "
            f"{_cell(r['bias']):>13} "
            f"{_cell(r['spread']):>13} {_cell(r['coverage'], pct=True):>15} "
            f"{_cell(r['null_below_05'], pct=True):>15} {ks:>6}  {r['off'] or 'ok'}"
        )
    return lines


def _figures(rows: pd.DataFrame, table: pd.DataFrame) -> list[go.Figure]:
    scored = table[table["spread"].map(lambda f: isinstance(f, Figure))]
    labels = [f"{q} ({n})" for q, n in zip(scored["quantity"], scored["comparisons"], strict=True)]
    spread = go.Figure()
    for name, color in [("spread", "#2563eb"), ("bias", "#f97316")]:
        figs = scored[name].tolist()
        spread.add_trace(
            go.Scatter(
                x=[f.value for f in figs],
                y=labels,
                mode="markers",
                name=f"{name} of z",
                marker={"color": color, "size": 9},
                error_x={
                    "type": "data",
                    "array": [f.limit * f.standard_error for f in figs],
                    "thickness": 1.2,
                },
            )
        )
    for x in (0.0, 1.0):
        spread.add_vline(x=x, line_dash="dot", line_color="#6b7280")
    spread.update_layout(
        title="Bias (target 0) and spread (target 1) of z per quantity, with their tolerance",
        template="plotly_white",
        height=max(420, 26 * len(labels) + 120),
        margin={"l": 380},
        xaxis_title="z = (measured - expected) / standard error",
    )
    figures = [spread]
    nulls = rows[rows["p_value"].notna()]
    if len(nulls):
        hist = go.Figure(
            go.Histogram(x=nulls["p_value"], xbins={"start": 0, "end": 1, "size": 0.05})
        )
        hist.add_hline(y=len(nulls) / 20, line_dash="dot", line_color="#6b7280")
        hist.update_layout(
            title=f"p-values where nothing was planted ({len(nulls)}): uniform is flat",
            template="plotly_white",
            height=360,
            xaxis_title="p-value",
        )
        figures.append(hist)
    return figures


def write_page(
    out: Path,
    rows: pd.DataFrame,
    table: pd.DataFrame,
    headline: pd.Series,
    other: list[str],
    about: str,
) -> None:
    """The calibration page (into a folder claim() has allowed): headline, table, charts."""
    limit = bound(rows["seed"].nunique())
    head = [f"<p>{html.escape(line)}.</p>" for line in [about, *_headline_lines(headline)]]
    head.append(
        f"<p>A figure is off beyond {limit:.2f} of its standard errors (taken over the "
        f"seeds). Tests that compare no estimate with a standard error, not judged here: "
        f"{html.escape(', '.join(other) or 'none')}.</p>"
    )
    cols = ["test", "quantity", "comparisons", "bias", "spread", "coverage", "null p<0.05"]
    cols += ["KS p", "exact", "off"]
    body = ["<table class='checks'><tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>"]
    for _, r in table.iterrows():
        ks = "" if r["ks_p"] is None or pd.isna(r["ks_p"]) else f"{r['ks_p']:.3f}"
        exact = r.get("exact")
        exact_text = "" if exact is None or pd.isna(exact) else f"{int(exact):,}"
        cells = [
            r["test"],
            r["quantity"],
            f"{int(r['comparisons']):,}",
            _cell(r["bias"]),
            _cell(r["spread"]),
            _cell(r["coverage"], pct=True),
            _cell(r["null_below_05"], pct=True),
            ks,
            exact_text,
            r["off"] or "ok",
        ]
        cls = " class='miss'" if r["off"] else ""
        body.append(
            f"<tr{cls}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"
        )
    body.append("</table>")
    charts = "".join(
        f.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{i}")
        for i, f in enumerate(_figures(rows, table), 1)
    )
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"{PAGE_MARK}<style>{CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        "<h1>Proving Ground: calibration of the recovery tests</h1>"
        + "".join(head)
        + "".join(body)
        + charts
        + "</body></html>\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(out.name + ".tmp")
    staging.write_text(page, encoding="utf-8")
    os.replace(staging, out)


CSS = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #111827; }
p { max-width: 900px; line-height: 1.5; }
table.checks { border-collapse: collapse; font-size: 13px; width: 100%; }
table.checks th, table.checks td { border-bottom: 1px solid #e5e7eb; padding: 4px 8px;
                                   text-align: right; }
table.checks th:nth-child(-n+2), table.checks td:nth-child(-n+2) { text-align: left; }
tr.miss { background: #fee2e2; }
"""
