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

from conftest import ROOT, build_world
from random_worlds import random_world

SEEDS = [int(s) for s in os.environ.get("RANDOM_WORLDS", "").split(",") if s.strip()]
pytestmark = pytest.mark.skipif(
    not SEEDS, reason="RANDOM_WORLDS names the seeds (make test, make worlds)"
)


@pytest.mark.parametrize("seed", SEEDS or [0])
def test_a_random_world_builds_passes_and_reports(tmp_path, seed):
    scenario = tmp_path / "world.yml"
    scenario.write_text(yaml.safe_dump(random_world(seed), sort_keys=False))
    db, _ = build_world(tmp_path, "--scenario", str(scenario))
    report = subprocess.run(
        [sys.executable, "-m", "generator", "report", "--db", str(db), "--out",
         str(tmp_path / "report.html")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr[-3000:]
