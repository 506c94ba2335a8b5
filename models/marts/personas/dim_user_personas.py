"""One row per user with a session: the persona their behaviour places them in. Users are
clustered by their event sequences with the fit's mixture of Markov chains (each persona
its own chain over the session's events, from the first event to the session's end)
joined with how many sessions they open in their first 28 days; the number of personas
is the one with the lowest BIC (generator.fit.segments says how).

Python, because the clustering is an EM no SQL engine runs; the counts it starts from
are SQL."""

import numpy as np
import pandas as pd
from scipy import sparse

from generator.fit.chain import Chain
from generator.fit.segments import choose_segments

EARLY_DAYS = 28
SEED = 42


def model(dbt, session):
    dbt.config(materialized="table")
    dbt.ref("fct_events").create_view("persona_events")
    dbt.ref("dim_users").create_view("persona_users")
    steps = session.sql(
        """select user_id, event_name,
            coalesce(lead(event_name) over (
                partition by session_id order by event_number_in_session), '') as next_event
        from persona_events where is_user_action and session_id is not null"""
    ).aggregate("user_id, event_name, next_event, count(*) as n").df()
    early = session.sql(
        f"""select e.user_id, count(distinct e.session_id) as sessions
        from persona_events e join persona_users u using (user_id)
        where e.is_user_action and e.session_id is not null
            and e.event_date > cast(u.signed_up_at as date)
            and e.event_date <= cast(u.signed_up_at as date) + {EARLY_DAYS}
        group by e.user_id"""
    ).df()
    if steps.empty:  # a world with no sessions has no one to place
        return pd.DataFrame(
            {
                "user_id": pd.Series(dtype="int64"),
                "persona": pd.Series(dtype="str"),
                "persona_probability": pd.Series(dtype="float64"),
                "personas_found": pd.Series(dtype="int64"),
            }
        )
    names = sorted(steps["event_name"].unique())
    code = {name: i for i, name in enumerate(names)}
    n, width = len(names), len(names) + 1
    active = np.sort(steps["user_id"].unique())
    row = np.searchsorted(active, steps["user_id"].to_numpy())
    to = steps["next_event"].map(code).fillna(n).astype(np.int64).to_numpy()
    col = steps["event_name"].map(code).astype(np.int64).to_numpy() * width + to
    counts = sparse.csr_matrix(
        (steps["n"].to_numpy(dtype=float), (row, col)), shape=(len(active), n * width)
    )
    first = early.set_index("user_id")["sessions"].reindex(active, fill_value=0)
    zeros = np.zeros(n)
    chain = Chain(n, 0, 0, counts, zeros, zeros, zeros, first.to_numpy(dtype=float))
    mixture, _ = choose_segments(chain, SEED)
    resp = mixture.responsibility
    label = resp.argmax(axis=1)
    return pd.DataFrame(
        {
            "user_id": active,
            "persona": [f"persona_{i + 1}" for i in label],
            "persona_probability": resp[np.arange(len(active)), label],
            "personas_found": mixture.k,
        }
    )
