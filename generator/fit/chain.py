"""The event chain of a log: which event opens a session and which signs a user up, each
user's counts of (event, next event or end) within sessions, and the gap after each event.
A chain's transition probabilities are row shares of these counts, with their standard
errors (a multinomial row: sqrt(p (1 - p) / n))."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from generator.fit.log import Log

MIN_GAP_SECONDS = 1.0  # a log kept to the second (or the day) logs gaps of 0


@dataclass(frozen=True)
class Chain:
    n_events: int  # codes 0..n-1; column n_events is the session end
    session_start: int
    signup: int
    counts: sparse.csr_matrix  # users x (n_events * (n_events + 1)) transition counts
    gap_log_mean: np.ndarray  # per event, of ln(seconds to the next event in the session)
    gap_log_sd: np.ndarray
    gap_n: np.ndarray
    first_sessions: np.ndarray  # per user, sessions in the first W days (see segments)

    @property
    def width(self) -> int:
        return self.n_events + 1

    def probabilities(self, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(event x next-or-end) probabilities and row totals, over users weighted by
        `weights` (all users once by default)."""
        total = (
            np.asarray(self.counts.sum(axis=0)).ravel()
            if weights is None
            else np.asarray(self.counts.T @ weights).ravel()
        )
        table = total.reshape(self.n_events, self.width)
        n = table.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(n[:, None] > 0, table / n[:, None], 0.0)
        return p, n


def standard_errors(p: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(p * (1 - p) / n[:, None])


def read_chain(log: Log, window_days: int) -> Chain:
    con, n_events = log.con, len(log.events)
    con.execute(
        f"""create or replace table steps as
        select user_id, session, code,
            coalesce(lead(code) over w, {n_events}) as next_code,
            epoch(lead(ts) over w - ts) as gap_s,
            row_number() over w as step
        from ev window w as (partition by session order by ts, ord)"""
    )
    # the event opening most sessions after a user's first opens the model's sessions;
    # the one opening most first sessions is the signup
    openers = log.array(
        """with s as (
            select user_id, session, code,
                dense_rank() over (partition by user_id order by session) as nth
            from steps where step = 1)
        select code, count(*) filter (where nth = 1) as first_n,
            count(*) filter (where nth > 1) as later_n
        from s group by code"""
    )
    later = openers["later_n"]
    first = openers["first_n"]
    start = int(openers["code"][np.argmax(later if later.sum() else first)])
    signup = int(openers["code"][np.argmax(first)])
    pairs = log.array(
        "select user_id, code, next_code, count(*) n from steps group by all order by all"
    )
    width = n_events + 1
    counts = sparse.csr_matrix(
        (
            pairs["n"].astype(float),
            (pairs["user_id"], pairs["code"].astype(np.int64) * width + pairs["next_code"]),
        ),
        shape=(log.users, n_events * width),
    )
    gaps = log.array(
        f"""select code, count(*) n, avg(ln(greatest(gap_s, {MIN_GAP_SECONDS}))) m,
            coalesce(stddev_samp(ln(greatest(gap_s, {MIN_GAP_SECONDS}))), 0) sd
        from steps where gap_s is not null group by code"""
    )
    mean, sd, n = np.zeros(n_events), np.zeros(n_events), np.zeros(n_events)
    mean[gaps["code"]], sd[gaps["code"]], n[gaps["code"]] = gaps["m"], gaps["sd"], gaps["n"]
    early = log.array(
        f"""select u.user_id, count(distinct s.session) filter (
                where s.step = 1 and s.session is not null) as n
        from us u left join (select e.user_id, e.session, e.ts,
                row_number() over (partition by e.session order by e.ts, e.ord) as step
            from ev e) s
            on s.user_id = u.user_id
            and cast(s.ts as date) > cast(u.signed_up_at as date)
            and cast(s.ts as date) <= cast(u.signed_up_at as date) + {window_days}
        group by u.user_id order by u.user_id"""
    )
    first_sessions = np.zeros(log.users)
    first_sessions[early["user_id"]] = early["n"]
    return Chain(n_events, start, signup, counts, mean, sd, n, first_sessions)
