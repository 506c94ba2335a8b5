"""The recovery and invariant tests are not vacuous: on the same small world they pass
with the real marts and fail when a mart is broken on purpose."""

from __future__ import annotations

import re

import pytest

from conftest import assert_break_fails, run_dbt

BREAKS = {
    # on-or-after retention off by one period
    "retention_off_by_one": (
        "models/marts/retention/fct_cohort_retention.sql",
        "when last_periods.last_period >= eligible_cells.period_number then 1 else 0",
        "when last_periods.last_period > eligible_cells.period_number then 1 else 0",
        "fct_cohort_retention",
        "recovers_cohort_retention_curve",
    ),
    # signups counted on the day after they happened
    "signups_shifted_a_day": (
        "models/marts/core/fct_kpi_daily.sql",
        "signup_date as kpi_date,",
        "cast({{ dbt.dateadd('day', 1, 'signup_date') }} as date) as kpi_date,",
        "fct_kpi_daily",
        "recovers_signup_weekday_weights",
    ),
    # churn flagged after three weeks of silence instead of four
    "churn_window_too_short": (
        "models/marts/core/dim_users.sql",
        "days_since_last_active >= {{ var('churn_inactive_days') }}",
        "days_since_last_active >= 21",
        "dim_users",
        "recovers_segment_churn",
    ),
    # annual invoices counted whole in the month they cover instead of 1/12 of the year
    "annual_plans_not_normalised": (
        "models/intermediate/int_invoices_covering_months.sql",
        "cast(invoices.amount / invoices.interval_months as {{ dbt.type_numeric() }}) as mrr",
        "cast(invoices.amount as {{ dbt.type_numeric() }}) as mrr",
        "int_invoices_covering_months fct_mrr",
        "mrr_equals_paid_invoices",
    ),
    # failed payments counted as revenue
    "failed_payments_counted": (
        "models/intermediate/int_invoices_covering_months.sql",
        "    where invoices.is_paid\n",
        "\n",
        "int_invoices_covering_months fct_mrr int_mrr_movements_by_customer",
        "recovers_plan_churn_and_upgrades",
    ),
    # funnels read from the tracking plan with at most a 2-day window (onboarding's is 14)
    "funnel_window_too_short": (
        "macros/tracking_plan/tracking_plan.sql",
        "'steps': [], 'window_days': row[2],",
        "'steps': [], 'window_days': [row[2], 2] | min,",
        "fct_funnel_steps_reached fct_funnel_conversion",
        "recovers_funnel_conversion",
    ),
    # each user counted by their first upgrade attempt instead of their best one
    "funnel_first_attempt_not_best": (
        "macros/funnels/funnel.sql",
        "partition by user_id order by steps_reached desc, step_1_at",
        "partition by user_id order by step_1_at",
        "fct_funnel_steps_reached fct_funnel_conversion",
        "recovers_funnel_conversion",
    ),
    # sessions cut after four idle hours instead of 30 minutes: stages lose sessions
    "session_timeout_too_long": (
        "dbt_project.yml",
        "session_timeout_minutes: 30",
        "session_timeout_minutes: 240",
        "int_events_sessionized fct_events",
        "recovers_lifecycle_stage_activity",
    ),
    # a day judged against the weeks before it only: changes of level read as anomalies
    "anomaly_baseline_one_sided": (
        "models/marts/core/fct_kpi_anomalies.sql",
        "            when sign(z_before) = sign(z_after) then z_after\n            else 0",
        "            when sign(z_before) = sign(z_after) then z_after\n            else z_before",
        "fct_kpi_anomalies",
        "flags_planted_kpi_anomalies",
    ),
    # every answer counted as rated: the mean rating divides by all answers
    "unrated_answers_counted_as_rated": (
        "models/marts/llm/fct_llm_quality.sql",
        "sum(case when responses.is_rated then 1 else 0 end) as rated_responses",
        "count(*) as rated_responses",
        "fct_llm_quality",
        "recovers_llm_quality",
    ),
    # every logged exposure counted as a user: heavy users of the lifted arm count more
    "exposures_not_deduplicated": (
        "models/marts/experiments/fct_experiment_exposures.sql",
        "    where exposure_number = 1\n",
        "\n",
        "fct_experiment_exposures fct_experiment_statistics fct_experiment_results",
        "recovers_experiment_effects",
    ),
    # a user's adoption dated by their latest use of the feature instead of their first
    "adoption_dated_by_last_use": (
        "models/marts/adoption/fct_feature_adopters.sql",
        "min(event_date) as adopted_on",
        "max(event_date) as adopted_on",
        "fct_feature_adopters fct_feature_adoption",
        "recovers_feature_adoption",
    ),
    # system events (an email confirmed) counted as activity: day-1 retention too high
    "system_events_counted_as_activity": (
        "models/intermediate/int_user_activity_daily.sql",
        "    where is_user_action\n",
        "\n",
        "int_user_activity_daily fct_cohort_retention",
        "recovers_cohort_retention_curve",
    ),
    # an answer's cost read in thousandths of a dollar (the provider's price per 1,000)
    "answer_cost_in_the_wrong_unit": (
        "models/marts/llm/fct_llm_quality.sql",
        "sum(responses.cost_usd) as cost_usd,",
        "sum(responses.cost_usd * 1000) as cost_usd,",
        "fct_llm_quality",
        "recovers_llm_token_cost",
    ),
    # touches credited over two weeks before a conversion instead of the 30 days
    # retries counted twice: staging keeps every receipt and every resent copy
    "events_not_deduplicated": (
        "models/staging/app/stg_app__events.sql",
        "where not is_repeated_receipt and not is_resent_copy and not is_excluded_account",
        "where not is_excluded_account",
        "stg_app__events fct_data_quality",
        "recovers_planted_faults",
    ),
    # a device clock's offset left in event_at
    "device_clocks_trusted": (
        "models/staging/app/stg_app__event_deliveries.sql",
        "timed.corrected_event_at as event_at,",
        "timed.event_at as event_at,",
        "stg_app__event_deliveries stg_app__events fct_data_quality",
        "recovers_planted_faults",
    ),
    # staff accounts counted as customers: only the volume rule excludes accounts
    "staff_accounts_kept": (
        "models/staging/app/stg_app__excluded_accounts.sql",
        "where is_internal or is_inhuman",
        "where is_inhuman",
        "stg_app__excluded_accounts stg_app__users stg_app__event_deliveries stg_app__events"
        " fct_data_quality",
        "recovers_planted_faults",
    ),
    "attribution_window_too_short": (
        "dbt_project.yml",
        "attribution_window_days: 30",
        "attribution_window_days: 14",
        "fct_attribution",
        "recovers_marketing_touches_and_response",
    ),
}


def test_recovery_tests_pass_on_the_real_marts(built_world):
    # `dbt build` above ran them; run them again on their own to see them selected.
    project = built_world.parent / "project"
    result = run_dbt(project, built_world, "test", "--select", "tag:recovery")
    assert result.returncode == 0, result.stdout[-3000:]
    # every recovery test ran and none failed (two may only warn: arms too small to
    # judge, planted effects too small to detect)
    done = re.search(r"PASS=(\d+) WARN=(\d+) ERROR=0 .* TOTAL=24", result.stdout)
    assert done is not None, result.stdout[-3000:]
    assert int(done.group(1)) >= 20 and int(done.group(1)) + int(done.group(2)) == 24


@pytest.mark.parametrize("name", list(BREAKS))
def test_a_broken_mart_fails_its_recovery_test(built_world, tmp_path, name):
    assert_break_fails(built_world, tmp_path, BREAKS[name])
