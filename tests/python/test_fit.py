"""`fit`: a scenario fitted from an event log validates and generates, recovers the truth of
a world it is fitted from (each planted segment's chain and activity within standard
errors, the signup calendar, the segments by adjusted Rand index against random labels),
and a log it cannot learn from gets one line and exit 2 with nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml

from conftest import DEFAULT_SCENARIO, ROOT, run_generator
from generator.fit import fit_world, read_log
from generator.fit.examples import write_cdnow
from generator.fit.fidelity import compare
from generator.fit.recovery import fit_shaped, recover
from generator.fit.segments import adjusted_rand_index

USERS = 3000
# the fitted segments must beat random labels of the same sizes by this many of their sds
ARI_MARGIN_SD = 10


def run_fit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator", "fit", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(scope="module")
def shaped_world(tmp_path_factory) -> tuple[Path, Path]:
    """The default world as the fit models it, generated small and exported as Parquet."""
    base = tmp_path_factory.mktemp("fit")
    scenario = base / "shaped.yml"
    scenario.write_text(yaml.safe_dump(fit_shaped(yaml.safe_load(DEFAULT_SCENARIO.read_text()))))
    db, export = base / "shaped.duckdb", base / "export"
    result = run_generator(
        "--scenario", str(scenario), "--users", str(USERS), "--db", str(db),
        "--parquet", str(export), "--workers", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return db, export


def test_fit_recovers_the_planted_world(shaped_world):
    db, export = shaped_world
    fitted = fit_world(read_log(str(export / "events"), str(export / "users.parquet")), "refit")
    result = recover(fitted, str(db))
    judged = [c for c in result.comparisons if c.judged]
    assert len(judged) > 50, "too few comparisons to judge the fit"
    failures = result.failures()
    assert not failures, "\n".join(
        f"{c.parameter} {c.dimension}: planted {c.planted:.4f}, fitted {c.fitted:.4f} "
        f"(se {c.se:.4f}, z {c.z:.1f}, bound {result.bound:.1f})"
        for c in failures
    )
    mean, sd = result.random_ari
    assert result.ari > mean + ARI_MARGIN_SD * max(sd, 1e-3), (result.ari, mean, sd)


def test_a_broken_chain_estimate_fails(shaped_world):
    """The comparison can fail: a chain whose end probabilities are ignored is caught."""
    db, export = shaped_world
    fitted = fit_world(read_log(str(export / "events"), str(export / "users.parquet")), "refit")
    width = fitted.chain.width
    counts = fitted.chain.counts.tolil()
    ends = [i * width + width - 1 for i in range(fitted.chain.n_events)]
    for col in ends:
        counts[:, col] = counts[:, col] * 0.5  # half the sessions' ends lost
    broken = type(fitted.chain)(**{**fitted.chain.__dict__, "counts": counts.tocsr()})
    fitted.chain = broken
    assert recover(fitted, str(db)).failures()


def test_fit_command_writes_a_scenario_that_generates(shaped_world, tmp_path):
    _, export = shaped_world
    out = tmp_path / "fitted.yml"
    result = run_fit(
        "--events", str(export / "events"), "--users", str(export / "users.parquet"),
        "--out", str(out), "--currency", "USD",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith("# Fitted by")
    world = tmp_path / "fitted.duckdb"
    gen = run_generator("--scenario", str(out), "--users", "800", "--db", str(world))
    assert gen.returncode == 0, gen.stderr
    con = duckdb.connect(str(world), read_only=True)
    n_users = con.execute("select count(*) from raw.users").fetchall()[0][0]
    con.close()
    assert n_users == 800
    # run again over its own file: allowed; over a file it did not write: refused
    assert run_fit("--events", str(export / "events"), "--out", str(out)).returncode == 0
    foreign = tmp_path / "mine.yml"
    foreign.write_text("name: mine\n")
    refused = run_fit("--events", str(export / "events"), "--out", str(foreign))
    assert refused.returncode == 2 and "not written by fit" in refused.stderr
    assert foreign.read_text() == "name: mine\n"


def _csv(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("who,when,what\n1,2024-01-01,a\n", "no user column"),
        ("user_id,event_at,event_name\n1,yesterday,a\n2,2024-01-01,a\n", "are not times"),
        ("user_id,event_at,event_name\n1,2024-01-01,a\n1,2024-02-01,a\n", "one user"),
        (
            "user_id,event_at,event_name\n1,2024-01-01 10:00,a\n2,2024-01-01 11:00,a\n",
            "no repeat activity",
        ),
        ("user_id,event_at,event_name\n", "holds no events"),
    ],
)
def test_a_log_it_cannot_fit_gets_one_line(tmp_path, content, message):
    out = tmp_path / "out.yml"
    result = run_fit("--events", _csv(tmp_path / "log.csv", content), "--out", str(out))
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not out.exists()


def test_a_missing_log_gets_one_line(tmp_path):
    result = run_fit("--events", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.yml"))
    assert result.returncode == 2 and "no such file" in result.stderr


CDNOW_CUSTOMERS = 5000


def test_cdnow_fit_generates_a_faithful_world(tmp_path):
    """A real log no one here wrote: the CDNOW purchases of the first customers. The world
    fitted from it buys as often per customer (KS within its 1% bound at these sizes) and
    keeps customers week by week as the log does (within a Bonferroni bound of the
    weeks' standard errors)."""
    log_file = tmp_path / "cdnow.parquet"
    rows = write_cdnow(str(log_file), customers=CDNOW_CUSTOMERS)
    assert rows > CDNOW_CUSTOMERS
    out, world = tmp_path / "cdnow.yml", tmp_path / "cdnow.duckdb"
    fitted = run_fit("--events", str(log_file), "--out", str(out), "--currency", "USD")
    assert fitted.returncode == 0, fitted.stderr
    assert run_generator("--scenario", str(out), "--db", str(world)).returncode == 0
    result = compare(read_log(str(log_file)), read_log(str(world)))
    by_name = {m.name: m for m in result.metrics}
    per_user = by_name["sessions per user"]
    assert per_user.value < per_user.noise, per_user
    retention = by_name["weekly retention"]
    assert retention.value < retention.noise, retention
    # the comparison can fail: a world buying 30% more often than fitted is caught
    scenario = yaml.safe_load(out.read_text())
    scenario["activity"]["sessions_per_day"] *= 1.3
    off, off_world = tmp_path / "off.yml", tmp_path / "off.duckdb"
    off.write_text(yaml.safe_dump(scenario))
    assert run_generator("--scenario", str(off), "--db", str(off_world)).returncode == 0
    broken = {m.name: m for m in compare(read_log(str(log_file)), read_log(str(off_world))).metrics}
    assert broken["sessions per user"].value > broken["sessions per user"].noise


def test_personas_find_the_planted_segments(built_world):
    """dim_user_personas on the default world: its personas agree with the planted
    segments far beyond what random labels of the same sizes reach."""
    con = duckdb.connect(str(built_world), read_only=True)
    rows = con.execute(
        "select p.persona, t.segment from marts.dim_user_personas p "
        "join truth.users t using (user_id)"
    ).fetchall()
    con.close()
    personas = np.array([r[0] for r in rows])
    planted = np.array([r[1] for r in rows])
    ari = adjusted_rand_index(planted, personas)
    rng = np.random.default_rng(0)
    randoms = [adjusted_rand_index(planted, rng.permutation(personas)) for _ in range(20)]
    assert ari > np.mean(randoms) + ARI_MARGIN_SD * max(np.std(randoms), 1e-3), (ari, randoms)
