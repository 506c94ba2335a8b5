"""The calibration: its judge fails what is miscalibrated (synthetic comparisons with a
known fault), and a small run over a few seeds of the default world finds nothing off.
`make calibrate` is the long run (30 seeds of 50,000 users)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import ROOT, copy_project
from generator.calibration import CHECK_COLUMNS, CalibrationError, bound, calibrate, summarise
from generator.scenario import load_scenario

SEEDS = 30
CELLS = 40


def _rows(
    se_factor: float = 1.0, shift: float = 0.0, correlation: float = 0.1, seed: int = 0
) -> pd.DataFrame:
    """Comparisons of one quantity over SEEDS worlds of CELLS correlated cells each: z is
    standard normal (correlated within a world) when the reported standard error is true;
    the reported one is se_factor times the true one, the estimate biased by shift."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((SEEDS, 1))
    z = np.sqrt(correlation) * common + np.sqrt(1 - correlation) * rng.standard_normal(
        (SEEDS, CELLS)
    )
    true_se = 2.0
    measured = 10 + true_se * (z + shift)
    lift_z = (measured - 10) / true_se
    df = pd.DataFrame(
        {
            "seed": np.repeat(np.arange(SEEDS), CELLS),
            "test_name": "a_test",
            "quantity": "q",
            "cell": np.tile(np.arange(CELLS).astype(str), SEEDS),
            "measured": measured.ravel(),
            "expected": 10.0,
            "standard_error": true_se * se_factor,
            "p_value": 2 * stats.norm.sf(np.abs(lift_z.ravel()) / se_factor),
            "covered": np.abs(lift_z.ravel()) / se_factor <= stats.norm.isf(0.025),
        }
    )
    return df[["seed", *CHECK_COLUMNS]]


def _off(rows: pd.DataFrame) -> str:
    return summarise(rows).iloc[0]["off"]


def test_a_calibrated_quantity_is_not_off():
    for seed in range(5):
        assert _off(_rows(seed=seed)) == ""


def test_standard_errors_too_small_are_caught():
    off = _off(_rows(se_factor=0.7))
    assert "spread" in off and "coverage" in off and "null below 05" in off


def test_standard_errors_too_large_are_caught():
    assert "spread" in _off(_rows(se_factor=1.5))


def test_a_bias_is_caught():
    assert "bias" in _off(_rows(shift=1.5))
    assert "null p-values not uniform" in _off(_rows(shift=1.5))


def test_the_seeds_correlation_widens_the_bound_instead_of_failing():
    # strongly correlated cells: 40 per world count as little more than one each
    for seed in range(5):
        assert _off(_rows(correlation=0.95, seed=seed)) == ""


def test_an_exact_count_that_differs_is_caught():
    rows = _rows()
    rows.loc[rows.index[:3], "standard_error"] = 0.0
    rows.loc[rows.index[:3], "expected"] = rows.loc[rows.index[:3], "measured"]
    assert _off(rows) == ""
    rows.loc[rows.index[0], "expected"] += 1
    assert "1 exact counts differ" in _off(rows)


def test_a_comparison_the_mart_left_empty_is_caught():
    rows = _rows()
    rows.loc[rows.index[5], "measured"] = np.nan
    assert "1 with nothing measured" in _off(rows)


def test_a_quantity_seen_in_two_seeds_is_shown_not_judged():
    biased = _rows(shift=3.0)
    rows = pd.concat([biased[biased["seed"] < 2], _rows().assign(quantity="other")])
    table = summarise(rows).set_index("quantity")
    assert table.loc["q", "seeds"] == 2
    assert table.loc["q", "off"] == ""
    assert "bias" in summarise(biased)["off"].iloc[0]


def test_the_bound_follows_the_number_of_seeds():
    assert bound(10) == pytest.approx(stats.t.isf(stats.norm.sf(4.0), 9))
    assert 4.0 < bound(1000) < 4.05
    with pytest.raises(CalibrationError, match="at least 3 seeds"):
        bound(2)


def test_a_small_calibration_of_the_default_world(tmp_path):
    """Ten seeds of 2,000 users: the bound is 7 standard errors taken over ten worlds
    (never below those of independent comparisons), so a gross fault in a standard error
    or an estimate shows while chance does not."""
    scenario = load_scenario(ROOT / "scenarios/study_assistant.yml", users=2000)
    project = copy_project(tmp_path / "project")
    result = calibrate(scenario, list(range(1, 11)), tmp_path / "calibration", project)
    table = result.table
    assert result.ok, "\n".join(result.lines)
    judged = set(table["test"])
    assert {"recovers_experiment_effects", "recovers_cohort_retention_curve"} <= judged
    assert (tmp_path / "calibration" / "calibration.html").stat().st_size > 0
    summary = (tmp_path / "calibration" / "summary.csv").read_text()
    assert "Figure(" not in summary and "bias_se" in summary
    assert len(table) >= 25


def _calibrate_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator", "calibrate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_too_few_seeds_is_refused_in_one_line():
    done = _calibrate_cli("--seeds", "2")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: --seeds: at least 3 are needed to judge a spread (got 2)"
    ]


def test_a_folder_that_is_not_a_calibration_is_left_alone(tmp_path):
    theirs = tmp_path / "notes.txt"
    theirs.write_text("mine")
    done = _calibrate_cli("--seeds", "3", "--users", "100", "--dir", str(tmp_path))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "not a calibration's" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert theirs.read_text() == "mine"
