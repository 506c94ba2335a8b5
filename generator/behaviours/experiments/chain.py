"""Product changes an experiment's variant makes to the event chain: extra steps with their
own drop-off, friction on a step, a changed transition, a feature removed. Each variant
with changes adds a copy of every chain with the changes applied (a slot); its users walk
that copy from their exposure session until the variant is withdrawn. Truth reads the
exact expectations of a session under any chain: its events, and its chance of reaching
a goal event (absorbing Markov chain sums)."""

from __future__ import annotations

import numpy as np

from generator.behaviours.experiments.section import WINDOW_DAYS, ChainChange
from generator.calendar import Calendar
from generator.scenario import Scenario


def changed_variants(scenario: Scenario) -> list[tuple[int, int]]:
    """(experiment, variant) of every variant with changes, in order: slot k + 1 each."""
    return [
        (e, list(exp.variants).index(variant))
        for e, exp in enumerate(scenario.experiments.values())
        for variant in exp.changes
        if exp.changes[variant]
    ]


def apply_changes(matrix: np.ndarray, scenario: Scenario, changes: list[ChainChange]) -> np.ndarray:
    """One chain's (event, next event or end) probabilities with the changes applied in
    order."""
    names = scenario.event_names()
    index = {n: i for i, n in enumerate(names)}
    end = len(names)
    m = matrix.copy()
    for change in changes:
        if change.extra_steps is not None:
            step = change.extra_steps
            a = index[step.after]
            chain = [index[e] for e in step.steps]
            m[chain[-1]] = m[a]
            for here, nxt in zip([a, *chain[:-1]], chain, strict=True):
                m[here] = 0.0
                m[here, nxt] = 1.0 - step.drop_off
                m[here, end] = step.drop_off
        if change.friction is not None:
            x = index[change.friction.event]
            moved = m[:, x] * change.friction.factor
            m[:, x] -= moved
            m[:, end] += moved
        if change.transition is not None:
            t = change.transition
            a = index[t.event]
            b = end if t.next == "end" else index[t.next]
            rest = 1.0 - m[a, b]
            m[a] *= (1.0 - t.probability) / rest if rest > 0 else 0.0
            m[a, b] = t.probability
            if rest <= 0:  # the row led only to `next`: what is left ends the session
                m[a, end] += 1.0 - t.probability
        if change.remove_feature is not None:
            gone = [
                i
                for i, e in enumerate(scenario.events.catalog.values())
                if e.feature == change.remove_feature.feature
            ]
            lost = m[:, gone].sum(axis=1)
            m[:, gone] = 0.0
            kept = m.sum(axis=1)
            scale = np.where(kept > 0, (kept + lost) / np.where(kept > 0, kept, 1.0), 1.0)
            m *= scale[:, None]
            m[kept <= 0, end] = 1.0
    return m


def with_changes(scenario: Scenario, base: np.ndarray) -> np.ndarray:
    """The base chains, then a copy of all of them per changed variant."""
    copies = [base]
    experiments = list(scenario.experiments.values())
    for e, v in changed_variants(scenario):
        changes = experiments[e].changes[list(experiments[e].variants)[v]]
        copies.append(np.stack([apply_changes(m, scenario, changes) for m in base]))
    return np.concatenate(copies)


def session_slots(
    scenario: Scenario,
    cal: Calendar,
    exposures: list,
    session_user: np.ndarray,
    session_day: np.ndarray,
    n_users: int,
) -> np.ndarray:
    """Per session, the slot of the chain copy it walks: 0 for the product as it is, k for
    the k-th changed variant when its user has it and the session lies between their
    exposure day and the variant's withdrawal (a user in two changed variants at once
    walks the first's)."""
    slot = np.zeros(len(session_user), dtype=np.int32)
    experiments = list(scenario.experiments.values())
    for k, (e, v) in enumerate(changed_variants(scenario), start=1):
        exposed = exposures[e]
        day = np.full(n_users, -1, dtype=np.int64)
        mine = exposed.variant == v
        day[exposed.user[mine]] = exposed.day[mine]
        last = (experiments[e].end - cal.start).days + WINDOW_DAYS
        d = day[session_user]
        on = (d >= 0) & (session_day >= d) & (session_day <= last) & (slot == 0)
        slot[on] = k
    return slot


def session_expectations(matrices: np.ndarray, goal: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Per chain and first event: the expected events of a session, and its chance of
    reaching the goal event (0 without a goal). Absorbing-chain sums: visits
    N = (I - Q)^-1, hitting chances h = (I - Q_g)^-1 Q[:, g] with the goal absorbing."""
    chains, n, _ = matrices.shape
    events = np.zeros((chains, n))
    reach = np.zeros((chains, n))
    eye = np.eye(n)
    for c in range(chains):
        q = matrices[c, :, :n]
        events[c] = np.linalg.solve(eye - q, np.ones(n))
        if goal is not None:
            qg = q.copy()
            qg[:, goal] = 0.0  # the goal absorbs: reaching it ends the count
            h = np.linalg.solve(eye - qg, q[:, goal])
            h[goal] = 1.0
            reach[c] = h
    return events, reach
