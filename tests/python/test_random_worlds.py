"""Random valid worlds (tests/python/random_worlds.py) built with plain `dbt build`, every
test included, and given their report, on the seeds in RANDOM_WORLDS (comma-separated):
`make test` runs a few (TEST_WORLDS), `make worlds` forty; without it the test is
skipped. Each world is simulated at its own 3,000 users: where a planted effect is beyond
what that size can judge (heavy-tailed revenue in small experiment arms), the recovery
tests leave it out and say so in a warning, and the world still has to pass."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, copy_project, run_dbt, run_generator
from random_worlds import random_world

SEEDS = [int(s) for s in os.environ.get("RANDOM_WORLDS", "").split(",") if s.strip()]
pytestmark = pytest.mark.skipif(not SEEDS, reason="a long check: make worlds runs it")


@pytest.mark.parametrize("seed", SEEDS or [0])
def test_a_random_world_builds_passes_and_reports(tmp_path, seed):
    scenario = tmp_path / "world.yml"
    scenario.write_text(yaml.safe_dump(random_world(seed), sort_keys=False))
    db = tmp_path / "warehouse.duckdb"
    generated = run_generator("--scenario", str(scenario), "--db", str(db))
    assert generated.returncode == 0, generated.stderr
    built = run_dbt(copy_project(tmp_path / "project"), db, "build")
    failed = [line for line in built.stdout.splitlines() if " FAIL " in line or " ERROR " in line]
    assert built.returncode == 0, "\n".join(failed) or built.stdout[-3000:]
    report = subprocess.run(
        [sys.executable, "-m", "generator", "report", "--db", str(db), "--out",
         str(tmp_path / "report.html")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr[-3000:]
