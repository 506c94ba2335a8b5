"""Subscriptions driven by use. A user on a plan paying nothing may move up in any
session they open: each session has a chance of ending with a move to each plan (the
segment's upgrade multiplier, the features the session used and any experiment or
marketing lift applied), so the users who pay are mostly the ones who use the product. A
move to a paid plan goes through checkout at the session's end and is billed when it
completes; a trial lasts its days and falls back to the free plan unless the user moved to
a paid plan in one of its sessions. A paid plan renews on the anniversaries of its start
(monthly or yearly, at the time of day it started), where the user keeps it, changes it or
cancels (more often when they opened no session in the month before, giving a reason); a payment can
fail, which drops the user to the free plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from generator.behaviours.events.simulate import SPAN, Hosts
from generator.behaviours.funnels.simulate import (
    FreePlanDecisions,
    checkout_steps,
    longest_checkout_ms,
)
from generator.behaviours.subscriptions.section import (
    BILLING_REASONS,
    conversion_tables,
    transition_tables,
    trial_plans,
)
from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import dictionary, timestamps
from generator.maths import draw_rows, expand_ranges
from generator.scenario import Scenario
from generator.section import present
from generator.state import Shard

CUSTOMER = "customer"  # the reason a customer's own change carries when none is declared


def reasons(scenario: Scenario) -> list[str]:
    """Every reason a plan change can carry: the customer's (one, then the declared
    cancellation reasons), then the billing system's."""
    declared = present(scenario.subscriptions).cancellation_reasons
    given = [*declared.active, *declared.inactive] if declared is not None else []
    return list(dict.fromkeys([CUSTOMER, *given, *BILLING_REASONS]))


@dataclass(frozen=True)
class Decisions:
    """Every plan decision, for the experiments' conversion and revenue truth and the
    marketing response: each session on a plan paying nothing, and each renewal."""

    user: np.ndarray
    at_ms: np.ndarray
    p_convert: np.ndarray  # chance of moving to a paid plan (lifts applied), 0 at a renewal
    converting_revenue: np.ndarray  # expected paid amount from such a move
    other_revenue: np.ndarray  # expected paid amount otherwise (renewals)

    @property
    def day(self) -> np.ndarray:
        return self.at_ms // MS_PER_DAY


@dataclass(frozen=True)
class BillingHistory:
    """Plan changes and invoices of a shard's users (shard-local user index)."""

    change_user: np.ndarray
    change_at_ms: np.ndarray
    change_from: np.ndarray
    change_to: np.ndarray
    change_reason: np.ndarray  # index into reasons(scenario)
    change_is_cancellation: np.ndarray  # a customer's move from a paid plan to the free one
    invoice_user: np.ndarray
    invoice_plan: np.ndarray
    invoice_start_day: np.ndarray  # days since the scenario start
    invoice_end_day: np.ndarray
    invoice_at_ms: np.ndarray
    invoice_paid: np.ndarray
    invoice_is_renewal: np.ndarray  # billed at a renewal (not at a plan's start)
    truth: Sums
    free_plan: FreePlanDecisions  # what a plan-conversion funnel is tried at
    every_decision: Decisions  # for the experiments' truth


@dataclass
class Sums:
    """Truth summed over decisions: per (plan, next plan) the chances and their variance
    and the decisions taken from each plan (a session on a plan paying nothing, a trial
    running out, a renewal); the same at renewals as the invoices show them, over the
    months complete by the end (last column: paying nothing); and the expected
    cancellations giving each reason."""

    n_plans: int
    n_reasons: int
    expected_transitions: np.ndarray = field(init=False)
    transition_variance: np.ndarray = field(init=False)
    decisions: np.ndarray = field(init=False)
    billed_decisions: np.ndarray = field(init=False)
    expected_billed: np.ndarray = field(init=False)
    billed_variance: np.ndarray = field(init=False)
    expected_reasons: np.ndarray = field(init=False)
    reason_variance: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = self.n_plans
        self.expected_transitions = np.zeros((n, n))
        self.transition_variance = np.zeros((n, n))
        self.decisions = np.zeros(n)
        self.billed_decisions = np.zeros(n)
        self.expected_billed = np.zeros((n, n + 1))
        self.billed_variance = np.zeros((n, n + 1))
        self.expected_reasons = np.zeros(self.n_reasons)
        self.reason_variance = np.zeros(self.n_reasons)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: v for k, v in vars(self).items() if isinstance(v, np.ndarray)}


def anniversaries(start: dt.date, anchor_day: np.ndarray, k) -> np.ndarray:
    """Day index (since `start`) of the k-th monthly anniversary of each anchor day; an
    anchor on the 31st renews on the last day of shorter months."""
    anchor = np.datetime64(start, "D") + np.asarray(anchor_day).astype("timedelta64[D]")
    month = anchor.astype("datetime64[M]")
    day_of_month = (anchor - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(k).astype("timedelta64[M]")
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


IDLE_DAYS = 30  # a customer with no session in this many days before a renewal is idle


def _idle_before(hosts: Hosts, user: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Whether each user opened no session in the IDLE_DAYS before `at`."""
    key = hosts.key("starts")
    wanted = user.astype(np.int64) * SPAN
    since = np.searchsorted(key, wanted + at - IDLE_DAYS * MS_PER_DAY, side="left")
    until = np.searchsorted(key, wanted + at, side="left")
    return until == since


def session_features(scenario: Scenario, hosts: Hosts, session: np.ndarray, code: np.ndarray):
    """Per session of `hosts`: how many distinct features its events (ordered by session,
    with their catalogue codes) used."""
    catalog = list(scenario.events.catalog.values())
    names = sorted({e.feature for e in catalog if e.feature is not None})
    out = np.zeros(len(hosts.user))
    if not names or len(session) == 0:
        return out
    bit = np.array(
        [1 << names.index(e.feature) % 63 if e.feature else 0 for e in catalog], dtype=np.uint64
    )
    starts = np.flatnonzero(np.r_[True, session[1:] != session[:-1]])
    used = np.bitwise_or.reduceat(bit[code], starts)
    out[session[starts]] = np.bitwise_count(used)
    return out


class _Rows:
    """Rows written as the users' paths run, concatenated at the end."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, table: str, **columns) -> None:
        n = max(len(v) for v in columns.values() if np.ndim(v) > 0)
        for name, value in columns.items():
            array = np.full(n, value) if np.ndim(value) == 0 else np.asarray(value)
            self.parts.setdefault(f"{table}.{name}", []).append(array)

    def get(self, table: str, name: str, dtype=np.int64) -> np.ndarray:
        parts = self.parts.get(f"{table}.{name}")
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


class _Sessions:
    """Every session as a chance to move up from a plan paying nothing. A session's chance
    of moving from plan a to plan b is the segment's table entry times the session's
    factor: the features it used, and for a paid plan b the lifts too. Whether a session
    moves a user on each such plan is drawn once; the plan it moves them to when it does."""

    def __init__(self, scenario, hosts: Hosts, features, segment, end_ms, lift, rng) -> None:
        subs = present(scenario.subscriptions)
        self.is_paid = np.array([p.price > 0 for p in subs.plans.values()])
        self.user = hosts.user
        self.segment = segment[self.user]
        self.at = hosts.hosted_at("checkout")
        self.key = self.user.astype(np.int64) * SPAN + self.at
        self.table = conversion_tables(scenario)  # (segment, plan, next plan)
        n = len(self.user)
        unpaid_factor = 1.0 + subs.feature_lift * features
        # a checkout must finish inside the timeframe: none is tried too close to its end
        unpaid_factor[self.at + longest_checkout_ms(scenario) >= end_ms] = 0.0
        paid_factor = unpaid_factor.copy()
        if lift is not None and n:
            paid_factor *= lift(self.user, self.at)
        self.factor = np.column_stack([unpaid_factor, paid_factor])  # by whether b pays
        self.rng = rng
        # per plan that can move up: each session's next move by the same user (-1: none)
        self.next_hit: dict[int, np.ndarray] = {}
        index = np.arange(n)
        for a in np.flatnonzero(self.table.sum(axis=(0, 2)) > 0):
            hit = rng.random(n) < self.total(np.arange(n), np.full(n, a))
            nxt = np.minimum.accumulate(np.where(hit, index, n)[::-1])[::-1]
            same = (nxt < n) & (self.user[np.minimum(nxt, n - 1)] == self.user)
            self.next_hit[int(a)] = np.r_[np.where(same, nxt, -1), -1]
        zero = np.zeros((1, 2))
        self.running = np.concatenate([zero, np.cumsum(self.factor, axis=0)])
        self.running_squares = np.concatenate([zero, np.cumsum(self.factor**2, axis=0)])

    def chances(self, session: np.ndarray, plan: np.ndarray) -> np.ndarray:
        """(session, next plan) chances of moving from `plan` in each session."""
        row = self.table[self.segment[session], plan]
        return row * self.factor[session][:, self.is_paid.astype(int)]

    def total(self, session: np.ndarray, plan: np.ndarray) -> np.ndarray:
        return self.chances(session, plan).sum(axis=1)

    def hits(self, first: np.ndarray, plan: np.ndarray) -> np.ndarray:
        """Each run's first session at or after `first` that moves its user up from `plan`."""
        out = np.full(len(first), -1)
        for a, nxt in self.next_hit.items():
            mine = plan == a
            out[mine] = nxt[np.minimum(first[mine], len(nxt) - 1)]
        return out

    def target(self, session: np.ndarray, plan: np.ndarray) -> np.ndarray:
        """The plan each moving session moves its user to, in proportion to the chances."""
        return draw_rows(self.chances(session, plan), self.rng)

    def run_sums(self, first, through, plan) -> tuple[np.ndarray, np.ndarray]:
        """(run, next plan) summed chances over each run's sessions, and their variance
        (one user per run, so one segment: the table entry times the summed factors)."""
        row = self.table[self.segment[np.minimum(first, max(len(self.user) - 1, 0))], plan]
        paid = self.is_paid.astype(int)
        through = np.maximum(through, first)
        factor = (self.running[through] - self.running[first])[:, paid]
        squares = (self.running_squares[through] - self.running_squares[first])[:, paid]
        return row * factor, row * factor - row**2 * squares

    def from_(self, user: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Index of each user's first session whose checkout falls after t."""
        return np.searchsorted(self.key, user.astype(np.int64) * SPAN + t, side="right")


def simulate(
    scenario: Scenario,
    days: int,
    signup_ms: np.ndarray,
    segment: np.ndarray,
    hosts: Hosts,
    features: np.ndarray,
    rng: np.random.Generator,
    conversion_lift: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    checkout: Callable[[int], np.ndarray] | None = None,
) -> BillingHistory:
    """`conversion_lift(user, at_ms)`, when given, multiplies a session's chances of moving
    to a paid plan (an experiment's or marketing's planted effect); `checkout(n)` gives n
    checkouts' step times from their start (ms; the last step completes the move)."""
    subs = present(scenario.subscriptions)
    plans = list(subs.plans)
    n_plans = len(plans)
    price = np.array([subs.plans[p].price for p in plans])
    term = np.array([12 if subs.plans[p].interval == "year" else 1 for p in plans])
    is_paid = price > 0
    is_trial = trial_plans(scenario)
    f = subs.failed_payment_probability
    end_ms = days * MS_PER_DAY
    trial_ms = subs.trial_days * MS_PER_DAY
    reason_names = reasons(scenario)
    rows = _Rows()
    sums = Sums(n_plans, len(reason_names))
    sessions = _Sessions(scenario, hosts, features, segment, end_ms, conversion_lift, rng)
    user_end = np.searchsorted(sessions.user, np.arange(len(segment)), side="right")

    n = len(segment)
    state = np.full(n, plans.index(subs.initial_plan), dtype=np.int64)
    since = signup_ms.astype(np.int64).copy()  # when the current spell began
    anchor = since.copy()  # when the current paid spell began: renewals fall on it
    trial_end = np.where(is_trial[state], since + trial_ms, end_ms)
    runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # first session, count, plan
    converting: list[np.ndarray] = []  # sessions whose checkout moved a user to a paid plan
    checkout_times: list[np.ndarray] = []

    def start_paying(users: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Invoice a paid plan starting at `at` (a failed payment drops the user to the
        free plan at once); returns the users now paying and those who failed."""
        plan = state[users]
        day = at // MS_PER_DAY
        ok = rng.random(len(users)) >= f
        rows.add(
            "invoice",
            user=users,
            plan=plan,
            start=day,
            end=anniversaries(scenario.start, day, term[plan]),
            at=at,
            paid=ok,
            renewal=False,
        )
        failed = users[~ok]
        if len(failed):
            rows.add(
                "change",
                user=failed,
                at=at[~ok],
                source=plan[~ok],
                target=0,
                reason=reason_names.index("payment_failed"),
            )
        state[failed] = 0
        since[failed] = at[~ok]
        anchor[users] = at
        return users[ok], failed

    starts_paid = np.flatnonzero(is_paid[state])
    paying, failed = start_paying(starts_paid, since[starts_paid])
    waiting = np.sort(np.concatenate([np.flatnonzero(~is_paid[state]), failed]))
    while len(waiting) or len(paying):
        # -- on a plan paying nothing: the first session in which the user moves up
        plan = state[waiting]
        first = sessions.from_(waiting, since[waiting])
        stop = np.minimum(
            user_end[waiting], sessions.from_(waiting, np.minimum(trial_end[waiting], end_ms))
        )
        hit = np.where(first < stop, sessions.hits(first, plan), -1)
        hit = np.where((hit >= 0) & (hit < stop), hit, -1)
        through = np.where(hit >= 0, hit + 1, np.maximum(stop, first))
        runs.append((first, through - first, plan))
        _add_runs(sums, sessions, first, through, plan)
        moving = hit >= 0
        user, session, source = waiting[moving], hit[moving], plan[moving]
        target = sessions.target(session, source)
        at = sessions.at[session].copy()
        to_paid = is_paid[target]
        steps = (
            checkout(int(to_paid.sum()))
            if checkout is not None
            else np.zeros((int(to_paid.sum()), 1), dtype=np.int64)
        )
        at[to_paid] += steps[:, -1]
        converting.append(session[to_paid])
        checkout_times.append(sessions.at[session[to_paid], None] + steps)
        rows.add(
            "change",
            user=user,
            at=at,
            source=source,
            target=target,
            reason=reason_names.index(CUSTOMER),
        )
        state[user], since[user] = target, at
        trial_end[user] = np.where(to_paid, end_ms, at + trial_ms)
        # a trial that ran out falls back to the free plan (a certain move)
        out = ~moving & is_trial[plan] & (trial_end[waiting] < end_ms)
        back, back_from = waiting[out], plan[out]
        if len(back):
            rows.add(
                "change",
                user=back,
                at=trial_end[back],
                source=back_from,
                target=0,
                reason=reason_names.index("trial_ended"),
            )
        np.add.at(sums.decisions, back_from, 1)
        np.add.at(sums.expected_transitions, (back_from, 0), 1.0)
        state[back], since[back], trial_end[back] = 0, trial_end[back], end_ms
        # a paid plan starts: billed at once, renewed on its anniversaries
        started, failed = start_paying(user[to_paid], at[to_paid])
        paying = np.concatenate([paying, started])
        dropped, dropped_at = _renewals(
            scenario, paying, state, anchor, segment, hosts, days, rng, rows, sums, reason_names
        )
        since[dropped] = dropped_at
        paying = np.zeros(0, dtype=np.int64)
        waiting = np.unique(np.concatenate([user[~to_paid], back, failed, dropped]))
        waiting = waiting[since[waiting] < end_ms]

    every, free_plan = _decisions(
        sessions, runs, converting, checkout_times, rows, is_paid, price, f
    )
    return BillingHistory(
        change_user=rows.get("change", "user"),
        change_at_ms=rows.get("change", "at"),
        change_from=rows.get("change", "source"),
        change_to=rows.get("change", "target"),
        change_reason=rows.get("change", "reason"),
        change_is_cancellation=_cancellations(scenario, rows, reason_names),
        invoice_user=rows.get("invoice", "user"),
        invoice_plan=rows.get("invoice", "plan"),
        invoice_start_day=rows.get("invoice", "start"),
        invoice_end_day=rows.get("invoice", "end"),
        invoice_at_ms=rows.get("invoice", "at"),
        invoice_paid=rows.get("invoice", "paid", bool),
        invoice_is_renewal=rows.get("invoice", "renewal", bool),
        truth=sums,
        free_plan=free_plan,
        every_decision=every,
    )


def _cancellations(scenario: Scenario, rows: _Rows, reason_names: list[str]) -> np.ndarray:
    """Per plan change: whether a customer left a paid plan for the free one (not a
    failed payment, not a trial running out)."""
    paid = np.array([p.price > 0 for p in present(scenario.subscriptions).plans.values()])
    source, target = rows.get("change", "source"), rows.get("change", "target")
    billing = np.isin(
        rows.get("change", "reason"), [reason_names.index(r) for r in BILLING_REASONS]
    )
    return paid[source] & (target == 0) & ~billing


def _add_runs(
    sums: Sums, sessions: _Sessions, first: np.ndarray, through: np.ndarray, plan: np.ndarray
) -> None:
    """Add runs of sessions (first up to through, on `plan`) to the decisions and to the
    summed chances of each move and their variance."""
    count = np.maximum(through - first, 0)
    sums.decisions += np.bincount(plan, weights=count, minlength=sums.n_plans)
    mean, variance = sessions.run_sums(first, through, plan)
    np.add.at(sums.expected_transitions, plan, mean)
    np.add.at(sums.transition_variance, plan, variance)


def _renewals(
    scenario: Scenario,
    users: np.ndarray,
    state: np.ndarray,
    anchor: np.ndarray,
    segment: np.ndarray,
    hosts: Hosts,
    days: int,
    rng: np.random.Generator,
    rows: _Rows,
    sums: Sums,
    reason_names: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Renew the paid plans of `users` on the anniversaries of their start until each
    stops paying or the data ends; returns who stopped and when."""
    subs = present(scenario.subscriptions)
    plans = list(subs.plans)
    n_plans = len(plans)
    price = np.array([subs.plans[p].price for p in plans])
    term = np.array([12 if subs.plans[p].interval == "year" else 1 for p in plans])
    is_paid = price > 0
    f = subs.failed_payment_probability
    tables = transition_tables(scenario)
    cumulative = np.cumsum(tables, axis=3)
    cumulative[..., -1] = 1.0
    complete_until = _first_incomplete_month(scenario.start, days)
    declared = subs.cancellation_reasons
    reason_tables = None
    if declared is not None:
        reason_tables = np.array(
            [
                [getattr(declared, s).get(r, 0.0) for r in reason_names]
                for s in ("active", "inactive")
            ]
        )
    anchor_day = anchor[users] // MS_PER_DAY
    time_of_day = anchor[users] - anchor_day * MS_PER_DAY
    term_started = np.zeros(len(users), dtype=np.int64)
    alive = np.ones(len(users), dtype=bool)
    stopped: list[np.ndarray] = []
    stopped_at: list[np.ndarray] = []
    k = 1
    while alive.any():
        i = np.flatnonzero(alive)
        day = anniversaries(scenario.start, anchor_day[i], k)
        inside = day < days
        alive[i[~inside]] = False
        i, day = i[inside], day[inside]
        u = users[i]
        current = state[u]
        deciding = (k - term_started[i]) % term[current] == 0
        i, day, u, current = i[deciding], day[deciding], u[deciding], current[deciding]
        at = day * MS_PER_DAY + time_of_day[i]
        inactive = _idle_before(hosts, u, at).astype(np.int64)
        row = tables[segment[u], inactive, current]
        by_plan = np.eye(n_plans)[current].T
        sums.expected_transitions += by_plan @ row
        sums.transition_variance += by_plan @ (row * (1 - row))
        sums.decisions += by_plan.sum(axis=1)
        billed = np.column_stack(
            [
                row * is_paid * (1 - f),
                row[:, ~is_paid].sum(axis=1) + f * row[:, is_paid].sum(axis=1),
            ]
        )
        seen = by_plan * (day < complete_until)
        sums.billed_decisions += seen.sum(axis=1)
        sums.expected_billed += seen @ billed
        sums.billed_variance += seen @ (billed * (1 - billed))
        rows.add("renewal", user=u, at=at, revenue=row[:, is_paid] @ price[is_paid] * (1 - f))
        nxt = (rng.random(len(u))[:, None] >= cumulative[segment[u], inactive, current]).sum(axis=1)
        cancel = row[:, 0]  # the chance of moving to the free plan
        reason = np.full(len(u), reason_names.index(CUSTOMER))
        if reason_tables is not None:
            shares = reason_tables[inactive]
            sums.expected_reasons += (cancel[:, None] * shares).sum(axis=0)
            sums.reason_variance += (cancel[:, None] * shares * (1 - cancel[:, None] * shares)).sum(
                axis=0
            )
            picked = np.cumsum(shares, axis=1)
            picked[:, -1] = 1.0
            reason = (rng.random(len(u))[:, None] >= picked).sum(axis=1)
        moved = nxt != current
        if moved.any():
            rows.add(
                "change",
                user=u[moved],
                at=at[moved],
                source=current[moved],
                target=nxt[moved],
                reason=np.where(nxt[moved] == 0, reason[moved], reason_names.index(CUSTOMER)),
            )
        state[u] = nxt
        term_started[i] = k
        renewing = is_paid[nxt]
        r = u[renewing]
        ok = rng.random(len(r)) >= f
        rows.add(
            "invoice",
            user=r,
            plan=nxt[renewing],
            start=day[renewing],
            end=anniversaries(scenario.start, anchor_day[i[renewing]], k + term[nxt[renewing]]),
            at=at[renewing],
            paid=ok,
            renewal=True,
        )
        failed = ~ok
        if failed.any():
            rows.add(
                "change",
                user=r[failed],
                at=at[renewing][failed],
                source=nxt[renewing][failed],
                target=0,
                reason=reason_names.index("payment_failed"),
            )
            state[r[failed]] = 0
        # those paying nothing now leave the renewals
        gone = ~renewing
        gone_i = np.concatenate([i[gone], i[renewing][failed]])
        gone_at = np.concatenate([at[gone], at[renewing][failed]])
        alive[gone_i] = False
        stopped.append(users[gone_i])
        stopped_at.append(gone_at)
        k += 1
    if not stopped:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(stopped), np.concatenate(stopped_at)


def _decisions(sessions, runs, converting, checkout_times, rows, is_paid, price, f):
    """The sessions users spent on a plan paying nothing, as decisions (for experiments
    and marketing) and as free-plan decisions a plan-conversion funnel is tried at."""
    if runs:
        first = np.concatenate([r[0] for r in runs])
        count = np.concatenate([r[1] for r in runs])
        plan = np.concatenate([r[2] for r in runs])
        owner, session = expand_ranges(np.arange(len(first)), first, count)
        plan = plan[owner]
    else:
        session = plan = np.zeros(0, dtype=np.int64)
    row = sessions.chances(session, plan)
    p_convert = row[:, is_paid].sum(axis=1)
    revenue = row[:, is_paid] @ price[is_paid] * (1 - f)
    renewal_user, renewal_at = rows.get("renewal", "user"), rows.get("renewal", "at")
    renewal_revenue = rows.get("renewal", "revenue", np.float64)
    every = Decisions(
        user=np.concatenate([sessions.user[session], renewal_user]),
        at_ms=np.concatenate([sessions.at[session], renewal_at]),
        p_convert=np.concatenate([p_convert, np.zeros(len(renewal_user))]),
        converting_revenue=np.concatenate([revenue, np.zeros(len(renewal_user))]),
        other_revenue=np.concatenate([np.zeros(len(session)), renewal_revenue]),
    )
    done = np.concatenate(converting) if converting else np.zeros(0, dtype=np.int64)
    steps = np.concatenate(checkout_times) if checkout_times else np.zeros((0, 1), np.int64)
    by_session = np.argsort(done)
    done, steps = done[by_session], steps[by_session]
    found = np.searchsorted(done, session)
    converted = (found < len(done)) & (done[np.minimum(found, max(len(done) - 1, 0))] == session)
    order = np.argsort(session, kind="stable")  # sessions run by user, then time
    return every, FreePlanDecisions(
        user=sessions.user[session][order],
        session=session[order],
        at_ms=sessions.at[session][order],
        p_convert=p_convert[order],
        converted=converted[order] if len(done) else np.zeros(len(session), dtype=bool),
        steps_ms=steps,  # each converting checkout's step times, in the same order
    )


def draw(s: Shard, conversion_lift: Callable[[np.ndarray, np.ndarray], np.ndarray] | None) -> None:
    """Each user's plan history from the sessions they open and their renewals;
    `conversion_lift` (user, at_ms) multiplies the chance of moving to a paid plan, if
    anything does."""
    if s.scenario.subscriptions is None:
        return
    s.history = simulate(
        s.scenario,
        s.cal.days,
        s.signed_up_ms,
        s.segment,
        s.hosts,
        session_features(s.scenario, s.hosts, s.event_session, s.event_code),
        s.rng["billing"],
        conversion_lift,
        checkout_steps(s.scenario, s.rng["billing"]),
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
                "reason": dictionary(history.change_reason[c], reasons(scenario)),
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
    return tables, history.truth.arrays()
