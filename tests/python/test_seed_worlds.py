"""The worlds of the documents this project grew from, each in scenarios/, build at a small
scale with plain `dbt build`, every test passing, recovery tests among them; and their
marts fail those tests when broken on purpose."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, assert_break_fails, build_world
from generator.scenario import load_scenario

SHOP = ROOT / "scenarios" / "online_shop.yml"
SHOP_USERS = 6000
HEALTH = ROOT / "scenarios" / "preventive_health.yml"
HEALTH_USERS = 5000

# (file, line as it is, line broken, models to rebuild, the test that must fail)
SHOP_BREAKS = {
    # account age counted in months where the mart promises days
    "order_age_in_months": (
        "models/marts/orders/fct_orders.sql",
        "{{ dbt.datediff('users.signup_date', 'events.event_date', 'day') }}",
        "{{ dbt.datediff('users.signup_date', 'events.event_date', 'month') }}",
        "fct_orders",
        "recovers_order_values",
    ),
    # amounts read as cents: a tracker sending minor units taken for major ones
    "amount_in_cents": (
        "models/marts/orders/fct_orders.sql",
        "        events.event_value as amount,",
        "        events.event_value * 100 as amount,",
        "fct_orders",
        "recovers_order_values",
    ),
    # a user's adoption dated by their latest use of the feature instead of their first
    "adopters_dated_by_last_use": (
        "models/marts/adoption/fct_feature_adopters.sql",
        "min(event_date) as adopted_on",
        "max(event_date) as adopted_on",
        "fct_feature_adopters",
        "recovers_adopter_categories",
    ),
}


def _built(tmp_path_factory, scenario: Path, users: int, seed: int) -> Path:
    base = tmp_path_factory.mktemp(scenario.stem)
    db, _ = build_world(
        base, "--scenario", str(scenario), "--users", str(users), "--seed", str(seed)
    )
    return db


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return _built(tmp_path_factory, SHOP, SHOP_USERS, 5)


def test_the_shop_logs_orders_with_amounts(shop):
    con = duckdb.connect(str(shop), read_only=True)
    orders, customers, currencies = con.execute(
        "select count(*), count(distinct user_id), count(distinct currency) from marts.fct_orders"
    ).fetchone()
    valued = con.execute(
        # the events as staging keeps them: retries received twice count once
        "select count(*) from staging.stg_app__events where event_value is not null"
    ).fetchone()[0]
    rfm = con.execute("select count(*), sum(orders) from marts.fct_customer_orders").fetchone()
    cohorts = con.execute(
        "select sum(revenue) - (select sum(amount) from marts.fct_orders "
        "where cohort_month in (select cohort_month from marts.fct_order_cohorts)) "
        "from marts.fct_order_cohorts"
    ).fetchone()[0]
    con.close()
    assert orders == valued > 0 and currencies == 1
    assert rfm == (customers, orders)
    # matured cells only: the cohorts' revenue is at most what their orders hold
    assert cohorts <= 1e-6


HEALTH_BREAKS = {
    # a band's lower edge left out: members aged exactly 30, 40, ... fall in no band
    "band_lower_edge_excluded": (
        "models/marts/core/dim_users.sql",
        "or users.{{ attribute }} >= bands_{{ loop.index }}.lower_bound",
        "or users.{{ attribute }} > bands_{{ loop.index }}.lower_bound",
        "dim_users",
        "recovers_segment_attribute_shares",
    ),
    # one answer kept per member and question (the latest), as a "current state" table
    "check_ins_latest_only": (
        "models/marts/funnels/fct_check_ins.sql",
        "    select * from {{ ref('stg_app__check_ins') }}\n",
        "    select * from {{ ref('stg_app__check_ins') }}\n    qualify row_number() over "
        "(partition by user_id, question order by answered_at desc) = 1\n",
        "fct_check_ins",
        "recovers_check_in_answers",
    ),
}


@pytest.fixture(scope="module")
def health(tmp_path_factory):
    return _built(tmp_path_factory, HEALTH, HEALTH_USERS, 6)


def test_preventive_health_reports_ages_by_band_and_the_journey(health):
    con = duckdb.connect(str(health), read_only=True)
    bands = con.execute(
        "select count(*), count(age_band), min(age), max(age) from marts.dim_users"
    ).fetchone()
    # an age the users table left empty is unknown, and so is its band
    empty = con.execute(
        "select count(*) from truth.faults where fault = 'missing_value' and column_name = 'age'"
    ).fetchone()[0]
    journey = con.execute(
        "select count(distinct step_number) from marts.fct_funnel_conversion "
        "where funnel_name = 'journey' and breakdown in ('persona', 'age_band')"
    ).fetchone()
    con.close()
    assert bands == (HEALTH_USERS, HEALTH_USERS - empty, 25, 50)
    assert journey == (4,)


DHYANA = ROOT / "scenarios" / "dhyana_md.yml"
DHYANA_USERS = 6000

DHYANA_BREAKS = {
    # "sessions" counted as every event of the early days, not the sessions opened
    "early_events_for_sessions": (
        "models/marts/outcomes/fct_user_engagement.sql",
        "        events.event_name in {{ sessions }}\n",
        "        true\n",
        "fct_user_engagement fct_actor_panels fct_relation_effects",
        "recovers_actor_effects",
    ),
    # every linked user counted as an early user, whether their early days have elapsed
    "panel_counts_users_without_early_days": (
        "models/marts/outcomes/fct_actor_panels.sql",
        "sum(case when engagement.has_early_days then 1 else 0 end) as early_users",
        "count(*) as early_users",
        "fct_actor_panels fct_relation_effects",
        "recovers_actor_effects",
    ),
    # the outcome left out of the join: a user's every record counts for every outcome
    "outcomes_joined_on_user_only": (
        "models/marts/outcomes/fct_user_outcomes.sql",
        "        and outcome_names.outcome = outcomes.outcome\n",
        "        and true\n",
        "fct_user_outcomes",
        "recovers_outcomes",
    ),
}


@pytest.fixture(scope="module")
def dhyana(tmp_path_factory):
    return _built(tmp_path_factory, DHYANA, DHYANA_USERS, 7)


def test_dhyana_links_every_patient_to_one_doctor_and_records_outcomes(dhyana):
    con = duckdb.connect(str(dhyana), read_only=True)
    doctors, linked = con.execute(
        "select count(*), sum(linked_users) from marts.dim_actors where actor_kind = 'doctor'"
    ).fetchone()
    patients = con.execute("select count(distinct user_id) from raw.assignments").fetchone()[0]
    late = con.execute(
        "select count(*) from raw.assignments a join raw.actors d using (actor_id) "
        "where d.joined_at >= cast(a.assigned_at as date)"
    ).fetchone()[0]
    outcomes = dict(
        con.execute(
            "select outcome, sum(users_reached) from marts.fct_outcome_cohorts group by 1"
        ).fetchall()
    )
    share = con.execute(
        "select between_actor_share from marts.fct_relation_effects where relation = 'care_team'"
    ).fetchone()[0]
    con.close()
    planted = load_scenario(DHYANA).actors["doctor"].count
    assert doctors == planted and linked == patients == DHYANA_USERS
    assert late == 0  # a patient is linked to a doctor already on the platform
    assert set(outcomes) == {"programme_completed", "healed"}
    assert all(n > 0 for n in outcomes.values())
    assert 0 < share < 1


BREAKS = [
    *(("shop", name, broken) for name, broken in SHOP_BREAKS.items()),
    *(("health", name, broken) for name, broken in HEALTH_BREAKS.items()),
    *(("dhyana", name, broken) for name, broken in DHYANA_BREAKS.items()),
]


@pytest.mark.parametrize(
    ("world", "name", "broken"), BREAKS, ids=[f"{w}-{name}" for w, name, _ in BREAKS]
)
def test_a_broken_mart_fails_its_recovery_test(request, tmp_path, world, name, broken):
    assert_break_fails(request.getfixturevalue(world), tmp_path, broken)
