"""The answer key: every planted number in long form, and the expected curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from generator.calendar import Calendar
from generator.dynamics import (
    adoption,
    arrivals,
    churn,
    events,
    experiments,
    funnels,
    llm,
    marketing,
    segments,
    subscriptions,
)
from generator.scenario import MONTHS, WEEKDAYS, Scenario, present
from generator.schema import RETENTION_PERIODS, TRUTH_TABLES


def parameters(scenario: Scenario, seed: int) -> pa.Table:
    rows: list[tuple[str, str, float, str, str]] = []

    def add(name: str, dim: str, value: float, unit: str, text: str) -> None:
        rows.append((name, dim, float(value), unit, text))

    add("run.seed", "", seed, "id", "seed of every random stream")
    add("run.users", "", scenario.users, "users", "users simulated")
    growth = scenario.arrivals.growth
    if growth.kind == "exponential":
        add(
            "arrivals.growth.annual_rate",
            "",
            growth.annual_rate,
            "log per year",
            "continuous growth rate of expected daily signups",
        )
    else:
        add(
            "arrivals.growth.steepness_per_year",
            "",
            growth.steepness_per_year,
            "per year",
            f"logistic growth steepness, midpoint {growth.midpoint}",
        )
    for d in WEEKDAYS:
        add(
            "arrivals.weekday_weight",
            d,
            scenario.arrivals.weekday_weights[d],
            "relative",
            "signup multiplier by weekday",
        )
    for m in MONTHS:
        add(
            "arrivals.month_weight",
            m,
            scenario.arrivals.month_seasonality[m],
            "relative",
            "signup multiplier by calendar month",
        )
    for h, w in enumerate(scenario.arrivals.hour_weights):
        add("arrivals.hour_weight", str(h), w, "relative", "signup and session hour-of-day weight")
    for a in scenario.arrivals.anomalies:
        add("anomaly.signup_multiplier", a.name, a.signups, "ratio", f"signups on {a.date}")
        add("anomaly.activity_multiplier", a.name, a.activity, "ratio", f"session rate on {a.date}")
    hazard = churn.daily_hazard(scenario)
    for (name, seg), h in zip(scenario.segments.items(), hazard, strict=True):
        add("segment.share", name, seg.share, "share", "share of users in the segment")
        add("segment.activity_multiplier", name, seg.activity, "ratio", "session rate multiplier")
        add(
            "segment.session_depth",
            name,
            seg.session_depth,
            "ratio",
            "divides the chance of ending a session after each event",
        )
        add("segment.churn_multiplier", name, seg.churn, "ratio", "churn hazard multiplier")
        add("segment.daily_churn_hazard", name, h, "per day", "hazard of churning")
        add(
            "segment.monthly_churn_probability",
            name,
            -np.expm1(-30 * h),
            "probability",
            "chance of churning within 30 days while active",
        )
        add(
            "segment.reengagement_probability",
            name,
            seg.reengagement,
            "probability",
            "chance a churned user comes back once",
        )
    for attr_name, attr in scenario.attributes.items():
        for seg_name, shares in attr.shares.items():
            for value, share in zip(attr.values, shares, strict=True):
                add(
                    f"attribute.{attr_name}",
                    f"{seg_name}/{value}",
                    share,
                    "share",
                    f"share of the segment's users with {attr_name} = {value}",
                )
    roles = list(dict.fromkeys(seg.role for seg in scenario.segments.values()))
    for seg_name, seg in scenario.segments.items():
        for role in roles:  # a segment's role is an attribute with one value
            add(
                "attribute.role",
                f"{seg_name}/{role}",
                1.0 if seg.role == role else 0.0,
                "share",
                f"share of the segment's users with role = {role}",
            )
    act = scenario.activity
    add(
        "activity.sessions_per_day",
        "",
        act.sessions_per_day,
        "sessions per day",
        "session rate of a new average user in the first cohort",
    )
    add(
        "activity.heterogeneity_shape",
        "",
        act.heterogeneity_shape,
        "gamma shape",
        "spread of each user's own activity multiplier (mean 1)",
    )
    add(
        "activity.cohort_trend_per_year",
        "",
        act.cohort_trend_per_year,
        "log per year",
        "change of a cohort's baseline session rate per year of signup",
    )
    for i, v in enumerate(act.age_decay.curve):
        add(
            "activity.age_decay",
            f"{act.age_decay.unit} {i}",
            v,
            "ratio",
            "session rate multiplier at that account age (the last holds after)",
        )
    for d in WEEKDAYS:
        add(
            "activity.weekday_weight",
            d,
            act.weekday_weights[d],
            "relative",
            "session rate multiplier by weekday",
        )
    for m in MONTHS:
        add(
            "activity.month_weight",
            m,
            act.month_seasonality[m],
            "relative",
            "session rate multiplier by calendar month",
        )
    add(
        "churn.monthly_probability",
        "",
        scenario.churn.monthly_probability,
        "probability",
        "30-day churn probability at churn multiplier 1",
    )
    add(
        "churn.reengagement_gap_median",
        "",
        scenario.churn.reengagement_gap_days.median,
        "days",
        "median gap before a churned user returns",
    )
    add(
        "churn.reengagement_gap_sigma",
        "",
        scenario.churn.reengagement_gap_days.sigma,
        "log sd",
        "log-normal spread of the return gap",
    )
    if scenario.subscriptions is not None:
        _subscription_parameters(scenario, add)
    for name, funnel in scenario.funnels.items():
        add(
            "funnel.window_days",
            name,
            funnel.window_days,
            "days",
            "every step within this many days of step 1",
        )
        for k, step in enumerate(funnel.steps[1:], start=2):
            dim = f"{name}/{k}/{step.event}"
            add(
                "funnel.step_rate",
                dim,
                step.rate,
                "probability",
                "chance of the step given the previous one (times the segment multiplier)",
            )
            add(
                "funnel.delay_median_hours",
                dim,
                present(step.hours).median,
                "hours",
                "median log-normal delay after the previous step",
            )
            add(
                "funnel.delay_sigma",
                dim,
                present(step.hours).sigma,
                "log sd",
                "spread of the log-normal delay",
            )
        if funnel.entry == "plan_conversion":
            chances = funnels.conversion_entry_chances(scenario, funnel)
            for s, seg_name in enumerate(scenario.segment_names()):
                for inactive, state in enumerate(("active", "inactive")):
                    add(
                        "funnel.entry_chance",
                        f"{name}/{seg_name}/{state}",
                        chances[s, inactive],
                        "probability",
                        "chance of step 1 at a monthly decision on the free plan",
                    )
        for seg_name in scenario.segment_names():
            add(
                "funnel.segment_multiplier",
                f"{name}/{seg_name}",
                funnel.segment_multipliers.get(seg_name, 1.0),
                "ratio",
                "multiplier on every step rate (capped at 1)",
            )
    names = scenario.event_names()
    matrices = events.transition_matrices(scenario)
    chains = [(g, t) for g in scenario.segment_names() for t in scenario.stage_names()]
    per_chain = 1 << len(scenario.adoption)  # the chains of users yet to adopt a feature
    for c, (seg_name, stage) in enumerate(chains):
        chain = seg_name if stage is None else f"{seg_name}/{stage}"
        for i, src in enumerate(names):
            for j, dst in enumerate([*names, "end"]):
                if matrices[c * per_chain, i, j] > 0:
                    add(
                        "events.transition",
                        f"{chain}/{src}/{dst}",
                        matrices[c * per_chain, i, j],
                        "probability",
                        "chance the next event is dst (session depth applied; by segment, "
                        "and by lifecycle stage when the world has one) before any adoption",
                    )
    add(
        "events.session_start",
        scenario.events.session_start,
        1.0,
        "event",
        "the event that opens every session after the signup's (dimension)",
    )
    if scenario.lifecycle is not None:
        _lifecycle_parameters(scenario, add)
    _experiment_parameters(scenario, add)
    if scenario.marketing is not None:
        mk = scenario.marketing
        add("marketing.window_days", "", mk.window_days, "days", "touches before a decision")
        add("marketing.response", "", mk.response, "relative", "most touches lift conversion")
        for name, channel in mk.channels.items():
            add("marketing.daily_spend", name, channel.daily_spend, "currency", "at the start")
            add("marketing.trend_per_year", name, channel.trend_per_year, "log per year", "")
            add(
                "marketing.touches_per_user_day",
                name,
                channel.touches_per_user_day,
                "touches",
                "per user using the product, at the starting spend",
            )
            add(
                "marketing.strength",
                name,
                channel.strength,
                "per touch",
                "adds to s in 1 + response x (1 - e^-s)",
            )
    for name, launch in scenario.adoption.items():
        add("adoption.innovation", name, launch.innovation, "per day", "Bass p")
        add("adoption.imitation", name, launch.imitation, "per day", "Bass q")
        add("adoption.market", name, launch.market, "share", "users who would ever adopt")
        add(
            "adoption.midpoint_days",
            name,
            adoption.bass_midpoint_days(launch.innovation, launch.imitation),
            "days",
            f"days after the launch on {launch.launch} when half the market has adopted",
        )
    cols = list(zip(*rows, strict=True))
    return pa.table(
        {
            "parameter": list(cols[0]),
            "dimension": list(cols[1]),
            "value": list(cols[2]),
            "unit": list(cols[3]),
            "description": list(cols[4]),
        }
    )


def _experiment_parameters(scenario: Scenario, add) -> None:
    for name, exp in scenario.experiments.items():
        for variant, weight in exp.variants.items():
            dim = f"{name}/{variant}"
            add("experiment.weight", dim, weight, "share", "planned share of exposed users")
            lost = exp.lost_exposures.get(variant, 0.0)
            add("experiment.lost_exposures", dim, lost, "share", "users whose logs are lost")
            for behaviour, effect in exp.effects.get(variant, {}).items():
                for seg in scenario.segments:
                    add(
                        f"experiment.lift.{behaviour}",
                        f"{dim}/{seg}",
                        effect.segments.get(seg, effect.lift),
                        "relative",
                        "planted lift from the day after exposure",
                    )
                if effect.novelty is not None:
                    add(
                        f"experiment.novelty_lift.{behaviour}",
                        dim,
                        effect.novelty.lift,
                        "relative",
                        f"extra lift fading with half-life {effect.novelty.half_life_days} days",
                    )


# Metrics whose truth the experiment sums give: (name, numerator column, denominator
# column or None for per exposed user).
EXPERIMENT_METRICS = (
    ("sessions", "sessions", None),
    ("retained_d7", "retained_d7", None),
    ("converted", "converted", None),
    ("revenue_per_user", "revenue", None),
    ("revenue_per_active_user", "revenue", "active"),
    ("completed_funnel", "completed_funnel", None),
    ("mean_rating", "rating_sum", "ratings"),
)


def _defined(x: float) -> float | None:
    """A ratio with nothing to divide by (no rated answer in a world without an LLM) is
    undefined: null, not NaN."""
    return float(x) if np.isfinite(x) else None


def experiment_metrics(scenario: Scenario, sums: dict[str, dict[str, np.ndarray]]) -> pa.Table:
    """Per experiment x hidden segment (null: all) x variant x metric: the metric had
    every exposed user got that variant, and its lift over the control."""
    rows = []
    for name, exp in scenario.experiments.items():
        part = sums.get(name)
        if part is None:
            continue
        users, expected = part["users"], part["expected"]  # (seg), (seg, variant, metric)
        groups: list[tuple[str | None, Any, Any]] = [(None, users.sum(), expected.sum(axis=0))]
        groups += [
            (s, users[i], expected[i]) for i, s in enumerate(scenario.segments) if users[i] > 0
        ]
        for seg, n, values in groups:
            for metric, num, den in EXPERIMENT_METRICS:
                numerator = values[:, experiments.METRICS.index(num)]
                denominator = (
                    np.full(len(numerator), n)
                    if den is None
                    else values[:, experiments.METRICS.index(den)]
                )
                with np.errstate(divide="ignore", invalid="ignore"):
                    value = numerator / denominator
                    lift = value / value[0] - 1
                for v, variant in enumerate(exp.variants):
                    rows.append(
                        (
                            name,
                            seg,
                            variant,
                            metric,
                            int(n),
                            numerator[v],
                            denominator[v],
                            _defined(value[v]),
                            _defined(lift[v]),
                        )
                    )
    cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[]] * 9
    keys = list(TRUTH_TABLES["experiment_metrics"])
    return pa.table(
        {
            k: pa.array(list(c), type=pa.float64() if i >= 5 else None)
            for i, (k, c) in enumerate(zip(keys, cols, strict=True))
        }
    )


def marketing_spend(scenario: Scenario, cal: Calendar) -> pa.Table:
    """Raw: what the ad platforms billed each day, a channel's spend split evenly over its
    campaigns (in cents, so the campaigns add up to the cent)."""
    spend = marketing.daily_spend(scenario, cal)
    pairs = marketing.campaigns(scenario)
    share = np.bincount([c for c, _ in pairs])
    day = np.tile(np.arange(cal.days), len(pairs))
    channel = np.repeat([c for c, _ in pairs], cal.days)
    cents = np.round(spend[channel, day] * 100 / share[channel])
    names = list(present(scenario.marketing).channels)
    return pa.table(
        {
            "spend_date": _dates(cal, day),
            "channel": pa.array(np.asarray(names)[channel]),
            "campaign": pa.array(np.repeat([name for _, name in pairs], cal.days)),
            "spend": pa.array(cents / 100),
            "currency": pa.array([scenario.subscriptions.currency] * len(day), type=pa.string()),
        }
    )


def marketing_daily(scenario: Scenario, cal: Calendar, sums: dict[str, np.ndarray]) -> pa.Table:
    """Per channel x day: the planted spend, the touches expected given who was using the
    product, and the paid conversions its touches caused that day (expected conversions
    minus those expected had the channel's touches not happened)."""
    spend = marketing.daily_spend(scenario, cal)
    names = list(present(scenario.marketing).channels)
    channel = np.repeat(np.arange(len(names)), cal.days)
    day = np.tile(np.arange(cal.days), len(names))
    return pa.table(
        {
            "channel": pa.array(np.asarray(names)[channel]),
            "activity_date": _dates(cal, day),
            "spend": pa.array(spend.ravel()),
            "expected_touches": pa.array(sums["expected_touches"].ravel()),
            "removal_conversions": pa.array(sums["removal_conversions"].ravel()),
        }
    )


def marketing_response(scenario: Scenario, sums: dict[str, np.ndarray]) -> pa.Table:
    """Per count of touches in the window before a free-plan decision (10 = 10 or more):
    decisions, expected conversions and their variance, and those expected had the
    touches not happened (their ratio is the planted lift at that many touches)."""
    k = np.arange(marketing.MAX_TOUCH_BUCKET + 1)
    return pa.table(
        {
            "touches_in_window": pa.array(k.astype(np.int32)),
            "decisions": pa.array(sums["decisions"].astype(np.int64)),
            "expected_conversions": pa.array(sums["expected_conversions"]),
            "conversion_variance": pa.array(sums["conversion_variance"]),
            "baseline_conversions": pa.array(sums["baseline_conversions"]),
        }
    )


def feature_adoption(scenario: Scenario, cal: Calendar, sums: dict[str, np.ndarray]) -> pa.Table:
    """Per launched feature x day from its launch: expected new adopters, and the mean and
    variance of the cumulative count of adopters."""
    parts = []
    for f, (name, launch) in enumerate(scenario.adoption.items()):
        first = (launch.launch - cal.start).days
        day = np.arange(first, cal.days)
        parts.append(
            pa.table(
                {
                    "feature": pa.array([name] * len(day)),
                    "adoption_date": _dates(cal, day),
                    "expected_new_adopters": pa.array(sums["expected_new"][f, first:]),
                    "expected_cumulative_adopters": pa.array(
                        sums["expected_cumulative"][f, first:]
                    ),
                    "cumulative_variance": pa.array(sums["cumulative_variance"][f, first:]),
                }
            )
        )
    return pa.concat_tables(parts)


def _lifecycle_parameters(scenario: Scenario, add) -> None:
    life = present(scenario.lifecycle)
    add("lifecycle.initial_stage", life.initial, 1.0, "stage", "every user starts here")
    for name, stage in life.stages.items():
        add("lifecycle.activity", name, stage.activity, "relative", "session rate multiplier")
        if stage.days is not None and stage.next:
            add(
                "lifecycle.duration_median_days",
                name,
                stage.days.median,
                "days",
                "median log-normal time in the stage (rounded to whole days, at least 1)",
            )
            add("lifecycle.duration_sigma", name, stage.days.sigma, "log sd", "its spread")
        for target, p in stage.next.items():
            add(
                "lifecycle.transition",
                f"{name}/{target}",
                p,
                "probability",
                "chance the stage that follows is target",
            )


def _dates(cal: Calendar, offsets: np.ndarray) -> pa.Array:
    return pa.array(np.datetime64(cal.start) + offsets.astype("timedelta64[D]"))


def anomalies(scenario: Scenario) -> pa.Table:
    a = scenario.arrivals.anomalies
    return pa.table(
        {
            "anomaly_name": [x.name for x in a],
            "anomaly_date": pa.array([x.date for x in a], type=pa.date32()),
            "signup_multiplier": [x.signups for x in a],
            "activity_multiplier": [x.activity for x in a],
        }
    )


def signup_curve(scenario: Scenario, cal: Calendar) -> pa.Table:
    curve = arrivals.signup_curve(scenario, cal)
    return pa.table(
        {
            "signup_date": _dates(cal, np.arange(cal.days)),
            **curve,
            "expected_signups": curve["expected_share"] * scenario.users,
        }
    )


def daily_activity(cal: Calendar, daily: dict[str, np.ndarray]) -> pa.Table:
    return pa.table({"activity_date": _dates(cal, np.arange(cal.days)), **daily})


def expected_retention(cal: Calendar, retention: dict[str, dict[str, np.ndarray]]) -> pa.Table:
    parts = []
    for period_type, sums in retention.items():
        last = RETENTION_PERIODS[period_type][1]
        n_cohorts = sums["eligible_users"].shape[0]
        cohort, period = np.meshgrid(np.arange(n_cohorts), np.arange(last + 1), indexing="ij")
        keep = sums["eligible_users"].ravel() > 0
        month = np.datetime64(cal.start, "M") + cohort.ravel()[keep].astype("timedelta64[M]")
        parts.append(
            pa.table(
                {
                    "cohort_month": pa.array(month.astype("datetime64[D]")),
                    "period_type": [period_type] * int(keep.sum()),
                    "period_number": pa.array(period.ravel()[keep].astype(np.int32)),
                    **{k: v.ravel()[keep] for k, v in sums.items()},
                }
            )
        )
    return pa.concat_tables(parts)


def _subscription_parameters(scenario: Scenario, add) -> None:
    subs = present(scenario.subscriptions)
    for plan, spec in subs.plans.items():
        add(
            "subscription.price",
            plan,
            spec.price,
            f"{subs.currency} per {spec.interval}",
            "list price per billing interval",
        )
    add(
        "subscription.failed_payment_probability",
        "",
        subs.failed_payment_probability,
        "probability",
        "chance a paid period's payment fails (the user drops to free)",
    )
    add(
        "subscription.inactive_churn_multiplier",
        "",
        subs.inactive_churn_multiplier,
        "ratio",
        "multiplier on cancelling once the user stopped using the product",
    )
    plans = list(subs.plans)
    tables = subscriptions.transition_tables(scenario)
    for s, seg in enumerate(scenario.segment_names()):
        for inactive, state in enumerate(("active", "inactive")):
            for i, src in enumerate(plans):
                for j, dst in enumerate(plans):
                    if tables[s, inactive, i, j] > 0:
                        add(
                            "subscription.transition",
                            f"{seg}/{state}/{src}/{dst}",
                            tables[s, inactive, i, j],
                            "probability",
                            "chance of the next plan at a monthly decision (multipliers applied)",
                        )


def plans(scenario: Scenario) -> pa.Table:
    subs = present(scenario.subscriptions)
    names = list(subs.plans)
    return pa.table(
        {
            "plan": names,
            "tier": list(range(len(names))),
            "price": [p.price for p in subs.plans.values()],
            "billing_interval": [p.interval for p in subs.plans.values()],
            "monthly_price": [
                p.price / (12 if p.interval == "year" else 1) for p in subs.plans.values()
            ],
            "currency": [subs.currency] * len(names),
        }
    )


def llm_ratings(scenario: Scenario) -> pa.Table:
    """Per model x feature x role: the planted rating mean and variance (the latent normal
    rounded and clipped to 1..5), the model's dates and its hallucination chances."""
    llm_spec = present(scenario.llm)
    roles, _ = segments.roles(scenario)
    probs = llm.rating_probabilities(scenario, roles)
    mean = (probs * llm.RATINGS).sum(axis=-1)
    variance = (probs * llm.RATINGS**2).sum(axis=-1) - mean**2
    models = list(llm_spec.models.values())
    flagged = llm.flag_probability(scenario)
    m, f, r = (
        grid.ravel()
        for grid in np.meshgrid(
            np.arange(len(models)),
            np.arange(len(scenario.llm_features())),
            np.arange(len(roles)),
            indexing="ij",
        )
    )
    return pa.table(
        {
            "model_version": pa.array(np.array(list(llm_spec.models))[m]),
            "live_from": pa.array([models[i].live_from for i in m], type=pa.date32()),
            "feature": pa.array(np.array(scenario.llm_features())[f]),
            "role": pa.array(np.array(roles)[r]),
            "expected_rating": pa.array(mean[m, f, r]),
            "rating_variance": pa.array(variance[m, f, r]),
            "hallucination_probability": pa.array([models[i].hallucination for i in m]),
            "flag_probability": pa.array(flagged[m]),
        }
    )


def llm_rating_sums(scenario: Scenario, sums: dict[str, np.ndarray]) -> pa.Table:
    """Per model x feature x role: the ratings given, and the sums of their expected
    scores and variances (each answer's latent mean, experiments' lifts included)."""
    llm_spec = present(scenario.llm)
    roles, _ = segments.roles(scenario)
    shape = (len(llm_spec.models), len(scenario.llm_features()), len(roles))
    m, f, r = (a.ravel() for a in np.indices(shape))
    empty = np.zeros(shape)
    return pa.table(
        {
            "model_version": pa.array(np.array(list(llm_spec.models))[m]),
            "feature": pa.array(np.array(scenario.llm_features())[f]),
            "role": pa.array(np.array(roles)[r]),
            "ratings": pa.array(sums.get("ratings", empty).ravel().astype(np.int64)),
            "expected_rating_sum": pa.array(sums.get("expected_sum", empty).ravel()),
            "rating_variance_sum": pa.array(sums.get("variance_sum", empty).ravel()),
        }
    )


def plan_transitions(scenario: Scenario, sums: dict[str, np.ndarray]) -> pa.Table:
    """Per plan decided from: expected decisions choosing each next plan."""
    names = list(present(scenario.subscriptions).plans)
    return _transition_table(scenario, names, sums, "expected_transitions", "transition_variance")


def billed_transitions(scenario: Scenario, sums: dict[str, np.ndarray]) -> pa.Table:
    """Per plan decided from: the expected decisions that leave the user paying for each
    plan next, or for nothing ('(none)': a cancellation, a free plan or a failed payment),
    over the months complete by the end (what month-over-month revenue can show)."""
    names = [*present(scenario.subscriptions).plans, "(none)"]
    return _transition_table(
        scenario, names, sums, "expected_billed", "billed_variance", "billed_decisions"
    )


def _transition_table(
    scenario: Scenario,
    targets: list[str],
    sums: dict[str, np.ndarray],
    mean: str,
    var: str,
    decisions: str = "decisions",
) -> pa.Table:
    """(from plan x target) rows of summed decision chances and their variance."""
    plans = list(present(scenario.subscriptions).plans)
    n, m = len(plans), len(targets)
    src, dst = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    return pa.table(
        {
            "from_plan": [plans[i] for i in src.ravel()],
            "to_plan": [targets[j] for j in dst.ravel()],
            "decisions": np.repeat(sums.get(decisions, np.zeros(n)), m).astype(np.int64),
            "expected_transitions": sums.get(mean, np.zeros((n, m))).ravel(),
            "variance": sums.get(var, np.zeros((n, m))).ravel(),
        }
    )
