"""The default world at 3,000 users, on two seeds, builds with every dbt test passing: a
recovery test whose tolerance comes from the sample size holds at any size, and one that
cannot judge a planted number at this size (heavy-tailed revenue in experiment arms of a
few hundred users) leaves it out and says so in a warning; none fails because n is small."""

from __future__ import annotations

import pytest

from conftest import copy_project, run_dbt, run_generator

USERS = 3000


@pytest.mark.parametrize("seed", [1, 2])
def test_the_default_world_at_3000_users_passes_every_test(tmp_path, seed):
    db = tmp_path / "warehouse.duckdb"
    generated = run_generator("--users", str(USERS), "--seed", str(seed), "--db", str(db))
    assert generated.returncode == 0, generated.stderr
    built = run_dbt(copy_project(tmp_path / "project"), db, "build")
    failed = [line for line in built.stdout.splitlines() if " FAIL " in line or " ERROR " in line]
    assert built.returncode == 0, "\n".join(failed) or built.stdout[-3000:]
    # the one warning allowed says which experiment arms were too small to judge
    warned = [line for line in built.stdout.splitlines() if " WARN " in line]
    assert all("experiment_arms_too_small_to_judge" in line for line in warned), warned
