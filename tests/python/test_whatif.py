"""`whatif`: product changes run as an experiment arm. The changes transform the chain
as documented (checked against the chain's own numbers, and the absorbing-chain sums
against plain iteration); the command predicts the change from truth's exact
counterfactual, and the warehouse built over the world measures it within its
confidence interval (dbt build passes recovers_experiment_effects on the new metrics)."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import numpy as np
import pytest
import yaml

from conftest import ROOT, copy_project, run_dbt
from generator.behaviours.events.simulate import transition_matrices
from generator.behaviours.experiments.chain import apply_changes, session_expectations
from generator.behaviours.experiments.section import ChainChange

SHOP = ROOT / "scenarios" / "online_shop.yml"
CHANGE = yaml.safe_load((ROOT / "scenarios" / "changes" / "harder_checkout.yml").read_text())


def _world_with_steps():
    """The shop with the two extra events in its catalogue, as whatif adds them."""
    from generator.scenario import parse_scenario  # noqa: PLC0415
    from generator.whatif import Change, with_change  # noqa: PLC0415

    world = yaml.safe_load(SHOP.read_text())
    return parse_scenario(with_change(world, Change.model_validate(CHANGE)))


def test_each_change_transforms_the_chain_as_documented():
    scenario = _world_with_steps()
    names = scenario.event_names()
    i = {n: k for k, n in enumerate(names)}
    end = len(names)
    base = transition_matrices(scenario)[0]
    goal = i["order_placed"]

    def change(**kw):
        return apply_changes(base[None][0], scenario, [ChainChange.model_validate(kw)])

    # extra steps: reaching the goal from the step they follow falls by (1 - drop_off)^2
    steps = change(extra_steps=CHANGE["changes"][0]["extra_steps"])
    _, before = session_expectations(base[None], goal)
    _, after = session_expectations(steps[None], goal)
    c = i["checkout_started"]
    assert after[0, c] == pytest.approx(before[0, c] * 0.9**2, rel=1e-12)
    # friction: every move to the event shrinks by the factor, the rest ends the session
    rough = change(friction={"event": "added_to_cart", "factor": 0.15})
    cart = i["added_to_cart"]
    assert np.allclose(rough[:, cart], base[:, cart] * 0.85)
    assert np.allclose(rough[:, end] - base[:, end], base[:, cart] * 0.15)
    # a set transition holds its probability, the row's others scaled to fit
    set_row = change(transition={"event": "site_visit", "next": "search", "probability": 0.5})
    v = i["site_visit"]
    assert set_row[v, i["search"]] == 0.5
    others = [k for k in range(end + 1) if k != i["search"]]
    assert np.allclose(set_row[v, others], base[v, others] * 0.5 / (1 - base[v, i["search"]]))
    # a removed feature's events are never reached; rows still sum to one
    gone = change(remove_feature={"feature": "wishlist"})
    wishlist = [i["wishlist_saved"], i["wishlist_viewed"]]
    assert np.all(gone[:, wishlist] == 0)
    for m in (steps, rough, set_row, gone):
        reachable = m.sum(axis=1) > 0
        assert np.allclose(m[reachable].sum(axis=1), 1.0)


def test_absorbing_sums_agree_with_iteration():
    """Expected events and the chance of reaching the goal, against iterating the chain."""
    scenario = _world_with_steps()
    m = transition_matrices(scenario)[:2]
    goal = scenario.event_names().index("order_placed")
    events, reach = session_expectations(m, goal)
    n = m.shape[1]
    for c in range(len(m)):
        q = m[c, :, :n]
        visits, state = np.zeros(n), np.eye(n)
        hit, alive = np.zeros(n), np.eye(n)
        for _ in range(3000):
            visits += state.sum(axis=1)
            state = state @ q
            not_goal = alive.copy()
            not_goal[:, goal] = 0.0
            hit += (not_goal @ q)[:, goal]
            alive = not_goal @ q
        hit[goal] = 1.0
        assert np.allclose(events[c], visits, rtol=1e-9)
        assert np.allclose(reach[c], hit, rtol=1e-9)


def _whatif(tmp_path, change: dict, *extra: str) -> subprocess.CompletedProcess:
    path = tmp_path / "change.yml"
    path.write_text(yaml.safe_dump(change))
    return subprocess.run(
        [sys.executable, "-m", "generator", "whatif", "--scenario", str(SHOP),
         "--change", str(path), "--quiet", *extra],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def test_whatif_predicts_and_the_warehouse_measures(tmp_path):
    db = tmp_path / "whatif.duckdb"
    result = _whatif(tmp_path, CHANGE, "--users", "5000", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "conversion (users reaching the goal)" in result.stdout
    # every model, then the tests of the experiment's lineage (recovers_experiment_effects
    # among them)
    project = copy_project(tmp_path / "project")
    ran = run_dbt(project, db, "run")
    assert ran.returncode == 0, ran.stdout[-3000:]
    built = run_dbt(
        project, db, "test", "--select", "+fct_experiment_results+", "--exclude", "test_type:unit"
    )
    failed = [line for line in built.stdout.splitlines() if " FAIL " in line or " ERROR " in line]
    assert built.returncode == 0, "\n".join(failed) or built.stdout[-3000:]
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        """select r.metric, r.ci_lower, r.ci_upper, t.expected_lift
        from marts.fct_experiment_results r
        join truth.experiment_metrics t using (experiment_key, variant, metric)
        where r.experiment_key = 'harder_checkout' and t.segment is null
            and r.variant = 'changed'"""
    ).fetchall()
    con.close()
    lifts = {metric: (low, high, planted) for metric, low, high, planted in rows}
    assert {"reached_goal", "goal_session_rate", "events_per_session"} <= set(lifts)
    # extra steps with drop-off and friction cost conversion: planted and measured below 0
    low, high, planted = lifts["reached_goal"]
    assert planted < 0 and high < 0


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"goal": "no_such_event"}, "unknown event 'no_such_event'"),
        ({"changes": [{"friction": {"event": "search", "factor": 1.5}}]}, "factor"),
        ({"changes": [{"remove_feature": {"feature": "nothing"}}]}, "no event has feature"),
        ({"share": 1.0}, "share"),
    ],
)
def test_a_bad_change_gets_one_line(tmp_path, edit, message):
    db = tmp_path / "whatif.duckdb"
    result = _whatif(tmp_path, {**CHANGE, **edit}, "--users", "500", "--db", str(db))
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not db.exists()
