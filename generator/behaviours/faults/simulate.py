"""Faults planted into a shard's clean raw rows as its pipelines would deliver them, each
labelled in truth.faults; and the scripted and staff accounts the world's users table
holds besides its customers.

Every event travels: the app queues it, sends its batch within half a minute (hours or
days later when the device was offline) and the collector stamps its arrival a fraction
of a second after. event_at and sent_at read the device's clock, received_at the
collector's; a device whose clock is off shifts both by the same whole seconds, which is
how the warehouse can undo it (latency stays under half a second)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generator.behaviours.faults.section import Faults
from generator.behaviours.segments.section import NumericAttribute
from generator.behaviours.segments.simulate import zone_table
from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import dictionary, timestamps
from generator.maths import expand_ranges

if TYPE_CHECKING:
    from generator.scenario import Scenario
    from generator.state import Shard

SECOND, HOUR = 1000, 3_600_000
FLUSH_MS = 30_000  # an app sends its queued events within half a minute
LATENCY_MS = (20, 450)  # network latency, always under half a second
RETRY_MS = (1_000, 60_000)  # a retry follows its first attempt by a second to a minute
MIN_SKEW_SECONDS = 2
STAFF_EVENTS_PER_DAY = 30  # a tester's day: human in pace
EVENT_ID_BITS = 32  # event ids: the shard in the high bits, the tracker's order below


def of(scenario: Scenario) -> Faults:
    return scenario.faults if scenario.faults is not None else Faults()


@dataclass
class Labels:
    """Rows of truth.faults, gathered as columns."""

    fault: list[np.ndarray] = field(default_factory=list)
    table: list[np.ndarray] = field(default_factory=list)
    row_id: list[np.ndarray] = field(default_factory=list)
    user_id: list[np.ndarray] = field(default_factory=list)
    row_ms: list[np.ndarray] = field(default_factory=list)
    column: list[np.ndarray] = field(default_factory=list)
    true_value: list[np.ndarray] = field(default_factory=list)

    def add(self, fault, table, row_id, user_id, row_ms, column=None, true_value=None) -> None:
        n = len(user_id)
        self.fault.append(np.full(n, fault, dtype=object))
        self.table.append(np.full(n, table, dtype=object))
        self.row_id.append(np.full(n, -1) if row_id is None else np.asarray(row_id, np.int64))
        self.user_id.append(np.asarray(user_id, np.int64))
        self.row_ms.append(np.asarray(row_ms, np.int64))
        self.column.append(np.full(n, column, dtype=object))
        self.true_value.append(
            np.full(n, None, dtype=object) if true_value is None else np.asarray(true_value, object)
        )

    def table_of(self, cal: Calendar) -> pa.Table:
        def cat(parts, dtype=object):
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        row_id = cat(self.row_id, np.int64)
        return pa.table(
            {
                "fault": pa.array(cat(self.fault), pa.string()),
                "table_name": pa.array(cat(self.table), pa.string()),
                "row_id": pa.array(row_id, pa.int64(), mask=row_id < 0),
                "user_id": pa.array(cat(self.user_id, np.int64), pa.int64()),
                "row_at": timestamps(cal, cat(self.row_ms, np.int64)),
                "column_name": pa.array(cat(self.column), pa.string()),
                "true_value": pa.array(cat(self.true_value), pa.string()),
            }
        )


def apply(s: Shard) -> None:
    """Deliver the shard's events, users and invoices as the pipelines would, faults and
    all, and label every fault."""
    labels = Labels()
    loaded_ms = _users(s, labels)
    _events(s, labels, loaded_ms)
    _invoices(s, labels)
    s.truth["faults"] = labels.table_of(s.cal)


def _users(s: Shard, labels: Labels) -> np.ndarray:
    """raw.users as loaded: some rows land hours after the account exists, some
    attribute values are empty. Returns when each user's row was loaded."""
    f, rng, users = of(s.scenario), s.rng["faults"], s.raw["users"]
    late = rng.random(s.n) < f.orphans.users
    lag = HOUR + np.round(rng.lognormal(np.log(f.orphans.median_hours * HOUR), 1.0, s.n))
    loaded_ms = s.signed_up_ms + np.where(late, lag, 0).astype(np.int64)
    users = users.add_column(2, "loaded_at", timestamps(s.cal, loaded_ms))
    for name in s.scenario.attributes:
        empty = rng.random(s.n) < f.missing_attributes
        if not empty.any():
            continue
        column = users.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(pa.string())
        labels.add(
            "missing_value",
            "users",
            s.user_id[empty],
            s.user_id[empty],
            s.signed_up_ms[empty],
            name,
            np.asarray(column.take(pa.array(np.flatnonzero(empty))).cast(pa.string())),
        )
        kept = pc.if_else(pa.array(empty), pa.scalar(None, column.type), column)
        users = users.set_column(users.schema.get_field_index(name), name, kept)
    s.raw["users"] = users
    return loaded_ms


def _events(s: Shard, labels: Labels, loaded_ms: np.ndarray) -> None:
    f, rng, events = of(s.scenario), s.rng["faults"], s.raw["events"]
    n = events.num_rows
    app = s.event_session >= 0  # the app's events; the servers' own are in no session
    user, true_ms = s.logged_user, s.logged_ms.astype(np.int64)

    skewed = rng.random(s.n) < f.clock_skew.devices
    size = rng.lognormal(np.log(f.clock_skew.median_minutes * 60), 1.0, s.n)
    sign = np.where(rng.random(s.n) < 0.5, -1, 1)
    offset_s = np.where(skewed, sign * np.maximum(np.round(size), MIN_SKEW_SECONDS), 0)
    offset = np.where(app, offset_s[user] * SECOND, 0).astype(np.int64)

    late = app & (rng.random(n) < f.late.share)
    sent = true_ms + np.where(app, rng.integers(0, FLUSH_MS, n), 0)
    late_at = np.flatnonzero(late)
    median = np.log(f.late.median_hours * HOUR)
    sent[late_at] += HOUR + np.round(rng.lognormal(median, 1.0, len(late_at))).astype(np.int64)
    received = sent + rng.integers(*LATENCY_MS, n)

    u = rng.random(n)
    same_id = app & (u < f.duplicates.same_id)
    new_id = app & ~same_id & (u < f.duplicates.same_id + f.duplicates.new_id)
    retry = np.zeros(n, dtype=np.int64)
    retried = np.flatnonzero(same_id | new_id)
    retry[retried] = rng.integers(*RETRY_MS, len(retried))
    duration = events.column("duration_ms")
    flipped = (
        app
        & (rng.random(n) < f.out_of_range.negative_durations)
        & (np.asarray(duration.fill_null(0)) > 0)
    )
    names = s.scenario.logged_events()
    code = s.logged_code.astype(np.int64)
    rename = f.rename
    renamed = np.zeros(n, dtype=bool)
    if rename is not None:
        on_ms = (rename.since - s.scenario.start).days * MS_PER_DAY
        renamed = app & (code == names.index(rename.event)) & (true_ms >= on_ms)
        code = np.where(renamed, len(names), code)

    # the rows as received: every event, then the retries received twice
    copies_same, copies_new = np.flatnonzero(same_id), np.flatnonzero(new_id)
    rows = np.concatenate([np.arange(n), copies_same, copies_new])
    local_id = np.concatenate([np.arange(n), copies_same, n + np.arange(len(copies_new))])
    event_id = (np.int64(s.index) << EVENT_ID_BITS) + local_id + 1
    again = np.concatenate([np.zeros(n, np.int64), retry[copies_same], retry[copies_new]])
    # a retry is sent again (sent_at restamped) and received again
    row_sent = sent[rows] + offset[rows] + again
    row_received = received[rows] + again
    out = events.take(pa.array(rows))
    sign_of = pa.array(np.where(flipped[rows], -1, 1).astype(np.int32))
    columns = {
        "event_id": pa.array(event_id),
        "event_name": dictionary(code[rows], [*names, *([rename.renamed_to] if rename else [])]),
        "event_at": timestamps(s.cal, true_ms[rows] + offset[rows]),
        "sent_at": timestamps(s.cal, row_sent),
        "received_at": timestamps(s.cal, row_received),
        "duration_ms": pc.multiply(out.column("duration_ms"), pa.chunked_array([sign_of])),
    }
    for name, column in columns.items():
        at = out.schema.get_field_index(name)
        out = out.set_column(at, name, column) if at >= 0 else out.add_column(0, name, column)
    s.raw["events"] = out
    s.event_session = s.event_session[rows]

    uid, at_ms = s.user_id[user[rows]], true_ms[rows]
    extra_same = np.arange(n, n + len(copies_same))
    extra_new = np.arange(n + len(copies_same), len(rows))
    labels.add(
        "duplicate_same_id", "events", event_id[extra_same], uid[extra_same], at_ms[extra_same]
    )
    labels.add(
        "duplicate_new_id",
        "events",
        event_id[extra_new],
        uid[extra_new],
        at_ms[extra_new],
        "event_id",
        event_id[copies_new].astype(str),
    )

    def durations(i: np.ndarray) -> np.ndarray:  # as logged before the sign was flipped
        return np.asarray(duration.take(pa.array(rows[i])).cast(pa.string()))

    def old_name(i: np.ndarray) -> np.ndarray:
        return np.full(len(i), rename.event if rename else None, dtype=object)

    for fault, mask, column, true_value in (
        ("late_arrival", late[rows], "received_at", None),
        ("clock_skew", offset[rows] != 0, "event_at", None),
        ("orphan_event", row_received < loaded_ms[user[rows]], "user_id", None),
        ("negative_duration", flipped[rows], "duration_ms", durations),
        ("renamed_event", renamed[rows], "event_name", old_name),
    ):
        i = np.flatnonzero(mask)
        value = None if true_value is None else true_value(i)
        labels.add(fault, "events", event_id[i], uid[i], at_ms[i], column, value)


def _invoices(s: Shard, labels: Labels) -> None:
    invoices = s.raw.get("invoices")
    if invoices is None or invoices.num_rows == 0:
        return
    rng = s.rng["faults"]
    cents = rng.random(invoices.num_rows) < of(s.scenario).out_of_range.amounts_in_cents
    amount = invoices.column("amount").to_numpy()
    issued = invoices.column("issued_at").cast(pa.int64()).to_numpy() - s.cal.epoch_seconds * 1000
    labels.add(
        "amount_in_cents",
        "invoices",
        None,
        invoices.column("user_id").to_numpy()[cents],
        issued[cents],
        "amount",
        np.char.mod("%.2f", amount[cents]).astype(object),
    )
    at = invoices.schema.get_field_index("amount")
    s.raw["invoices"] = invoices.set_column(
        at, "amount", pa.array(np.where(cents, np.round(amount * 100, 2), amount))
    )


def accounts(
    scenario: Scenario, cal: Calendar, seed: int, first_user_id: int, index: int, name_pool: list
):
    """The scripted and staff accounts: raw users and events rows, their labels, the
    shard-local session of each event and how many sessions they opened."""
    f = of(scenario).accounts
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(4,)))
    k = f.scripted + f.staff
    user_id = np.arange(first_user_id, first_user_id + k, dtype=np.int64)
    staff = np.arange(k) >= f.scripted
    signup_day = rng.integers(0, max(cal.days - 10, 1), k)
    signed_up_ms = signup_day * MS_PER_DAY + rng.integers(0, MS_PER_DAY, k)
    # a script runs 2-10 days in a row from its signup; a tester works weekdays
    run_days = np.where(staff, cal.days - signup_day, rng.integers(2, 11, k))
    day_user, day = expand_ranges(user_id, signup_day, run_days)
    day_staff = np.repeat(staff, run_days)
    weekday = cal.weekday[np.minimum(day, cal.days - 1)]
    works = (day < cal.days) & ~(day_staff & ((weekday >= 5) | (rng.random(len(day)) < 0.6)))
    day_user, day, day_staff = day_user[works], day[works], day_staff[works]
    scale = np.where(day_staff, STAFF_EVENTS_PER_DAY, f.events_per_day)
    count = rng.poisson(scale * rng.lognormal(0.0, 0.3, len(day)))
    event_user = np.repeat(day_user, count)
    at_ms = np.repeat(day * MS_PER_DAY, count) + rng.integers(0, MS_PER_DAY, int(count.sum()))
    order = np.lexsort((at_ms, event_user))
    event_user, at_ms = event_user[order], at_ms[order]
    # no two events of an account in the same millisecond (a script's calls follow in turn)
    key = ((event_user - first_user_id) << 40) + at_ms - np.arange(len(at_ms))
    at_ms = (
        np.maximum.accumulate(key) + np.arange(len(at_ms)) - ((event_user - first_user_id) << 40)
    )
    first_ms = signed_up_ms[event_user - first_user_id]
    keep = at_ms >= first_ms
    event_user, at_ms = event_user[keep], at_ms[keep]
    # a tracker session per hour the account runs
    hour = at_ms // HOUR
    new_session = np.ones(len(hour), dtype=bool)
    new_session[1:] = (hour[1:] != hour[:-1]) | (event_user[1:] != event_user[:-1])
    session = np.cumsum(new_session) - 1
    gap = np.zeros(len(at_ms), dtype=np.int64)
    gap[:-1] = np.where(new_session[1:], 0, at_ms[1:] - at_ms[:-1])
    catalog = scenario.events.catalog
    names = list(catalog)
    code = rng.integers(0, len(names), len(at_ms))
    # a tester opens the app as customers do; a script calls what it calls
    opens = new_session & staff[event_user - first_user_id]
    code[opens] = names.index(scenario.events.session_start)
    sent = at_ms + rng.integers(0, FLUSH_MS, len(at_ms))
    m = len(at_ms)
    events = pa.table(
        {
            "event_id": pa.array((np.int64(index) << EVENT_ID_BITS) + np.arange(1, m + 1)),
            "user_id": pa.array(event_user),
            "event_name": dictionary(code, names),
            "feature": dictionary(code, [e.feature for e in catalog.values()]),
            "event_at": timestamps(cal, at_ms),
            "sent_at": timestamps(cal, sent),
            "received_at": timestamps(cal, sent + rng.integers(*LATENCY_MS, m)),
            "duration_ms": pa.array(gap.astype(np.int32)),
            "event_value": pa.nulls(m, pa.float64()),
            "value_unit": pa.nulls(m, pa.string()),
        }
    )
    pool = np.asarray(name_pool, dtype=str)
    handle = pool[rng.integers(0, len(pool), k)]
    domains = np.asarray(f.internal_domains, dtype=str)
    domain = np.where(staff, domains[rng.integers(0, len(domains), k)], "example.com")
    prefix = np.where(staff, np.char.add(handle, ".qa"), handle)
    emails = np.char.add(np.char.add(np.char.add(prefix, user_id.astype(str)), "@"), domain)
    users = pa.table(
        {
            "user_id": pa.array(user_id),
            "signed_up_at": timestamps(cal, signed_up_ms),
            "loaded_at": timestamps(cal, signed_up_ms),
            "email": pa.array(emails, pa.string()),
            **{name: pa.array([value] * k) for name, value in _plain_profile(scenario).items()},
        }
    )
    labels = Labels()
    kind = np.where(staff, "staff_account", "scripted_account")
    for fault in ("scripted_account", "staff_account"):
        mine = kind == fault
        labels.add(fault, "users", user_id[mine], user_id[mine], signed_up_ms[mine])
        theirs = kind[event_user - first_user_id] == fault
        i = np.flatnonzero(theirs)
        labels.add(
            fault, "events", np.asarray(events.column("event_id"))[i], event_user[i], at_ms[i]
        )
    return users, events, labels.table_of(cal), session, int(session[-1] + 1 if m else 0)


def _plain_profile(scenario: Scenario) -> dict[str, object]:
    """What an account made by hand holds: the first role, zone and value of each
    attribute (the lowest for a number)."""
    profile: dict[str, object] = {
        "role": next(iter(scenario.segments.values())).role,
        "time_zone": zone_table(scenario)[1][0],
    }
    for name, attr in scenario.attributes.items():
        if isinstance(attr, NumericAttribute):
            low = min(s.low for s in attr.distribution.values())
            profile[name] = int(low) if attr.decimals == 0 else float(low)
        else:
            profile[name] = attr.values[0]
    return profile


def reference_tables(scenario: Scenario, cal: Calendar) -> dict[str, pa.Table]:
    """The tracking plan's changelog (the rename, when one shipped) and the company's own
    e-mail domains."""
    f = of(scenario)
    rename = [f.rename] if f.rename is not None else []
    return {
        "event_renames": pa.table(
            {
                "event_name": pa.array([r.event for r in rename], pa.string()),
                "renamed_to": pa.array([r.renamed_to for r in rename], pa.string()),
                "renamed_on": pa.array([r.since for r in rename], pa.date32()),
            }
        ),
        "internal_domains": pa.table(
            {"domain": pa.array(f.accounts.internal_domains, pa.string())}
        ),
    }
