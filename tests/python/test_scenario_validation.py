"""A malformed scenario stops the run with one line naming the key path, exit status 2,
and no database written or changed."""

from __future__ import annotations

import hashlib

import pytest
import yaml

from conftest import ROOT, run_generator
from generator import cli
from generator.scenario import ScenarioError, load_scenario, parse_scenario


def _break(data: dict, path: str, value) -> dict:
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[keys[-1]] = value
    return data


CASES = [
    ("unknown_key", "arrivals.growht", {"kind": "exponential"}, "arrivals.growht: unknown key"),
    (
        "probability_above_one",
        "segments.teacher.reengagement",
        1.4,
        "segments.teacher.reengagement",
    ),
    ("probability_below_zero", "churn.monthly_probability", -0.1, "churn.monthly_probability"),
    ("shares_not_summing", "segments.teacher.share", 0.30, "segments: shares must sum to 1"),
    (
        "attribute_shares_not_summing",
        "attributes.device.shares.teacher",
        [0.5, 0.1, 0.1],
        "attributes.device.shares.teacher: shares must sum to 1",
    ),
    (
        "drift_of_an_unknown_value",
        "attributes.device.drift_per_year.fax",
        0.1,
        "attributes.device.drift_per_year.fax: not one of the values",
    ),
    ("drift_too_fast", "attributes.device.drift_per_year.web", 9.0, "drift_per_year.web"),
    (
        "unknown_time_zone",
        "attributes.country.time_zones.DE",
        {"Europe/Atlantis": 1.0},
        "attributes.country.time_zones.DE.Europe/Atlantis: not an IANA time zone",
    ),
    (
        "country_without_zones",
        "attributes.country.time_zones",
        {"US": {"America/New_York": 1.0}},
        "attributes.country.time_zones: missing value 'IN'",
    ),
    (
        "zone_shares_not_summing",
        "attributes.country.time_zones.US",
        {"America/New_York": 0.5},
        "attributes.country.time_zones.US: shares must sum to 1",
    ),
    (
        "two_attributes_in_zones",
        "attributes.device.time_zones",
        {"ios": {"UTC": 1.0}, "android": {"UTC": 1.0}, "web": {"UTC": 1.0}},
        "only one attribute places users in zones",
    ),
    ("end_before_start", "end", "2022-06-30", "end: must not be before start"),
    ("negative_rate", "activity.sessions_per_day", -0.3, "activity.sessions_per_day"),
    ("negative_multiplier", "segments.power_student.activity", -1, "segments.power_student"),
    (
        "unknown_event_in_chain",
        "events.transitions.search",
        {"teleport": 0.5, "end": 0.5},
        "events.transitions.search.teleport: unknown event",
    ),
    (
        "anomaly_outside_timeframe",
        "arrivals.anomalies.0.date",
        "2030-01-01",
        "arrivals.anomalies.0.date",
    ),
    (
        "unknown_plan",
        "subscriptions.transitions.plus.platinum",
        0.0,
        "subscriptions.transitions.plus.platinum: unknown plan",
    ),
    (
        "plan_rate_above_one",
        "subscriptions.conversion.trial.plus",
        1.3,
        "subscriptions.conversion.trial.plus",
    ),
    (
        "plan_row_not_summing",
        "subscriptions.transitions.pro.free",
        0.5,
        "subscriptions.transitions.pro: shares must sum to 1",
    ),
    (
        "unknown_initial_plan",
        "subscriptions.initial_plan",
        "gold",
        "subscriptions.initial_plan: unknown plan 'gold'",
    ),
    (
        "multiplier_overflow",
        "subscriptions.segment_multipliers.at_risk_student.churn",
        9.0,
        "subscriptions.segment_multipliers: 'at_risk_student' makes leaving plan",
    ),
    (
        "funnel_rate_above_one",
        "funnels.onboarding.steps.1.rate",
        1.2,
        "funnels.onboarding.steps.1.rate",
    ),
    (
        "funnel_not_starting_at_signup",
        "funnels.onboarding.steps.0.event",
        "app_open",
        "funnels.onboarding.steps.0.event: must be the signup event",
    ),
    (
        "funnel_step_reusing_an_event",
        "funnels.onboarding.steps.2.event",
        "quiz_completed",
        "funnels.onboarding.steps.2.event: 'quiz_completed' is already logged elsewhere",
    ),
    (
        "funnel_unknown_segment",
        "funnels.onboarding.segment_multipliers.night_owl",
        1.0,
        "funnels.onboarding.segment_multipliers.night_owl: unknown segment",
    ),
    (
        "upgrade_funnel_rates_too_low",
        "funnels.upgrade.steps.1.rate",
        0.05,
        "funnels.upgrade.steps: step rates too low for the planted per-session conversion",
    ),
    ("funnel_unknown_entry", "funnels.upgrade.entry", "pageview", "funnels.upgrade.entry"),
    (
        "plan_conversion_funnel_without_plans",
        "subscriptions",
        None,
        "funnels.upgrade.entry: plan_conversion needs a subscriptions block",
    ),
    (
        "lifecycle_unknown_initial_stage",
        "lifecycle.initial",
        "newbie",
        "lifecycle.initial: unknown stage 'newbie'",
    ),
    (
        "lifecycle_unknown_next_stage",
        "lifecycle.stages.dormant.next",
        {"activated": 0.35, "gone": 0.65},
        "lifecycle.stages.dormant.next.gone: unknown stage",
    ),
    (
        "lifecycle_next_not_summing",
        "lifecycle.stages.activated.next",
        {"engaged": 0.45, "dormant": 0.45},
        "lifecycle.stages.activated.next: shares must sum to 1",
    ),
    (
        "lifecycle_cycle_without_exit",
        "lifecycle.stages.dormant.next",
        {"activated": 1.0},
        "lifecycle.stages: a cycle with no exit: no path to an exit from ['activated', "
        "'dormant', 'engaged', 'onboarding']",
    ),
    (
        "lifecycle_stage_without_duration",
        "lifecycle.stages.engaged.days",
        None,
        "lifecycle.stages.engaged.days: required for a stage with next stages",
    ),
    (
        "lifecycle_stage_mix_unknown_event",
        "lifecycle.stages.engaged.transitions.app_open",
        {"teleport": 1.0},
        "lifecycle.stages.engaged.transitions.app_open.teleport: unknown event",
    ),
    (
        "llm_request_not_an_event",
        "llm.requests",
        ["summary_requested", "poem_requested"],
        "llm.requests.1: unknown event 'poem_requested'",
    ),
    (
        "llm_rating_for_an_unknown_feature",
        "llm.models.tutor-v2.rating.translate",
        4.0,
        "llm.models.tutor-v2.rating.translate: not a requested feature",
    ),
    (
        "llm_model_live_after_end",
        "llm.models.tutor-v2.live_from",
        "2027-01-01",
        "llm.models.tutor-v2.live_from: lies after end",
    ),
    (
        "first_plan_not_free",
        "subscriptions.plans.free.price",
        5.0,
        "subscriptions.plans.free.price: the first plan must be free",
    ),
    (
        "experiment_unknown_behaviour",
        "experiments.streak_reminders.effects.reminders.retention_rate",
        {"lift": 0.1},
        "experiments.streak_reminders.effects.reminders.retention_rate: unknown behaviour",
    ),
    (
        "experiment_weights_not_summing",
        "experiments.quiz_timer.variants.long_timer",
        0.5,
        "experiments.quiz_timer.variants: shares must sum to 1",
    ),
    (
        "experiment_ends_too_late",
        "experiments.quiz_timer.end",
        "2025-12-20",
        "experiments.quiz_timer.end: must leave 28 days",
    ),
    (
        "experiment_starts_before_the_data",
        "experiments.streak_reminders.start",
        "2022-06-01",
        "experiments.streak_reminders.start: lies outside the timeframe",
    ),
    (
        "experiment_unknown_variant",
        "experiments.annual_plan_nudge.lost_exposures.banner",
        0.1,
        "experiments.annual_plan_nudge.lost_exposures.banner: unknown variant",
    ),
    (
        "experiment_conversion_lift_above_one",
        "experiments.annual_plan_nudge.effects.nudge.plan_conversion.lift",
        40.0,
        "experiments.annual_plan_nudge.effects.nudge.plan_conversion: lifts",
    ),
    (
        "experiment_control_with_an_effect",
        "experiments.streak_reminders.effects.control",
        {"session_rate": {"lift": 0.1}},
        "experiments.streak_reminders.effects.control: the control",
    ),
    (
        "experiment_unknown_control",
        "experiments.quiz_timer.control",
        "baseline",
        "experiments.quiz_timer.control: 'baseline' is not one of the variants",
    ),
    (
        "adoption_event_without_feature",
        "adoption.flashcards.event",
        "search",
        "adoption.flashcards.event: event 'search' has no feature",
    ),
    (
        "adoption_launch_after_the_data",
        "adoption.flashcards.launch",
        "2026-03-01",
        "adoption.flashcards.launch: lies outside the timeframe",
    ),
    (
        "adoption_row_to_an_unknown_event",
        "adoption.flashcards.transitions.quiz_completed.flashcards_shared",
        0.1,
        "adoption.flashcards.transitions.quiz_completed.flashcards_shared: unknown event",
    ),
    (
        "marketing_response_above_one",
        "marketing.response",
        30.0,
        "marketing.response: lifts",
    ),
    (
        "marketing_unknown_month",
        "marketing.channels.paid_social.month_seasonality.sept",
        1.2,
        "marketing.channels.paid_social.month_seasonality.sept",
    ),
]


@pytest.mark.parametrize(("case", "path", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_scenario_exits_2_with_one_line_and_leaves_warehouse(
    tmp_path, capsys, scenario_dict, case, path, value, expected
):
    """The command line's own entry point, in this process (one case also runs as a
    process of its own below)."""
    bad = tmp_path / f"{case}.yml"
    bad.write_text(yaml.safe_dump(_break(scenario_dict, path, value)))
    db = tmp_path / "warehouse.duckdb"
    db.write_bytes(b"previous warehouse")
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    code = cli.main(
        ["generate", "--quiet", "--scenario", str(bad), "--db", str(db), "--users", "100"]
    )

    stderr = capsys.readouterr().err
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert expected in lines[0]
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([bad.name, db.name])


def test_a_bad_scenario_run_as_a_process_exits_2_with_one_line(tmp_path, scenario_dict):
    case, path, value, expected = CASES[0]
    bad = tmp_path / f"{case}.yml"
    bad.write_text(yaml.safe_dump(_break(scenario_dict, path, value)))
    result = run_generator("--scenario", str(bad), "--db", str(tmp_path / "w.duckdb"))
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and expected in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_missing_file_and_bad_yaml_are_one_line_errors(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML at line"):
        load_scenario(broken)


def test_users_override_must_be_positive(tmp_path):
    result = run_generator("--users", "0", "--db", str(tmp_path / "w.duckdb"))
    assert result.returncode == 2
    assert "users" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "w.duckdb").exists()


def test_default_scenario_is_valid():
    scenario = load_scenario(ROOT / "scenarios" / "study_assistant.yml")
    assert scenario.users == 50_000
    assert scenario.start.isoformat() == "2023-01-01" and scenario.end.isoformat() == "2025-12-31"


SHOP = "online_shop.yml"
HEALTH = "preventive_health.yml"
DHYANA = "dhyana_md.yml"
# (world, key path, new value, the message's start)
SEED_WORLD_CASES = [
    (SHOP, "values.order_placed.median", -5, "values.order_placed.median: Input should be greater"),
    (SHOP, "values.order_placed.median", 0.5, "values.order_placed.median: the smallest planted"),
    (SHOP, "values.order_placed.currency", "dollars", "values.order_placed.currency"),
    (SHOP, "values.order_placed.unit", "minutes", "values.order_placed: give either a currency"),
    (SHOP, "values.order_placed.segments.nobody", 1.0, "values.order_placed.segments.nobody"),
    (SHOP, "values.order_placed.anomalies.0.end", "2023-11-01", "anomalies.0.end: must lie"),
    (SHOP, "values.order_placed.sigma", 3.0, "values.order_placed.sigma"),
    (SHOP, "arrivals.anomalies.1.end", "2024-11-20", "arrivals.anomalies.1.end"),
    (
        SHOP,
        "arrivals.anomalies.2.date",
        "2024-11-30",
        "arrivals.anomalies.2: 2024-11-30 is already",
    ),
    (SHOP, "adoption.wishlist.innovation", 0.01, "adoption.wishlist: give a Bass diffusion"),
    (SHOP, "adoption.wishlist.categories.sd_days", 80, "mean_days must be at least 3 sd_days"),
    (
        HEALTH,
        "attributes.age.distribution.health_aware_avoider.high",
        20,
        "high: must not be below",
    ),
    (HEALTH, "attributes.age.distribution.health_aware_avoider.mean", 60, "mean: must lie between"),
    (HEALTH, "attributes.age.bands", [30, 20], "attributes.age.bands: band edges must increase"),
    (HEALTH, "attributes.age_band", {"values": ["x"], "shares": {}}, "two attributes would make"),
    (
        HEALTH,
        "funnels.journey.states.emotional_state.shares.follow_up_completed.all",
        [0.5, 0.5],
        "needs 5 shares, one per value",
    ),
    (
        HEALTH,
        "funnels.journey.states.emotional_state.shares.nowhere",
        {"all": [0.2] * 5},
        "shares.nowhere: not a step of the funnel",
    ),
    (DHYANA, "relations.care_team.parent", "nurse", "relations.care_team.parent: unknown actor"),
    (DHYANA, "actors.doctor.count", 0, "actor kind 'doctor' has no actors"),
    (DHYANA, "actors.doctor.count", -3, "actors.doctor.count: Input should be greater"),
    (DHYANA, "actors.doctor.joining.at_start", 0, "actors.doctor.joining.at_start"),
    (DHYANA, "relations.care_team.effects.activity", "charm", "has no trait named 'charm'"),
    (DHYANA, "relations.care_team.effects.churn", "engagement", "effects.churn"),
    (DHYANA, "actors.doctor.attributes.specialty.shares", [0.5, 0.5], "one share per value"),
    (DHYANA, "actors.doctor.attributes.joined_at", {"values": ["x"], "shares": [1.0]}, "taken"),
    (DHYANA, "outcomes.programme_completed.after.event", "nap", "unknown event 'nap'"),
    (DHYANA, "outcomes.programme_completed.after.count", 0, "after.count"),
    (DHYANA, "outcomes.healed.after_outcome", "healed", "is not an outcome reached by behaviour"),
    (DHYANA, "outcomes.healed.segments.committed", 2.0, "reaches 1.1 (above 1)"),
    (DHYANA, "outcomes.healed.delay_days.max_days", 7, "must not be below min_days"),
    (DHYANA, "outcomes.healed.probability", 1.5, "outcomes.healed.probability"),
]


@pytest.mark.parametrize(
    ("world", "path", "value", "expected"),
    SEED_WORLD_CASES,
    ids=[f"{w.split('_')[0]}-{p}" for w, p, _, _ in SEED_WORLD_CASES],
)
def test_the_seed_worlds_sections_name_what_is_wrong(world, path, value, expected):
    data = yaml.safe_load((ROOT / "scenarios" / world).read_text())
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(_break(data, path, value))
    assert expected in str(raised.value) and "\n" not in str(raised.value)


def test_the_seed_worlds_are_valid():
    for world in (SHOP, HEALTH):
        assert load_scenario(ROOT / "scenarios" / world).users == 50_000
    dhyana = load_scenario(ROOT / "scenarios" / DHYANA)
    assert (dhyana.users, dhyana.actors["doctor"].count) == (65_000, 4_000)
