"""Subscriptions: a monthly state machine over plans. At each monthly anniversary of the
signup a user may convert, upgrade, downgrade or cancel (annual plans only at renewal),
with per-segment multipliers and a higher chance of cancelling once they stopped using
the product; a paid period's payment can fail, which drops the user to the free plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generator.behaviours.churn.simulate import Spells
from generator.behaviours.funnels.simulate import FreePlanDecisions
from generator.behaviours.subscriptions.section import transition_tables
from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import dictionary, timestamps
from generator.scenario import Scenario
from generator.section import present
from generator.state import Shard

REASON_CUSTOMER, REASON_PAYMENT_FAILED = 0, 1
REASONS = ["customer", "payment_failed"]


@dataclass(frozen=True)
class Decisions:
    """Every monthly plan decision, for the experiments' conversion and revenue truth."""

    user: np.ndarray
    day: np.ndarray
    p_convert: np.ndarray  # chance of moving to a paid plan (lifts applied), 0 off free
    converting_revenue: np.ndarray  # expected paid amount from such a move
    other_revenue: np.ndarray  # expected paid amount otherwise (renewals, trials)


@dataclass(frozen=True)
class BillingHistory:
    """Plan changes and invoices of a shard's users (shard-local user index)."""

    change_user: np.ndarray
    change_at_ms: np.ndarray
    change_from: np.ndarray
    change_to: np.ndarray
    change_reason: np.ndarray
    invoice_user: np.ndarray
    invoice_plan: np.ndarray
    invoice_start_day: np.ndarray  # days since the scenario start
    invoice_end_day: np.ndarray
    invoice_at_ms: np.ndarray
    invoice_paid: np.ndarray
    # truth: summed chances of each (plan -> next plan) decision, and their variance
    expected_transitions: np.ndarray  # (plan, next plan)
    transition_variance: np.ndarray
    decisions: np.ndarray  # (plan,) decisions taken from each plan
    billed_decisions: np.ndarray  # (plan,) those in months complete by the end
    # truth as the invoices show it: chances that a decision leaves the user paying for
    # each plan next (a failed payment counts as paying nothing), last column = nothing
    expected_billed: np.ndarray  # (plan, plan + nothing)
    billed_variance: np.ndarray
    free_plan: FreePlanDecisions  # what a plan-conversion funnel is tried at
    every_decision: Decisions  # for the experiments' truth


def anniversaries(start: dt.date, signup_day: np.ndarray, k: int) -> np.ndarray:
    """Day index (since `start`) of each user's k-th monthly anniversary of signup; a
    signup on the 31st renews on the last day of shorter months."""
    signup = np.datetime64(start, "D") + signup_day.astype("timedelta64[D]")
    month = signup.astype("datetime64[M]")
    day_of_month = (signup - month.astype("datetime64[D]")).astype(np.int64)
    target = month + k
    month_days = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    day = target.astype("datetime64[D]") + np.minimum(day_of_month, month_days - 1)
    return (day - np.datetime64(start, "D")).astype(np.int64)


def _first_incomplete_month(start: dt.date, days: int) -> int:
    """Day index of the first day of the month the data ends in, unless the data ends on
    that month's last day (then `days`: every month is complete)."""
    end = np.datetime64(start, "D") + np.timedelta64(days - 1, "D")
    month = end.astype("datetime64[M]")
    if (end + np.timedelta64(1, "D")).astype("datetime64[M]") != month:
        return days
    return int((month.astype("datetime64[D]") - np.datetime64(start, "D")).astype(np.int64))


def _inactive_at(spells: Spells, day: np.ndarray) -> np.ndarray:
    """Whether the user had stopped using the product by that day (churned, not back)."""
    first_spell = day < spells.churned_at
    second_spell = (day >= spells.returned_at) & (day < spells.churned_again_at)
    return ~(first_spell | second_spell)


def decision_times(signup_day: np.ndarray, signup_ms: np.ndarray):
    """When plan decisions fall: (user, anniversary day) -> that day at the time of day the
    user signed up, in ms since the start."""
    time_of_day = signup_ms - signup_day.astype(np.int64) * MS_PER_DAY
    return lambda user, day: day * MS_PER_DAY + time_of_day[user]


def simulate(
    scenario: Scenario,
    days: int,
    signup_day: np.ndarray,
    signup_ms: np.ndarray,
    segment: np.ndarray,
    spells: Spells,
    rng: np.random.Generator,
    conversion_lift=None,
) -> BillingHistory:
    """`conversion_lift(user, day)`, when given, multiplies the chances of moving from the
    free plan to a paid one (an experiment's planted effect)."""
    subs = present(scenario.subscriptions)
    plans = list(subs.plans)
    n_plans = len(plans)
    price = np.array([subs.plans[p].price for p in plans])
    term = np.array([12 if subs.plans[p].interval == "year" else 1 for p in plans])
    tables = transition_tables(scenario)
    cumulative = np.cumsum(tables, axis=3)
    cumulative[..., -1] = 1.0
    at = decision_times(signup_day, signup_ms)
    n = len(signup_day)
    state = np.full(n, plans.index(subs.initial_plan), dtype=np.int64)
    term_started = np.zeros(n, dtype=np.int64)  # anniversary at which the plan's term began
    changes: list[tuple] = []
    invoices: list[tuple] = []
    free: list[tuple] = []
    made: list[tuple] = []
    expected = np.zeros((n_plans, n_plans))
    variance = np.zeros((n_plans, n_plans))
    decisions = np.zeros(n_plans)
    billed_decisions = np.zeros(n_plans)
    # Month-over-month revenue reads each month at its last day; a month the data ends in
    # before its last day shows no decision of its own, so billed truth leaves it out.
    complete_until = _first_incomplete_month(scenario.start, days)
    expected_billed = np.zeros((n_plans, n_plans + 1))
    billed_variance = np.zeros((n_plans, n_plans + 1))
    is_paid = price > 0
    f = subs.failed_payment_probability

    def bill(users: np.ndarray, k: int, day: np.ndarray) -> None:
        """Invoice `users` whose paid term starts at anniversary k; failures drop to free."""
        paid_plan = state[users]
        end = anniversaries(scenario.start, signup_day[users], k + term[paid_plan])
        ok = rng.random(len(users)) >= subs.failed_payment_probability
        invoices.append((users, paid_plan, day, end, at(users, day), ok))
        failed = users[~ok]
        if len(failed):
            changes.append(
                (
                    failed,
                    at(failed, day[~ok]),
                    state[failed],
                    np.zeros(len(failed), dtype=np.int64),
                    REASON_PAYMENT_FAILED,
                )
            )
            state[failed] = 0
            term_started[failed] = k

    starts_paid = np.flatnonzero(price[state] > 0)
    bill(starts_paid, 0, signup_day[starts_paid].astype(np.int64))
    k = 1
    while True:
        day = anniversaries(scenario.start, signup_day, k)
        alive = np.flatnonzero(day < days)
        if len(alive) == 0:
            break
        day = day[alive]
        current = state[alive]
        deciding = (k - term_started[alive]) % term[current] == 0
        users, day, current = alive[deciding], day[deciding], current[deciding]
        inactive = _inactive_at(
            Spells(
                spells.churned_at[users], spells.returned_at[users], spells.churned_again_at[users]
            ),
            day,
        ).astype(np.int64)
        rows = tables[segment[users], inactive, current]
        on_free = current == 0
        cum = cumulative[segment[users], inactive, current]
        if conversion_lift is not None:
            m = np.where(on_free, conversion_lift(users, day), 1.0)
            lifted = np.flatnonzero(m != 1.0)
            if len(lifted):
                rows, cum = rows.copy(), cum.copy()
                rows[np.ix_(lifted, np.flatnonzero(is_paid))] *= m[lifted, None]
                rows[lifted, 0] = 1.0 - rows[lifted, 1:].sum(axis=1)
                if (rows[lifted, 0] < 0).any():
                    raise ValueError("an experiment lifts a plan conversion chance above 1")
                cum[lifted] = np.cumsum(rows[lifted], axis=1)
                cum[lifted, -1] = 1.0
        amount = rows[:, is_paid] @ price[is_paid] * (1 - f)
        made.append(
            (
                users,
                day,
                np.where(on_free, rows[:, is_paid].sum(axis=1), 0.0),
                np.where(on_free, amount, 0.0),
                np.where(on_free, 0.0, amount),
            )
        )
        by_plan = np.eye(n_plans)[current].T  # (plan, decision) indicator
        expected += by_plan @ rows
        variance += by_plan @ (rows * (1 - rows))
        decisions += by_plan.sum(axis=1)
        billed = np.column_stack(
            [
                rows * is_paid * (1 - f),
                rows[:, ~is_paid].sum(axis=1) + f * rows[:, is_paid].sum(axis=1),
            ]
        )
        seen = by_plan * (day < complete_until)  # decisions in complete months only
        billed_decisions += seen.sum(axis=1)
        expected_billed += seen @ billed
        billed_variance += seen @ (billed * (1 - billed))
        u = rng.random(len(users))
        nxt = (u[:, None] >= cum).sum(axis=1)
        free.append(
            (
                users[on_free],
                at(users[on_free], day[on_free]),
                rows[on_free][:, is_paid].sum(axis=1),
                is_paid[nxt[on_free]],
            )
        )
        moved = nxt != current
        if moved.any():
            changes.append(
                (
                    users[moved],
                    at(users[moved], day[moved]),
                    current[moved],
                    nxt[moved],
                    REASON_CUSTOMER,
                )
            )
        state[users] = nxt
        term_started[users] = k
        renewing = price[nxt] > 0
        bill(users[renewing], k, day[renewing])
        k += 1

    def cat(parts: list[tuple], i: int, dtype=np.int64) -> np.ndarray:
        if not parts:
            return np.zeros(0, dtype=dtype)
        return np.concatenate(
            [np.broadcast_to(np.asarray(p[i], dtype=dtype), (len(p[0]),)) for p in parts]
        )

    return BillingHistory(
        change_user=cat(changes, 0),
        change_at_ms=cat(changes, 1),
        change_from=cat(changes, 2),
        change_to=cat(changes, 3),
        change_reason=cat(changes, 4),
        invoice_user=cat(invoices, 0),
        invoice_plan=cat(invoices, 1),
        invoice_start_day=cat(invoices, 2),
        invoice_end_day=cat(invoices, 3),
        invoice_at_ms=cat(invoices, 4),
        invoice_paid=cat(invoices, 5, bool),
        expected_transitions=expected,
        transition_variance=variance,
        decisions=decisions,
        billed_decisions=billed_decisions,
        expected_billed=expected_billed,
        billed_variance=billed_variance,
        free_plan=_by_user(
            FreePlanDecisions(
                user=cat(free, 0),
                at_ms=cat(free, 1),
                p_convert=cat(free, 2, np.float64),
                converted=cat(free, 3, bool),
            )
        ),
        every_decision=Decisions(
            user=cat(made, 0),
            day=cat(made, 1),
            p_convert=cat(made, 2, np.float64),
            converting_revenue=cat(made, 3, np.float64),
            other_revenue=cat(made, 4, np.float64),
        ),
    )


def _by_user(d: FreePlanDecisions) -> FreePlanDecisions:
    order = np.lexsort((d.at_ms, d.user))
    return FreePlanDecisions(d.user[order], d.at_ms[order], d.p_convert[order], d.converted[order])


def draw(s: Shard, conversion_lift: Callable[[np.ndarray, np.ndarray], np.ndarray] | None) -> None:
    """Each user's plan history from the monthly decisions; `conversion_lift` (user, day)
    multiplies the chance of leaving the free plan for a paid one, if anything does."""
    if s.scenario.subscriptions is None:
        return
    s.history = simulate(
        s.scenario,
        s.cal.days,
        s.signup_day,
        s.signed_up_ms,
        s.segment,
        s.spells,
        s.rng["billing"],
        conversion_lift,
    )


def log(s: Shard) -> None:
    tables, transitions = _billing_tables(s.scenario, s.cal, s.history, s.user_id)
    s.raw.update(tables)
    s.sums["transitions"] = transitions


def _billing_tables(
    scenario: Scenario,
    cal: Calendar,
    history: BillingHistory | None,
    user_id: np.ndarray,
) -> tuple[dict[str, pa.Table], dict[str, np.ndarray]]:
    """Plan changes and invoices as the billing system logs them, ordered by user and time."""
    if history is None:
        return {}, {}
    subs = present(scenario.subscriptions)
    plans = list(subs.plans)
    start = np.datetime64(cal.start, "D")
    c = np.lexsort((history.change_at_ms, history.change_user))
    i = np.lexsort((history.invoice_at_ms, history.invoice_user))
    plan = history.invoice_plan[i]
    price = np.array([subs.plans[p].price for p in plans])
    interval = [subs.plans[p].interval for p in plans]
    tables = {
        "subscription_changes": pa.table(
            {
                "user_id": pa.array(user_id[history.change_user[c]]),
                "changed_at": timestamps(cal, history.change_at_ms[c]),
                "from_plan": dictionary(history.change_from[c], plans),
                "to_plan": dictionary(history.change_to[c], plans),
                "reason": dictionary(history.change_reason[c], REASONS),
            }
        ),
        "invoices": pa.table(
            {
                "user_id": pa.array(user_id[history.invoice_user[i]]),
                "plan": dictionary(plan, plans),
                "billing_interval": dictionary(plan, interval),
                "amount": pa.array(price[plan]),
                "currency": pa.array(np.full(len(plan), subs.currency)),
                "period_start": pa.array(start + history.invoice_start_day[i]),
                "period_end": pa.array(start + history.invoice_end_day[i]),
                "issued_at": timestamps(cal, history.invoice_at_ms[i]),
                "status": dictionary(history.invoice_paid[i].astype(np.int16), ["failed", "paid"]),
            }
        ),
    }
    truth = {
        "expected_transitions": history.expected_transitions,
        "transition_variance": history.transition_variance,
        "decisions": history.decisions,
        "billed_decisions": history.billed_decisions,
        "expected_billed": history.expected_billed,
        "billed_variance": history.billed_variance,
    }
    return tables, truth
