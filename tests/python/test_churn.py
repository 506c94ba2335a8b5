"""The churn model against the planted truth: it learns (test AUC well above chance), it
stays below the ceiling a model reaches when it also sees the simulator's hidden state
(a leaky feature breaks through it), and SHAP ranks the planted drivers above two random
controls (a model of shuffled outcomes fails that check).

The world has 20,000 users (about 11,000 to train on): at 6,000 (4,500 to train on) the
model fits the random control so well that SHAP ranks it 4th of 14, above every
attribute, and the ranking cannot be judged; below RANKING_TRAIN_USERS the test says so
instead of passing or failing."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
import yaml

from conftest import ROOT, build_copy
from generator.analysis.churn import (
    auc,
    ceiling,
    fit_churn,
    planted_strength,
    ranking_failures,
)

SETTINGS = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]["churn_model"]
FEATURE_DAYS, HOLDOUT = SETTINGS["feature_days"], SETTINGS["holdout_share"]
RANKING_TRAIN_USERS = 10_000


@pytest.fixture(scope="module")
def churn_world(large_raw_world, tmp_path_factory):
    """The default world at LARGE_USERS, built as far as the churn marts."""
    db = build_copy(
        large_raw_world,
        tmp_path_factory.mktemp("churn"),
        "--select",
        "+fct_churn_drivers",
        "+fct_churn_evaluation",
    )
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            name: con.execute(f"select * from {table}").df()
            for name, table in {
                "features": "marts.fct_churn_features",
                "scores": "marts.fct_churn_scores",
                "drivers": "marts.fct_churn_drivers",
                "evaluation": "marts.fct_churn_evaluation",
                "truth": "truth.users",
            }.items()
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def limits(churn_world):
    return ceiling(churn_world["features"], churn_world["truth"], FEATURE_DAYS, HOLDOUT)


def test_the_marts_auc_is_the_models(churn_world, limits):
    test = churn_world["evaluation"].set_index("split").loc["test"]
    assert test.auc == pytest.approx(limits.model_auc, abs=1e-9)
    scores = churn_world["scores"]
    assert scores.churn_probability.between(0, 1).all()
    held = scores[scores.split == "test"].signup_date.min()
    assert scores[scores.split == "train"].signup_date.max() < held  # a time-based hold-out


def test_the_model_learns_and_stays_below_its_ceiling(limits):
    se = limits.standard_error
    print(
        f"\nchurn model on {limits.test_users} held-out users ({limits.churned_share:.1%} "
        f"churned): AUC {limits.model_auc:.3f} ± {se:.3f}; planted segment alone "
        f"{limits.segment_auc:.3f}; ceiling with the hidden state {limits.ceiling_auc:.3f}"
    )
    assert limits.model_auc > 0.5 + 4 * se
    assert limits.model_auc < limits.ceiling_auc + 3 * se


def test_a_leaky_feature_breaks_through_the_ceiling(churn_world, limits):
    """What the check is for: a feature read from the outcome window (here, activity in
    it) lifts the AUC above what even the hidden state allows."""
    features = churn_world["features"].copy()
    features["active_later"] = (~features.churned).astype(int)
    leaky = fit_churn(features, HOLDOUT, explain=False).scores
    test = leaky[leaky.split == "test"]
    assert auc(test.churned.to_numpy(), test.churn_probability.to_numpy()) > (
        limits.ceiling_auc + 3 * limits.standard_error
    )


def test_shap_ranks_the_planted_drivers_above_the_controls(churn_world):
    scores = churn_world["scores"]
    if (scores.split == "train").sum() < RANKING_TRAIN_USERS:
        pytest.skip(f"fewer than {RANKING_TRAIN_USERS:,} users to train on: cannot judge")
    strength = planted_strength(churn_world["features"], churn_world["truth"], HOLDOUT)
    drivers = churn_world["drivers"]
    print("\n" + drivers.to_string(index=False))
    print("planted strength by attribute:\n" + strength.to_string())
    assert not ranking_failures(drivers, strength)


def test_shuffled_outcomes_fail_the_ranking(churn_world):
    features = churn_world["features"].copy()
    features["churned"] = np.random.default_rng(3).permutation(features.churned.to_numpy())
    drivers = fit_churn(features, HOLDOUT).drivers
    strength = planted_strength(churn_world["features"], churn_world["truth"], HOLDOUT)
    assert ranking_failures(drivers, strength)
