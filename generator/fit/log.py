"""Reading an event log for the fit: a CSV or Parquet file (or a warehouse of ours) read
through DuckDB into a scratch database, with one line naming what is wrong when the log
cannot be fitted. The events become `ev` (user, time, event code, session, amount) with
sessions cut where the log has none; users become `us` (signup time and attributes)."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from generator.section import MAX_NAME_LENGTH, SESSION_END

SESSION_GAP_MINUTES = 30  # a pause this long starts a new session (the usual web convention)
MAX_EVENTS = 60  # event names kept as they are; rarer ones share one name
MAX_CATEGORIES = 50  # a text column with more distinct values is an identifier, not an attribute
MEMORY_LIMIT = "2GB"

# accepted column names, first match wins (compared without case)
COLUMNS: dict[str, tuple[str, ...]] = {
    "user": ("user_id", "userid", "user", "customer_id", "distinct_id", "person_id", "visitor_id"),
    "time": (
        "event_at",
        "timestamp",
        "event_time",
        "occurred_at",
        "time",
        "ts",
        "datetime",
        "date",
    ),
    "event": ("event_name", "event", "event_type", "action", "name"),
    "session": ("session_id", "session"),
    "amount": ("amount", "event_value", "value", "revenue", "dollar_value", "price"),
    "feature": ("feature",),
}
SIGNUP_COLUMNS = ("signed_up_at", "signup_at", "signup_time", "created_at", "registered_at")
# columns of a users file that are bookkeeping, not attributes of a person
NOT_ATTRIBUTES = {"email", "loaded_at", "role", "time_zone", "name", "first_name", "last_name"}


class LogError(ValueError):
    """A log the fit cannot read or learn from (one line naming what is wrong)."""


@dataclass
class Log:
    """The log in a scratch DuckDB database: table `ev` (user_id BIGINT dense 0..n-1,
    ts TIMESTAMP, code SMALLINT, session BIGINT unique over the log, amount DOUBLE,
    ord BIGINT the file's order) and `us` (user_id, signed_up_at, attributes)."""

    con: duckdb.DuckDBPyConnection
    source: str
    events: list[str]  # scenario names by code
    features: list[str | None]
    users: int
    rows: int
    has_amount: bool
    sessions_given: bool
    attributes: dict[str, str] = field(default_factory=dict)  # name -> "categorical"/"numeric"
    skipped: list[str] = field(default_factory=list)  # what was left out, said in the fit

    def array(self, sql: str) -> dict[str, np.ndarray]:
        """A query's columns as numpy arrays."""
        return {k: np.asarray(v) for k, v in self.con.execute(sql).fetchnumpy().items()}


def _source(con: duckdb.DuckDBPyConnection, path: str, table: str = "events") -> str:
    """A DuckDB relation reading the file at `path`: CSV, Parquet (a file or a folder of
    them) or a warehouse of ours (its raw.events or raw.users)."""
    p = Path(path)
    if not p.exists():
        raise LogError(f"{path}: no such file")
    lower = p.name.lower()
    quoted = "'" + str(p).replace("'", "''") + "'"
    if lower.endswith(".duckdb"):
        attached = {
            r[0] for r in con.execute("select database_name from duckdb_databases()").fetchall()
        }
        if "world" not in attached:
            con.execute(f"attach {quoted} as world (read_only)")
        found = con.execute(
            "select count(*) from information_schema.tables where table_catalog = 'world' "
            f"and table_schema = 'raw' and table_name = '{table}'"
        ).fetchall()[0][0]
        if not found:
            raise LogError(f"{path}: a DuckDB file without raw.{table} (not a warehouse of ours)")
        return f"world.raw.{table}"
    if p.is_dir():
        return f"read_parquet({quoted[:-1]}/**/*.parquet')"
    if lower.endswith(".parquet"):
        return f"read_parquet({quoted})"
    if re.search(r"\.(csv|tsv|txt)(\.gz)?$", lower):
        return f"read_csv({quoted}, header = true)"
    raise LogError(f"{path}: not a log the fit reads (CSV, TSV or Parquet)")


def _pick(columns: dict[str, str], role: str) -> str | None:
    return next((columns[n] for n in COLUMNS[role] if n in columns), None)


def _need(columns: dict[str, str], role: str, path: str) -> str:
    found = _pick(columns, role)
    if found is None:
        raise LogError(
            f"{path}: no {role} column (one of {', '.join(COLUMNS[role])}; has "
            f"{', '.join(columns.values())})"
        )
    return found


def _time_expr(con: duckdb.DuckDBPyConnection, rel: str, col: str, path: str) -> str:
    """SQL turning column `col` into a UTC timestamp, after checking every value parses."""
    kind = con.execute(f"select typeof({_q(col)}) from {rel} limit 1").fetchall()
    kind_name = kind[0][0] if kind else "VARCHAR"
    if kind_name.startswith("TIMESTAMP WITH"):
        return f"timezone('UTC', {_q(col)})"
    if kind_name.startswith(("TIMESTAMP", "DATE")):
        return f"cast({_q(col)} as timestamp)"
    if kind_name in {"BIGINT", "INTEGER", "DOUBLE", "HUGEINT", "UBIGINT", "DECIMAL"}:
        # epoch seconds, or milliseconds when the numbers are that large
        big = con.execute(f"select max(abs({_q(col)})) > 1e11 from {rel}").fetchall()[0]
        unit = "/ 1000.0" if big and big[0] else ""
        return f"to_timestamp({_q(col)} {unit})::timestamp"
    expr = f"try_cast({_q(col)} as timestamp)"
    bad = con.execute(
        f"select count(*), any_value({_q(col)}) from {rel} "
        f"where {_q(col)} is not null and {expr} is null"
    ).fetchall()[0]
    if bad and bad[0]:
        raise LogError(
            f"{path}: column {col}: {bad[0]:,} values are not times (for example {bad[1]!r})"
        )
    return expr


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def scenario_names(raw: list[str]) -> list[str]:
    """Each log name as a scenario name: letters, digits and _ . - only, unique, never the
    session end."""
    out: list[str] = []
    for name in raw:
        clean = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name.strip()).strip("_.-") or "event"
        clean = clean[: MAX_NAME_LENGTH - 4]
        if not clean[0].isalnum():
            clean = "e" + clean
        if clean == SESSION_END:
            clean = "end_event"
        base, i = clean, 2
        while clean in out:
            clean, i = f"{base}_{i}", i + 1
        out.append(clean)
    return out


def read_log(events: str, users: str | None = None, *, scratch: str | None = None) -> Log:
    """Read and check a log; events must name a user, a time and an event."""
    tmp = scratch or tempfile.mkdtemp(prefix="fit-")
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": tmp, "threads": 2})
    try:
        return _read(con, events, users)
    except duckdb.Error as exc:
        con.close()
        reason = str(exc).splitlines()[0]
        raise LogError(f"{events}: cannot be read ({reason})") from None
    except LogError:
        con.close()
        raise


def _columns(con: duckdb.DuckDBPyConnection, rel: str) -> dict[str, str]:
    names = [r[0] for r in con.execute(f"describe select * from {rel}").fetchall()]
    return {n.lower(): n for n in names}


def _read(con: duckdb.DuckDBPyConnection, events: str, users: str | None) -> Log:
    rel = _source(con, events)
    con.execute(f"create view src as select * from {rel}")
    cols = _columns(con, "src")
    user = _need(cols, "user", events)
    time = _need(cols, "time", events)
    event = _need(cols, "event", events)
    session = _pick(cols, "session")
    amount = _pick(cols, "amount")
    feature = _pick(cols, "feature")
    at = _time_expr(con, "src", time, events)
    con.execute(
        f"""create table src_rows as select
            cast({_q(user)} as varchar) as user_key,
            {at} as ts,
            cast({_q(event)} as varchar) as raw_event,
            {f"cast({_q(session)} as varchar)" if session else "null::varchar"} as session_key,
            {f"try_cast({_q(amount)} as double)" if amount else "null::double"} as amount,
            {f"cast({_q(feature)} as varchar)" if feature else "null::varchar"} as feature,
            row_number() over () as ord
        from src"""
    )
    n_rows, n_null = con.execute(
        "select count(*), count(*) filter (where user_key is null or ts is null "
        "or raw_event is null) from src_rows"
    ).fetchall()[0]
    if n_rows == 0:
        raise LogError(f"{events}: holds no events")
    skipped = []
    if n_null:
        skipped.append(f"{n_null:,} rows without a user, a time or an event name")
    con.execute("delete from src_rows where user_key is null or ts is null or raw_event is null")
    n_users = con.execute("select count(distinct user_key) from src_rows").fetchall()[0][0]
    if n_users < 2:
        raise LogError(f"{events}: holds one user (a fit needs many)")
    names = _event_codes(con)
    log = Log(
        con=con,
        source=events,
        events=scenario_names([name for name, _ in names]),
        features=[],
        users=int(n_users),
        rows=int(n_rows - n_null),
        has_amount=amount is not None,
        sessions_given=session is not None,
        skipped=skipped,
    )
    _events_table(log)
    if users is None and events.lower().endswith(".duckdb"):
        users = events  # a warehouse holds its users beside its events
    _users_table(log, users)
    log.features = _features(log)
    _check_repeat_activity(log)
    return log


def _event_codes(con: duckdb.DuckDBPyConnection) -> list[tuple[str, list[str]]]:
    """Event names by frequency, each with the log's names behind it: past MAX_EVENTS the
    rarest share one code, `other_events`."""
    counts = con.execute(
        "select raw_event, count(*) n from src_rows group by 1 order by n desc, raw_event"
    ).fetchall()
    names = [name for name, _ in counts]
    if len(names) <= MAX_EVENTS:
        groups = [(n, [n]) for n in names]
    else:
        groups = [(n, [n]) for n in names[: MAX_EVENTS - 1]]
        groups.append(("other_events", names[MAX_EVENTS - 1 :]))
    con.execute("create table codes (raw_event varchar, code smallint)")
    con.executemany(
        "insert into codes values (?, ?)",
        [(raw, code) for code, (_, members) in enumerate(groups) for raw in members],
    )
    return groups


def _events_table(log: Log) -> None:
    """`ev`: dense user ids in order of first appearance, sessions given or cut at a pause."""
    con = log.con
    con.execute(
        """create table user_keys as
        select user_key, row_number() over (order by min(ts), min(ord)) - 1 as user_id
        from src_rows group by user_key"""
    )
    if log.sessions_given:
        null_sessions = con.execute(
            "select count(*) from src_rows where session_key is null"
        ).fetchall()[0][0]
        if null_sessions:
            log.skipped.append(
                f"{null_sessions:,} events outside any session (system events) from the event chain"
            )
        session = "dense_rank() over (order by k.user_id, r.session_key)"
        where = "where r.session_key is not null"
    else:
        session = "null"
        where = ""
    con.execute(
        f"""create table ev as
        select k.user_id, r.ts, c.code, {session} as session, r.amount, r.feature, r.ord
        from src_rows r join user_keys k using (user_key) join codes c using (raw_event)
        {where}
        order by k.user_id, r.ts, r.ord"""
    )
    if not log.sessions_given:
        con.execute(
            f"""create or replace table ev as
            select * exclude (new_session),
                sum(new_session) over (order by user_id, ts, ord rows unbounded preceding)
                    as session
            from (
                select * exclude (session),
                    case when lag(ts) over w is null
                        or ts - lag(ts) over w > interval {SESSION_GAP_MINUTES} minutes
                        or lag(user_id) over w <> user_id then 1 else 0 end as new_session
                from ev window w as (order by user_id, ts, ord)
            )"""
        )
    con.execute("drop table src_rows")


def _users_table(log: Log, users: str | None) -> None:
    """`us`: one row per user of the log; signup from the users file or the first event."""
    con = log.con
    first = "select user_id, min(ts) as first_at from ev group by user_id"
    if users is None:
        con.execute(f"create table us as select user_id, first_at as signed_up_at from ({first})")
        return
    rel = _source(con, users, "users")
    con.execute(f"create view usrc as select * from {rel}")
    cols = _columns(con, "usrc")
    ukey = _need(cols, "user", users)
    signup = next((cols[c] for c in SIGNUP_COLUMNS if c in cols), None)
    signup_expr = _time_expr(con, "usrc", signup, users) if signup else "null::timestamp"
    attrs: dict[str, str] = {}
    for lower, name in cols.items():
        if name in (ukey, signup) or lower in NOT_ATTRIBUTES or lower.endswith("_at"):
            continue
        kind, distinct = con.execute(
            f"select typeof(any_value({_q(name)})), count(distinct {_q(name)}) from usrc"
        ).fetchall()[0]
        if kind in {"VARCHAR", "BOOLEAN"} and 2 <= distinct <= MAX_CATEGORIES:
            attrs[name] = "categorical"
        elif kind in {"BIGINT", "INTEGER", "DOUBLE", "FLOAT", "DECIMAL", "SMALLINT"}:
            attrs[name] = "numeric" if distinct > MAX_CATEGORIES else "categorical"
    cast_attrs = "".join(
        f", cast({_q(a)} as {'varchar' if k == 'categorical' else 'double'}) as {_q(a)}"
        for a, k in attrs.items()
    )
    con.execute(
        f"""create table uparsed as select cast({_q(ukey)} as varchar) as user_key,
        {signup_expr} as signup_at {cast_attrs} from usrc"""
    )
    # a signup after the user's first event is a late record: the first event is the signup
    con.execute(
        f"""create table us as
        select f.user_id, least(coalesce(u.signup_at, f.first_at), f.first_at) as signed_up_at
            {"".join(f", u.{_q(a)}" for a in attrs)}
        from ({first}) f join user_keys k using (user_id)
        left join uparsed u using (user_key)"""
    )
    log.attributes = attrs


def _features(log: Log) -> list[str | None]:
    """Each event's feature: the one the log gives it most often."""
    rows = log.con.execute(
        "select code, mode(feature) from ev where feature is not null group by code"
    ).fetchall()
    known = dict(rows)
    return [known.get(code) for code in range(len(log.events))]


def _check_repeat_activity(log: Log) -> None:
    """Activity after the signup day is what the session rate and churn are fitted from."""
    again = log.con.execute(
        """select count(*) from (
            select e.user_id from ev e join us u using (user_id)
            where cast(e.ts as date) > cast(u.signed_up_at as date) group by e.user_id)"""
    ).fetchall()[0][0]
    if again == 0:
        raise LogError(
            f"{log.source}: no user comes back after the signup day (no repeat activity "
            "to fit a session rate from)"
        )
