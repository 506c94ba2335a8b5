"""`python -m generator ask`: questions in an analyst's words routed to the templates.

The paraphrases below were written apart from the templates' own descriptions, as an
analyst would put them; the test reports the share routed to the intended template and
requires at least MIN_ACCURACY (ten templates: chance is 10%). Each kind of template also
answers end to end on a built world, and a question it cannot take gets one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT
from generator.ask import Router, templates, world_of
from generator.dashboard.warehouse import Warehouse

MIN_ACCURACY = 0.7

PARAPHRASES = [
    (
        "Which monthly signup group held on to its users best by month three?",
        "which_cohort_retains_best",
    ),
    ("Rank the cohorts by how many are still around after a quarter", "which_cohort_retains_best"),
    ("Best performing signup cohort for long-term retention", "which_cohort_retains_best"),
    (
        "At which step do students and teachers abandon the onboarding flow?",
        "where_funnels_leak_by_role",
    ),
    ("Where are we losing people in our flows, per role?", "where_funnels_leak_by_role"),
    ("Biggest leak in each funnel split by user role", "where_funnels_leak_by_role"),
    ("What is our customer acquisition cost per channel?", "which_channel_is_worth_its_spend"),
    ("Which ads give the best return on ad spend?", "which_channel_is_worth_its_spend"),
    ("Should we move budget from paid search to referrals?", "which_channel_is_worth_its_spend"),
    (
        "Does using summarize in week one predict people staying?",
        "which_features_go_with_retention",
    ),
    ("Which product features are linked to users not leaving?", "which_features_go_with_retention"),
    ("Do early flashcards users retain better than the rest?", "which_features_go_with_retention"),
    ("Show me DAU, WAU and MAU for the last year", "kpi_trend"),
    ("How has daily usage been trending?", "kpi_trend"),
    ("Number of signups and sessions per day lately", "kpi_trend"),
    ("Break down daily actives by device", "kpi_by_attribute"),
    ("Compare signups per day across acquisition channels", "kpi_by_attribute"),
    ("Active users per country over time", "kpi_by_attribute"),
    ("What fraction of new users is still active after eight weeks?", "retention_curve"),
    ("Plot the weekly retention curve", "retention_curve"),
    ("How quickly do cohorts decay month over month?", "retention_curve"),
    (
        "How many people who viewed pricing started checkout and then completed it?",
        "funnel_conversion",
    ),
    ("Conversion from sign up to email verified to profile completed", "funnel_conversion"),
    ("Of those who request an explanation, how many view it?", "funnel_conversion"),
    ("Did the annual plan nudge lift conversion?", "experiment_results"),
    ("Results of the streak reminders A/B test", "experiment_results"),
    ("Is the onboarding checklist variant significantly better?", "experiment_results"),
    ("What behavioural clusters of users exist?", "personas"),
    ("Describe our user archetypes", "personas"),
    ("Group users by how they use the product and summarise each group", "personas"),
    ("Which device has the highest day-7 retention?", "segment_activity"),
    ("Churn rate and sessions per user for each country", "segment_activity"),
    ("How engaged is each acquisition channel's audience?", "segment_activity"),
]


@pytest.fixture(scope="module")
def world(built_world):
    return world_of(Warehouse(built_world))


def test_paraphrases_route_to_their_templates(world):
    keys = {t.key for t in templates()}
    assert {want for _, want in PARAPHRASES} <= keys  # every template is asked about
    router = Router(templates())
    routed = [(q, want, router.route(q, world).key) for q, want in PARAPHRASES]
    wrong = [f"{q!r} -> {got} (meant {want})" for q, want, got in routed if got != want]
    accuracy = 1 - len(wrong) / len(routed)
    print(f"\nrouting accuracy {accuracy:.0%} ({len(routed) - len(wrong)} of {len(routed)})")
    print("\n".join(wrong))
    assert accuracy >= MIN_ACCURACY, "\n".join(wrong)


def _ask(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator", "ask", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    ("question", "template"),
    [
        ("which cohort retains best?", "which_cohort_retains_best"),
        ("how many users who open the app go on to generate a quiz?", "funnel_conversion"),
    ],
)
def test_a_question_is_answered_with_its_sql(built_world, question, template):
    done = _ask(question, "--db", str(built_world))
    assert done.returncode == 0, done.stderr
    assert template in done.stdout
    assert "select" in done.stdout.lower()  # the SQL it ran, parameters filled
    assert "rows" in done.stdout


def test_a_question_it_cannot_take_gets_one_line(built_world, tmp_path):
    for args, message in [
        (("", "--db", str(built_world)), "empty question"),
        (("which cohort retains best?", "--db", str(tmp_path / "none.duckdb")), "no such"),
    ]:
        done = _ask(*args)
        assert done.returncode == 2
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
