"""fct_experiment_results agrees with GrowthBook's engine (gbstats 0.8.0) on the mart's own
sufficient statistics: lifts and standard errors to 1e-9 relative, p-values and interval
bounds to 1e-6, and the sample-ratio-mismatch p-value."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

GBSTATS = "gbstats==0.8.0"


@pytest.fixture(scope="module")
def gbstats(tmp_path_factory):
    # gbstats pins old numpy and pandas but runs on the current ones: install it alone.
    target = tmp_path_factory.mktemp("gbstats")
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            GBSTATS,
        ],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    sys.path.insert(0, str(target))
    try:
        from gbstats.frequentist import tests  # noqa: PLC0415
        from gbstats.models import statistics  # noqa: PLC0415
        from gbstats.utils import check_srm  # noqa: PLC0415

        yield tests, statistics, check_srm
    finally:
        sys.path.remove(str(target))


@pytest.fixture(scope="module")
def mart(built_world):
    con = duckdb.connect(str(built_world), read_only=True)
    try:
        stats = con.execute("select * from marts.fct_experiment_statistics").df()
        results = con.execute("select * from marts.fct_experiment_results").df()
        design = con.execute("select * from raw.experiments order by 1, 2").df()
    finally:
        con.close()
    return stats, results, design


def _statistic(statistics, row, prefix="metric", kind=None):
    kind = kind or row["metric_type"]
    n = int(row["users"])
    if kind == "proportion":
        return statistics.ProportionStatistic(n=n, sum=row[f"{prefix}_sum"])
    if kind == "ratio":
        return statistics.RatioStatistic(
            n=n,
            m_statistic=_statistic(statistics, row, "metric", "mean"),
            d_statistic=_statistic(statistics, row, "denominator", "mean"),
            m_d_sum_of_products=row["metric_denominator_sum_products"],
        )
    return statistics.SampleMeanStatistic(
        n=n, sum=row[f"{prefix}_sum"], sum_squares=row[f"{prefix}_sum_squares"]
    )


def _adjusted(statistics, row):
    return statistics.RegressionAdjustedStatistic(
        n=int(row["users"]),
        post_statistic=_statistic(statistics, row),
        pre_statistic=_statistic(statistics, row, "covariate", "mean"),
        post_pre_sum_of_products=row["metric_covariate_sum_products"],
        theta=0,
    )


def _close(ours, theirs, rel=1e-9, abs_=0.0):
    return ours == pytest.approx(theirs, rel=rel, abs=abs_)


def test_lifts_intervals_and_p_values_match_gbstats(gbstats, mart):
    tests, statistics, _ = gbstats
    stats, results, design = mart
    control = design[design["variant_index"] == 0].set_index("experiment_key")["variant"]
    key = ["experiment_key", "variant", "metric"]
    by_key = stats.set_index(key)
    checked = 0
    for _, res in results[~results["is_control"]].iterrows():
        b = by_key.loc[tuple(res[key])]
        a = by_key.loc[(res["experiment_key"], control[res["experiment_key"]], res["metric"])]
        for kind, lift, se, low, high, p in (
            ("relative", "relative_lift", "relative_lift_se", "ci_lower", "ci_upper", "p_value"),
            (
                "absolute",
                "absolute_lift",
                "absolute_lift_se",
                "absolute_ci_lower",
                "absolute_ci_upper",
                None,
            ),
        ):
            config = tests.FrequentistConfig(difference_type=kind)
            theirs = tests.TwoSidedTTest(
                _statistic(statistics, a), _statistic(statistics, b), config
            ).compute_result()
            if theirs.error_message is not None:  # e.g. no conversion in the control
                assert res[lift] != res[lift], (tuple(res[key]), theirs.error_message)
                continue
            assert _close(res[lift], theirs.expected), (tuple(res[key]), kind)
            assert _close(res[se], theirs.uplift.stddev), (tuple(res[key]), kind)
            assert _close(res[low], theirs.ci[0], 1e-6, 1e-6), (tuple(res[key]), kind)
            assert _close(res[high], theirs.ci[1], 1e-6, 1e-6), (tuple(res[key]), kind)
            if p is not None:
                assert _close(res[p], theirs.p_value, 0, 1e-6), tuple(res[key])
            checked += 1
        if res["metric_type"] != "ratio":
            theirs = tests.TwoSidedTTest(
                _adjusted(statistics, a), _adjusted(statistics, b), tests.FrequentistConfig()
            ).compute_result()
            if theirs.error_message is None:
                assert _close(res["cuped_relative_lift"], theirs.expected), tuple(res[key])
                assert _close(res["cuped_relative_lift_se"], theirs.uplift.stddev)
                assert _close(res["cuped_ci_lower"], theirs.ci[0], 1e-6, 1e-6)
                assert _close(res["cuped_ci_upper"], theirs.ci[1], 1e-6, 1e-6)
                assert _close(res["cuped_p_value"], theirs.p_value, 0, 1e-6)
                checked += 1
    assert checked >= 20, f"only {checked} comparisons could be made"


def test_sample_ratio_mismatch_matches_gbstats(gbstats, mart, built_world):
    _, _, check_srm = gbstats
    _, results, design = mart
    con = duckdb.connect(str(built_world), read_only=True)
    try:  # the users exposed per variant, counted from the exposures mart itself
        exposed = con.execute(
            "select experiment_key, variant, count(*) as users "
            "from marts.fct_experiment_exposures group by 1, 2"
        ).df()
    finally:
        con.close()
    for experiment, plan in design.groupby("experiment_key"):
        users = exposed[exposed["experiment_key"] == experiment].set_index("variant")["users"]
        theirs = check_srm([int(users.get(v, 0)) for v in plan["variant"]], list(plan["weight"]))
        ours = results.loc[results["experiment_key"] == experiment, "srm_p_value"].unique()
        assert len(ours) == 1
        assert _close(ours[0], theirs, 1e-9, 1e-15), experiment
