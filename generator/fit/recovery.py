"""Does the fit recover a known truth? Fit a generated world from its raw tables and
compare with the world's `truth` schema: each planted segment's chain and activity (fitted
on the users truth puts in that segment, so the estimator is judged apart from the
clustering) within its standard errors, the calendar of signups, and the fitted segments
against the planted ones by adjusted Rand index beside the index of random labels."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
from scipy.stats import norm

from generator.fit.activity import fit_activity
from generator.fit.chain import standard_errors
from generator.fit.segments import adjusted_rand_index
from generator.fit.world import Fitted
from generator.section import MONTHS, SESSION_END, WEEKDAYS

FAMILY_ALPHA = 0.01  # chance that any judged comparison of a fit fails by luck
MIN_EXPECTED = 10  # a probability is judged where n p and n (1 - p) both reach this
RANDOM_LABELLINGS = 20


# sections whose behaviour the fit does not model: a world without them is one the fit
# can be judged on (each changes the chain or the activity in ways a log shows only mixed)
NOT_FITTED = (
    "lifecycle",
    "llm",
    "subscriptions",
    "funnels",
    "experiments",
    "adoption",
    "marketing",
    "actors",
    "relations",
    "outcomes",
    "faults",
)


def fit_shaped(world: dict) -> dict:
    """A scenario (as parsed YAML) reduced to what the fit models: no returns after
    churning, no time zones (the fit reads UTC), none of the NOT_FITTED sections."""
    out = {k: v for k, v in world.items() if k not in NOT_FITTED}
    out["events"] = {k: v for k, v in world["events"].items() if k != "flows"}
    out["segments"] = {n: {**s, "reengagement": 0.0} for n, s in world["segments"].items()}
    out["attributes"] = {
        n: {k: v for k, v in a.items() if k != "time_zones"} for n, a in world["attributes"].items()
    }
    return out


@dataclass(frozen=True)
class Comparison:
    parameter: str
    dimension: str
    planted: float
    fitted: float
    se: float
    judged: bool

    @property
    def z(self) -> float:
        return (self.fitted - self.planted) / self.se if self.se > 0 else 0.0


@dataclass(frozen=True)
class Recovery:
    comparisons: list[Comparison]
    chain_tvd: dict[str, float]  # per planted segment, mean over rows, fitted on its users
    fitted_chain_tvd: dict[str, float]  # per planted segment, of the fitted segment it fills
    ari: float
    random_ari: tuple[float, float]  # mean and sd over random labellings of the same sizes
    fitted_k: int
    planted_k: int

    @property
    def bound(self) -> float:
        """|z| allowed: a two-sided Bonferroni bound over the judged comparisons."""
        judged = max(sum(c.judged for c in self.comparisons), 1)
        return float(norm.isf(FAMILY_ALPHA / 2 / judged))

    def failures(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.judged and abs(c.z) > self.bound]


def _planted_labels(fitted: Fitted, warehouse: str) -> tuple[np.ndarray, list[str]]:
    """Each fitted user's planted segment (by the log's user key)."""
    con = duckdb.connect(warehouse, read_only=True)
    try:
        rows = con.execute("select cast(user_id as varchar), segment from truth.users").fetchall()
    finally:
        con.close()
    keys = fitted.log.array("select user_key, user_id from user_keys order by user_id")
    segment_of = dict(rows)
    names = sorted(set(segment_of.values()))
    index = {n: i for i, n in enumerate(names)}
    labels = np.array([index.get(segment_of.get(k, ""), -1) for k in keys["user_key"]])
    return labels, names


def _truth(warehouse: str) -> dict[tuple[str, str], float]:
    con = duckdb.connect(warehouse, read_only=True)
    try:
        rows = con.execute("select parameter, dimension, value from truth.parameters").fetchall()
    finally:
        con.close()
    return {(p, d or ""): v for p, d, v in rows}


def recover(fitted: Fitted, warehouse: str, seed: int = 42) -> Recovery:
    truth = _truth(warehouse)
    labels, names = _planted_labels(fitted, warehouse)
    chain, events = fitted.chain, fitted.log.events
    targets = [*events, SESSION_END]
    comparisons: list[Comparison] = []
    tvd: dict[str, float] = {}
    fitted_tvd: dict[str, float] = {}
    fit_labels = fitted.mixture.labels
    for g, seg in enumerate(names):
        planted = np.zeros((len(events), len(targets)))
        for i, a in enumerate(events):
            for j, b in enumerate(targets):
                planted[i, j] = truth.get(("events.transition", f"{seg}/{a}/{b}"), 0.0)
        mine = labels == g
        p, n = chain.probabilities(mine.astype(float))
        se = standard_errors(planted, n)
        rows = planted.sum(axis=1) > 0
        tvd[seg] = float(0.5 * np.abs(p - planted).sum(axis=1)[rows & (n > 0)].mean())
        # the fitted segment most of this planted segment's users fall in
        best = np.bincount(fit_labels[mine], minlength=fitted.mixture.k).argmax()
        pf, nf = chain.probabilities((fit_labels == best).astype(float))
        fitted_tvd[seg] = float(0.5 * np.abs(pf - planted).sum(axis=1)[rows & (nf > 0)].mean())
        for i, a in enumerate(events):
            for j, b in enumerate(targets):
                if not rows[i]:
                    continue
                expected = n[i] * planted[i, j]
                judged = bool(expected >= MIN_EXPECTED and n[i] - expected >= MIN_EXPECTED)
                comparisons.append(
                    Comparison(
                        "events.transition",
                        f"{seg}/{a}/{b}",
                        float(planted[i, j]),
                        float(p[i, j]),
                        float(se[i, j]) if n[i] else 0.0,
                        judged,
                    )
                )
    comparisons += _activity(fitted, truth, labels, names, seed)
    comparisons += _arrivals(fitted, truth)
    rng = np.random.default_rng(seed)
    known = labels >= 0
    ari = adjusted_rand_index(labels[known], fit_labels[known])
    randoms = [
        adjusted_rand_index(labels[known], rng.permutation(fit_labels[known]))
        for _ in range(RANDOM_LABELLINGS)
    ]
    return Recovery(
        comparisons,
        tvd,
        fitted_tvd,
        ari,
        (float(np.mean(randoms)), float(np.std(randoms))),
        fitted.mixture.k,
        len(names),
    )


def _activity(fitted, truth, labels, names, seed) -> list[Comparison]:
    """Session rates, churn hazards, heterogeneity, age curve and cohort trend, fitted on
    the planted segments. Rates compare with the calendar weights' mean folded in (the
    fit states weights with mean 1)."""
    data = fitted.activity_data
    known = labels >= 0
    fit = fit_activity(data.subset(known, labels[known]), len(names), seed)
    level = np.mean([truth[("activity.weekday_weight", d)] for d in WEEKDAYS])
    if fitted.sessions.months_fitted:
        level *= np.mean([truth[("activity.month_weight", m)] for m in MONTHS])
    out = []
    base = truth[("activity.sessions_per_day", "")]
    for g, seg in enumerate(names):
        rate = base * truth[("segment.activity_multiplier", seg)] * level
        out.append(
            Comparison(
                "log segment rate",
                seg,
                np.log(rate),
                np.log(fit.rate[g]),
                fit.se["log_rate"][g],
                True,
            )
        )
        hazard = truth[("segment.daily_churn_hazard", seg)]
        out.append(
            Comparison(
                "log churn hazard",
                seg,
                np.log(hazard),
                np.log(fit.hazard[g]),
                fit.se["log_hazard"][g],
                hazard > 0,
            )
        )
    out.append(
        Comparison(
            "log heterogeneity shape",
            "",
            np.log(truth[("activity.heterogeneity_shape", "")]),
            np.log(fit.shape),
            fit.se["log_shape"][0],
            True,
        )
    )
    out.append(
        Comparison(
            "cohort trend per year",
            "",
            truth[("activity.cohort_trend_per_year", "")],
            fit.cohort_trend,
            fit.se["cohort_trend"][0],
            True,
        )
    )
    for b in range(1, len(fit.curve)):
        planted = truth.get(("activity.age_decay", f"{data.unit} {b}"))
        if planted is None:
            continue
        out.append(
            Comparison(
                "log age decay",
                f"{data.unit} {b}",
                np.log(planted),
                np.log(fit.curve[b]),
                fit.se["log_curve"][b],
                True,
            )
        )
    return out


def _arrivals(fitted, truth) -> list[Comparison]:
    s = fitted.signups
    out = [
        Comparison(
            "arrivals growth per year",
            "",
            truth[("arrivals.growth.annual_rate", "")],
            s.growth_per_year,
            s.growth_se,
            True,
        )
    ]
    planted = np.array([truth[("arrivals.weekday_weight", d)] for d in WEEKDAYS])
    planted = planted / planted.mean()
    for i, d in enumerate(WEEKDAYS):
        out.append(
            Comparison(
                "arrivals weekday weight", d, planted[i], s.weekday[i], s.weekday_se[i], True
            )
        )
    return out
