"""What one shard of users knows as the behaviours run in turn: the world, the shard's
random streams, the arrays each behaviour drew, and the raw rows, truth rows and truth
sums they made. A behaviour reads what earlier ones drew and adds its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

    from generator.behaviours.activity.simulate import UserDays
    from generator.behaviours.actors.simulate import Assignment
    from generator.behaviours.adoption.simulate import Adoptions, Intents
    from generator.behaviours.churn.simulate import Spells
    from generator.behaviours.events.simulate import Hosts
    from generator.behaviours.experiments.simulate import Exposures, Lifts
    from generator.behaviours.funnels.simulate import FunnelRun
    from generator.behaviours.lifecycle.simulate import StagePaths
    from generator.behaviours.llm.simulate import RatedAnswers
    from generator.behaviours.marketing.simulate import Touches
    from generator.behaviours.outcomes.simulate import Reached
    from generator.behaviours.subscriptions.simulate import BillingHistory
    from generator.calendar import Calendar
    from generator.scenario import Scenario


class Shard:
    # who the users are (segments, arrivals, churn, adoption, marketing)
    segment: np.ndarray
    attributes: dict[str, np.ndarray]
    zones: tuple[str, ...]  # the world's time zones (UTC alone when none is declared)
    zone: np.ndarray  # each user's, an index into zones
    role_names: list[str]
    role_of_segment: np.ndarray
    multiplier: np.ndarray
    signup_ms: np.ndarray
    spells: Spells
    intents: Intents  # when users mean to adopt each feature
    touches: Touches | None = None
    assignments: list[Assignment]  # one per relation: each user's parent actor
    # when they are active (activity, lifecycle, experiments)
    days: UserDays
    paths: StagePaths | None = None
    day_visit: np.ndarray | None = None
    day_stage: np.ndarray
    initial_stage: int = 0
    counts: np.ndarray
    exposures: list[Exposures]
    conversion_lifts: list[tuple[Lifts, Exposures]]
    rating_lifts: list[tuple[Lifts, Exposures]]
    # sessions and their events (events); a shard-local session index per event
    session_user: np.ndarray  # per session, sorted by user then start
    session_opened_ms: np.ndarray  # when the app asked for feature flags
    session_day: np.ndarray  # the day each session was drawn on
    session_chain: np.ndarray  # the chain it walks (events.chain_index), before changes
    session_slot: np.ndarray  # 0, or the changed variant whose chain copy it walks
    session_first_event: np.ndarray  # the event that opens it (the signup or session start)
    session_walk_events: np.ndarray  # the events it walked along its chain
    n_sessions: int
    event_session: np.ndarray
    event_code: np.ndarray
    event_gap_ms: np.ndarray
    event_ms: np.ndarray
    signed_up_ms: np.ndarray
    hosts: Hosts  # the sessions as places user actions drawn at a time happen
    adopted: Adoptions  # in the sessions that hosted them
    # every logged event (sessions', then funnel steps and adoptions), in raw.events order
    logged_user: np.ndarray
    logged_code: np.ndarray
    logged_ms: np.ndarray
    # what follows from them (llm, subscriptions, funnels)
    rated: RatedAnswers | None = None
    outcomes: list[Reached]
    history: BillingHistory | None = None
    funnel_run: FunnelRun

    def __init__(
        self,
        scenario: Scenario,
        cal: Calendar,
        rng: dict[str, np.random.Generator],
        index: int,
        seed: int,
        first_user_id: int,
        signup_day: np.ndarray,
        name_pool: list[str],
    ) -> None:
        self.scenario, self.cal, self.rng, self.index = scenario, cal, rng, index
        self.seed = seed  # for what every shard draws alike (actors, the ad spend)
        self.n = len(signup_day)
        self.user_id = np.arange(first_user_id, first_user_id + self.n, dtype=np.int64)
        self.signup_day = signup_day
        self.name_pool = name_pool
        self.raw: dict[str, pa.Table] = {}  # raw tables, without their id columns
        self.truth: dict[str, pa.Table] = {}
        self.sums: dict[str, Any] = {}  # truth sums, added up over shards
