"""Actors and relations: the world's other actors (doctors, teachers, shops) drawn once for
the whole run from their own stream (so every shard sees the same ones), and each user
assigned at signup to one actor of each related kind already on the platform, in proportion
to the actor's pull; a parent's trait multiplies the behaviour it acts on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generator.behaviours.actors.tables import EARLY_ACTIVITY_DAYS
from generator.calendar import DAYS_PER_YEAR, MS_PER_DAY, Calendar
from generator.columns import dictionary, timestamps
from generator.scenario import Scenario
from generator.state import Shard

JOINED_BEFORE_START_DAYS = 365.0  # actors on the platform at the start joined in the year before
LINK_MEDIAN_MS = 4 * 60_000  # a user is linked to their actor minutes after signing up


@dataclass(frozen=True)
class Actors:
    """Every actor of the world, numbered in order of joining within each kind (kinds in
    the scenario's order), with their attribute codes, traits and pull per relation."""

    kind: np.ndarray  # index into the scenario's actor kinds
    joined_ms: np.ndarray  # ms since the start (negative: before it)
    attributes: dict[str, np.ndarray]  # code into the kind's values; -1 for other kinds
    traits: dict[tuple[str, str], np.ndarray]  # (kind, trait): per actor, nan for others
    pull: dict[str, np.ndarray]  # relation: value per actor (nan for other kinds)

    @property
    def actor_id(self) -> np.ndarray:
        return np.arange(1, len(self.kind) + 1, dtype=np.int64)


def _mean_one_lognormal(sigma: float, n: int, rng: np.random.Generator) -> np.ndarray:
    return np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2)


def _joined_days(count: int, at_start: float, trend: float, days: int, rng) -> np.ndarray:
    """Joining day per actor, sorted: the first share before the start, the others over the
    timeframe with density growing as exp(trend x years)."""
    starters = max(1, round(count * at_start))
    before = -rng.random(starters) * JOINED_BEFORE_START_DAYS
    u = rng.random(count - starters)
    g = trend / DAYS_PER_YEAR
    later = u * days if abs(g) < 1e-12 else np.log1p(u * np.expm1(g * days)) / g
    return np.sort(np.concatenate([before, later]))


def draw_actors(scenario: Scenario, cal: Calendar, seed: int) -> Actors:
    """The same actors for every shard of a run: one stream of their own."""
    kinds = list(scenario.actors)
    streams = np.random.SeedSequence(seed, spawn_key=(2,)).spawn(len(kinds) + 1)
    kind_parts, joined_parts = [], []
    attributes: dict[str, list[np.ndarray]] = {
        a: [] for spec in scenario.actors.values() for a in spec.attributes
    }
    traits: dict[tuple[str, str], np.ndarray] = {}
    total = sum(spec.count for spec in scenario.actors.values())
    first = 0
    for k, (name, spec) in enumerate(scenario.actors.items()):
        rng = np.random.default_rng(streams[k])
        n = spec.count
        joined = _joined_days(n, spec.joining.at_start, spec.joining.trend_per_year, cal.days, rng)
        kind_parts.append(np.full(n, k, dtype=np.int16))
        joined_parts.append(np.round(joined * MS_PER_DAY).astype(np.int64))
        for attr, values in attributes.items():
            a = spec.attributes.get(attr)
            if a is None:
                values.append(np.full(n, -1, dtype=np.int16))
            else:
                p = np.asarray(a.shares) / sum(a.shares)
                values.append(rng.choice(len(p), size=n, p=p).astype(np.int16))
        for trait, sigma in spec.traits.items():
            column = np.full(total, np.nan)
            column[first : first + n] = _mean_one_lognormal(sigma, n, rng)
            traits[(name, trait)] = column
        first += n
    kind = np.concatenate(kind_parts) if kind_parts else np.zeros(0, dtype=np.int16)
    pull_rng = np.random.default_rng(streams[-1])
    pull = {}
    for relation, rel in scenario.relations.items():
        column = np.full(total, np.nan)
        mine = kind == kinds.index(rel.parent)
        column[mine] = _mean_one_lognormal(rel.panel_sigma, int(mine.sum()), pull_rng)
        pull[relation] = column
    return Actors(
        kind,
        np.concatenate(joined_parts) if joined_parts else np.zeros(0, dtype=np.int64),
        {a: np.concatenate(v) for a, v in attributes.items()},
        traits,
        pull,
    )


@dataclass(frozen=True)
class Assignment:
    relation: str
    actor: np.ndarray  # index into Actors, per user of the shard
    effect: np.ndarray  # the multiplier on the user's activity (1 without an effect)


def assign(s: Shard, actors: Actors) -> None:
    """Each user to one actor of each relation's parent kind that joined before the day the
    user signed up, chosen in proportion to pull; the parent's trait multiplies activity."""
    scenario, rng = s.scenario, s.rng["actors"]
    kinds = list(scenario.actors)
    day_start_ms = s.signup_day.astype(np.int64) * MS_PER_DAY
    s.assignments = []
    for relation, rel in scenario.relations.items():
        members = np.flatnonzero(actors.kind == kinds.index(rel.parent))  # in joining order
        cumulative = np.cumsum(actors.pull[relation][members])
        joined = np.searchsorted(actors.joined_ms[members], day_start_ms, side="left")
        u = rng.random(s.n) * cumulative[joined - 1]
        chosen = np.minimum(np.searchsorted(cumulative, u, side="right"), joined - 1)
        actor = members[chosen]
        effect = np.ones(s.n)
        trait = rel.effects.get("activity")
        if trait is not None:
            effect = actors.traits[(rel.parent, trait)][actor]
            s.multiplier = s.multiplier * effect
        s.assignments.append(Assignment(relation, actor, effect))


def record(s: Shard) -> None:
    """truth.assigned_users: each assigned user's expected sessions on the days
    1..EARLY_ACTIVITY_DAYS after the signup date (all of the rate: segment, the user's own,
    the parent's effect, age, calendar), for users whose early days lie in the timeframe."""
    if not s.assignments:
        return
    days = s.days
    early = (days.day - s.signup_day[days.user]) <= EARLY_ACTIVITY_DAYS
    expected = np.bincount(days.user[early], weights=days.rate[early], minlength=s.n)
    observed = s.signup_day + EARLY_ACTIVITY_DAYS < s.cal.days
    parts = [
        pa.table(
            {
                "relation": pa.array([a.relation] * int(observed.sum()), type=pa.string()),
                "user_id": pa.array(s.user_id[observed]),
                "actor_id": pa.array(a.actor[observed].astype(np.int64) + 1),
                "activity_effect": pa.array(a.effect[observed]),
                "expected_early_sessions": pa.array(expected[observed]),
            }
        )
        for a in s.assignments
    ]
    s.truth["assigned_users"] = pa.concat_tables(parts)


def log(s: Shard) -> None:
    """raw.assignments: the link as the platform records it, minutes after the signup."""
    if not s.assignments:
        return
    rng = s.rng["actors"]
    parts = []
    for a in s.assignments:
        delay = np.round(LINK_MEDIAN_MS * np.exp(0.8 * rng.standard_normal(s.n))).astype(np.int64)
        parts.append(
            pa.table(
                {
                    "user_id": pa.array(s.user_id),
                    "actor_id": pa.array(a.actor.astype(np.int64) + 1),
                    "relation": pa.array([a.relation] * s.n, type=pa.string()),
                    "assigned_at": timestamps(s.cal, s.signed_up_ms + delay),
                }
            )
        )
    s.raw["assignments"] = pa.concat_tables(parts)


def tables(scenario: Scenario, cal: Calendar, seed: int) -> dict[tuple[str, str], pa.Table]:
    """raw.actors (as the platform's database keeps them) and truth.actor_traits (each
    actor's hidden traits and its pull in each relation), keyed by (schema, table)."""
    actors = draw_actors(scenario, cal, seed)
    kinds = list(scenario.actors)
    columns = {
        "actor_id": pa.array(actors.actor_id),
        "actor_kind": dictionary(actors.kind, kinds),
        "joined_at": timestamps(cal, actors.joined_ms),
    }
    for attr, codes in actors.attributes.items():
        names: list[str | None] = [None]
        offsets = np.zeros(len(kinds), dtype=np.int16)
        for k, spec in enumerate(scenario.actors.values()):
            a = spec.attributes.get(attr)
            if a is not None:
                offsets[k] = len(names)
                names.extend(a.values)
        columns[attr] = dictionary(np.where(codes < 0, 0, codes + offsets[actors.kind]), names)
    named = [*actors.traits.items()]
    named += [((rel.parent, f"{r}_pull"), actors.pull[r]) for r, rel in scenario.relations.items()]
    ids, kind_names, trait_names, trait_values = [], [], [], []
    for (kind, trait), values in named:
        mine = ~np.isnan(values)
        ids.append(actors.actor_id[mine])
        trait_values.append(values[mine])
        kind_names += [kind] * int(mine.sum())
        trait_names += [trait] * int(mine.sum())
    traits = pa.table(
        {
            "actor_id": pa.array(np.concatenate(ids) if ids else [], pa.int64()),
            "actor_kind": pa.array(kind_names, pa.string()),
            "trait": pa.array(trait_names, pa.string()),
            "trait_value": pa.array(np.concatenate(trait_values) if ids else [], pa.float64()),
        }
    )
    return {("raw", "actors"): pa.table(columns), ("truth", "actor_traits"): traits}


def actor_columns(scenario: Scenario) -> dict[str, str]:
    """raw.actors' attribute columns and their DuckDB types."""
    return {a: "VARCHAR" for spec in scenario.actors.values() for a in spec.attributes}
