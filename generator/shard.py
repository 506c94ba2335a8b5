"""One shard of users simulated end to end: the behaviours the world declares run in
turn over the shard's arrays (each reads what earlier ones drew), making raw rows, truth
rows and the shard's share of the truth sums."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.activity import simulate as activity
from generator.behaviours.actors import simulate as actors
from generator.behaviours.adoption import simulate as adoption
from generator.behaviours.arrivals import simulate as arrivals
from generator.behaviours.churn import simulate as churn
from generator.behaviours.events import simulate as events
from generator.behaviours.experiments import simulate as experiments
from generator.behaviours.faults import simulate as faults
from generator.behaviours.funnels import simulate as funnels
from generator.behaviours.lifecycle import simulate as lifecycle
from generator.behaviours.llm import simulate as llm
from generator.behaviours.marketing import simulate as marketing
from generator.behaviours.outcomes import simulate as outcomes
from generator.behaviours.segments import simulate as segments
from generator.behaviours.subscriptions import simulate as subscriptions
from generator.behaviours.values import simulate as values
from generator.calendar import MS_PER_DAY, Calendar
from generator.scenario import Scenario
from generator.state import Shard

# Fixed streams per behaviour inside a shard: adding one appends, never reorders.
STREAMS = (
    "segments",
    "attributes",
    "activity",
    "churn",
    "sessions",
    "events",
    "identity",
    "billing",
    "funnels",
    "lifecycle",
    "llm",
    "experiments",
    "adoption",
    "marketing",
    "values",
    "check_ins",
    "actors",
    "outcomes",
    "time_zones",
    "faults",
)


@dataclass
class ShardResult:
    index: int
    raw: dict[str, pa.Table]  # without id columns: the run numbers rows across shards
    truth: dict[str, pa.Table]
    sums: dict[str, Any]  # truth sums, added up over shards
    event_session: np.ndarray  # shard-local session index of each raw.events row
    n_sessions: int


def shard_streams(seed: int, shard_index: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed, spawn_key=(1, shard_index)).spawn(len(STREAMS))
    return {
        name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)
    }


def simulate_shard(
    scenario: Scenario,
    seed: int,
    shard_index: int,
    first_user_id: int,
    signup_day: np.ndarray,
    name_pool: list[str],
) -> ShardResult:
    s = Shard(
        scenario,
        Calendar.of(scenario),
        shard_streams(seed, shard_index),
        shard_index,
        seed,
        first_user_id,
        signup_day,
        name_pool,
    )
    # who the users are
    segments.draw(s, marketing.acquisition_pull(scenario, s.cal, seed))
    arrivals.draw_signup_times(s)
    churn.draw(s)
    adoption.draw(s)
    actors.assign(s, actors.draw_actors(scenario, s.cal, seed))
    # when they are active, in which lifecycle stage, under which experiments
    activity.draw_days(s)
    lifecycle.draw(s)
    events.count_sessions(s)
    experiments.draw(s)
    actors.record(s)  # the sessions each day is expected to open are final
    # what they do
    events.draw(s)
    marketing.draw(s)  # touches come before and after the signup as logged
    llm.draw(s, experiments.rating_multiplier(s))
    subscriptions.draw(s, _conversion_lift(s))
    funnels.draw(s, experiments.funnel_multipliers(s))
    outcomes.draw(s)
    events.log(s)
    values.log(s)
    segments.log(s)
    actors.log(s)
    outcomes.log(s)
    # the truth of what was drawn, and the logs that follow from it
    activity.record(s)
    subscriptions.log(s)
    funnels.record(s)
    funnels.log(s)
    lifecycle.record(s)
    experiments.log(s)
    adoption.record(s)
    marketing.log(s)
    # the rows as the pipelines deliver them
    faults.apply(s)
    return ShardResult(s.index, s.raw, s.truth, s.sums, s.event_session, s.n_sessions)


def _conversion_lift(s: Shard):
    """The multiplier on a session's chances of moving to a paid plan, per (user, time of
    its checkout): experiments' lifts times marketing's."""
    if not s.conversion_lifts and s.touches is None:
        return None
    by_experiments = experiments.combined_multiplier(s.conversion_lifts, s.segment)
    scenario, touches = s.scenario, s.touches

    def at(user: np.ndarray, at_ms: np.ndarray) -> np.ndarray:
        m = by_experiments(user, at_ms // MS_PER_DAY)
        if touches is not None:
            window = marketing.window_strength(scenario, touches, user, at_ms)
            m = m * marketing.lift(scenario, window.strength.sum(axis=0))
        return m

    return at
