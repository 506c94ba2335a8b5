"""Lifecycle stages: a hidden stage machine over each user's life. From signup a user is
in the initial stage; each stage lasts a log-normal number of whole days (at least one,
changing at midnight) and is followed by a stage drawn from its `next` chances, until a
stage without `next` (an exit) or the end of the data. The stage scales the session rate
and picks the event chain of the user's sessions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generator.behaviours.activity.simulate import UserDays
from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import dictionary, timestamps
from generator.scenario import Scenario
from generator.section import present
from generator.state import Shard


@dataclass(frozen=True)
class StagePaths:
    """Every stage visit, ordered by user then time; days since the scenario start."""

    user: np.ndarray  # shard-local user index
    visit: np.ndarray  # 1, 2, ... within the user
    stage: np.ndarray  # index into scenario.stage_names()
    entered_day: np.ndarray  # first whole day of the visit (the signup day for visit 1)
    left_day: np.ndarray  # first day of the next stage; huge when the user stays for good


STAYS = np.iinfo(np.int64).max // 4


def durations(scenario: Scenario, stage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whole days in each stage: a log-normal draw rounded, at least one; exits never end."""
    life = present(scenario.lifecycle)
    stages = list(life.stages.values())
    median = np.array([s.days.median if s.next and s.days else 1.0 for s in stages])[stage]
    sigma = np.array([s.days.sigma if s.next and s.days else 0.0 for s in stages])[stage]
    days = np.maximum(np.rint(median * np.exp(sigma * rng.standard_normal(len(stage)))), 1)
    terminal = np.array([not s.next for s in stages])[stage]
    return np.where(terminal, STAYS, days.astype(np.int64))


def next_table(scenario: Scenario) -> np.ndarray:
    """(stage, next stage) cumulative chances."""
    life = present(scenario.lifecycle)
    names = list(life.stages)
    table = np.zeros((len(names), len(names)))
    for i, stage in enumerate(life.stages.values()):
        for target, p in stage.next.items():
            table[i, names.index(target)] = p
    cumulative = np.cumsum(table, axis=1)
    cumulative[:, -1] = 1.0
    return cumulative


def draw_paths(
    scenario: Scenario, signup_day: np.ndarray, days: int, rng: np.random.Generator
) -> StagePaths:
    """Each user's stage visits that begin before the data ends (one loop per visit
    number, vectorised over users)."""
    life = present(scenario.lifecycle)
    n = len(signup_day)
    names = list(life.stages)
    cumulative = next_table(scenario)
    user = np.arange(n, dtype=np.int64)
    stage = np.full(n, names.index(life.initial), dtype=np.int64)
    entered = signup_day.astype(np.int64)
    parts: list[tuple[np.ndarray, ...]] = []
    visit = 1
    while len(user):
        length = durations(scenario, stage, rng)
        left = np.where(length == STAYS, STAYS, entered + length)
        parts.append((user, np.full(len(user), visit), stage, entered, left))
        going_on = left < days
        user, stage, entered = user[going_on], stage[going_on], left[going_on]
        u = rng.random(len(user))
        stage = (u[:, None] >= cumulative[stage][:, :-1]).sum(axis=1)
        visit += 1
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    order = np.lexsort((cols[1], cols[0]))
    return StagePaths(*(c[order] for c in cols))


def stage_on(paths: StagePaths, user: np.ndarray, day: np.ndarray, days: int) -> np.ndarray:
    """Row of `paths` holding each (user, day); every day from signup lies in one."""
    width = days + 1
    visit_key = paths.user * width + np.minimum(paths.entered_day, days)
    return np.searchsorted(visit_key, user.astype(np.int64) * width + day, side="right") - 1


def activity(scenario: Scenario) -> np.ndarray:
    return np.array([s.activity for s in present(scenario.lifecycle).stages.values()])


def draw(s: Shard) -> None:
    """Each user's path through the stages; a stage scales the session rate of its days."""
    s.day_stage = np.zeros(len(s.days.user), dtype=np.int64)  # one unnamed stage
    if s.scenario.lifecycle is None:
        return
    s.paths = draw_paths(s.scenario, s.signup_day, s.cal.days, s.rng["lifecycle"])
    visit = stage_on(s.paths, s.days.user, s.days.day, s.cal.days)
    s.days, kept = s.days.scaled(activity(s.scenario)[s.paths.stage[visit]])
    s.day_visit = visit[kept]
    s.day_stage = s.paths.stage[s.day_visit]
    s.initial_stage = s.scenario.stage_names().index(s.scenario.lifecycle.initial)


def record(s: Shard) -> None:
    if s.paths is not None:
        s.truth["lifecycle_paths"] = _lifecycle_truth(
            s.scenario, s.cal, s.paths, s.day_visit, s.days, s.signed_up_ms, s.user_id
        )


def _lifecycle_truth(
    scenario: Scenario,
    cal: Calendar,
    paths: StagePaths | None,
    day_visit: np.ndarray | None,
    days: UserDays,
    signed_up_ms: np.ndarray,
    user_id: np.ndarray,
) -> pa.Table:
    """Every stage visit, with the sessions its days at risk are expected to open."""
    if paths is None or day_visit is None:
        return pa.table({})
    entered_ms = np.where(
        paths.visit == 1, signed_up_ms[paths.user], paths.entered_day * MS_PER_DAY
    )
    ends = paths.left_day < cal.days
    left_ms = np.where(ends, paths.left_day, 0) * MS_PER_DAY + cal.epoch_seconds * 1000
    return pa.table(
        {
            "user_id": pa.array(user_id[paths.user]),
            "visit_number": pa.array(paths.visit.astype(np.int32)),
            "stage": dictionary(paths.stage, scenario.stage_names()),
            "entered_at": timestamps(cal, entered_ms),
            "left_at": pa.array(left_ms, type=pa.timestamp("ms"), mask=~ends),
            "expected_sessions": pa.array(
                np.bincount(day_visit, weights=days.rate, minlength=len(paths.user))
            ),
        }
    )
