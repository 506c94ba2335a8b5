"""Feature adoption: a Bass diffusion, or Rogers' adopter categories, per launched
feature. A user who would ever adopt (the market share) has an adoption time drawn from
the feature's timing since the launch, or, when that came before they signed up, a
log-normal number of days after signing up; they adopt in the first session they open
from then on (one who never opens another does not). For truth, every day's expected new
adopters and the expectation and variance of the cumulative count."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy.special import ndtr, ndtri

from generator.behaviours.adoption.section import ADOPTER_CATEGORIES, Adoption
from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import dictionary, optional_timestamps
from generator.maths import normal_cdf
from generator.scenario import Scenario
from generator.section import GapDays
from generator.state import Shard

DELAY_TAIL_SIGMAS = 3.0  # the delay after signup is cut at median x e^(3 sigma)


def delay_cap(delay: GapDays) -> float:
    return delay.median * float(np.exp(DELAY_TAIL_SIGMAS * delay.sigma))


def delay_cdf(delay: GapDays, days: np.ndarray) -> np.ndarray:
    """Chance the delay after signup is below `days` (the log-normal cut at its cap)."""
    if delay.sigma == 0:
        return (days >= delay.median).astype(float)
    with np.errstate(divide="ignore"):
        z = (np.log(np.maximum(days, 0.0)) - np.log(delay.median)) / delay.sigma
    return np.minimum(ndtr(z) / ndtr(DELAY_TAIL_SIGMAS), 1.0)


def draw_delay(delay: GapDays, u: np.ndarray) -> np.ndarray:
    """Days after signup for uniform draws u, from the cut log-normal."""
    return delay.median * np.exp(delay.sigma * ndtri(u * ndtr(DELAY_TAIL_SIGMAS)))


def bass_cdf(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """Share of the market adopted t days after the launch (0 before it)."""
    x = np.exp(-(p + q) * np.maximum(t, 0.0))
    return np.where(t > 0, (1 - x) / (1 + q / p * x), 0.0)


def bass_quantile(u: np.ndarray, p: float, q: float) -> np.ndarray:
    """Days after the launch by which a share u of the market has adopted."""
    return -np.log((1 - u) / (1 + u * q / p)) / (p + q)


def bass_midpoint_days(p: float, q: float) -> float:
    """Days after the launch when half the market has adopted."""
    return float(bass_quantile(np.array(0.5), p, q))


def timing_cdf(launch: Adoption, t: np.ndarray) -> np.ndarray:
    """Share of the market whose time has come t days after the launch (0 before it):
    Bass, or a normal around the categories' mean (a time before the launch is the launch)."""
    if launch.categories is None:
        return bass_cdf(t, launch.innovation or 0.0, launch.imitation or 0.0)
    c = launch.categories
    return np.where(t > 0, normal_cdf((t - c.mean_days) / c.sd_days), 0.0)


def timing(launch: Adoption, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days after the launch for uniform draws u, and each one's adopter category (an index
    into ADOPTER_CATEGORIES; -1 under a Bass diffusion)."""
    if launch.categories is None:
        days = bass_quantile(u, launch.innovation or 0.0, launch.imitation or 0.0)
        return days, np.full(len(u), -1, dtype=np.int8)
    c = launch.categories
    z = ndtri(u)
    upper = np.array([hi for _, hi in ADOPTER_CATEGORIES.values()][:-1])
    category = np.searchsorted(upper, z, side="right").astype(np.int8)
    return np.maximum(c.mean_days + c.sd_days * z, 0.0), category


@dataclass(frozen=True)
class Intents:
    """When each would-be adopter means to adopt each feature (shard-local users)."""

    user: np.ndarray
    feature: np.ndarray  # index into scenario.adoption
    at_ms: np.ndarray  # the launch's timing, or a delay after signup when that came first
    planned: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per feature: the market's
    # users (shard-local), their days after the launch and their category (-1 for Bass)


@dataclass(frozen=True)
class Adoptions:
    """The adoptions as the events log them: each in the first session the user opens once
    they mean to adopt (a shard-local session index), at that session's end."""

    user: np.ndarray
    feature: np.ndarray
    session: np.ndarray
    at_ms: np.ndarray


def draw_intents(scenario: Scenario, cal: Calendar, signup_ms: np.ndarray, rng) -> Intents:
    n = len(signup_ms)
    users, features, times = [], [], []
    planned = []
    for f, launch in enumerate(scenario.adoption.values()):
        start = (launch.launch - cal.start).days
        ever = rng.random(n) < launch.market
        after, category = timing(launch, rng.random(n))
        delay = draw_delay(launch.after_signup, rng.random(n))
        at = start + after
        planned.append((np.flatnonzero(ever), after[ever], category[ever]))
        at_ms = np.where(
            at * MS_PER_DAY <= signup_ms,
            signup_ms + np.floor(delay * MS_PER_DAY).astype(np.int64),
            np.floor(at * MS_PER_DAY).astype(np.int64),
        )
        took = np.flatnonzero(ever & (at_ms < cal.days * MS_PER_DAY))
        users.append(took)
        features.append(np.full(len(took), f))
        times.append(at_ms[took])
    empty = np.zeros(0, dtype=np.int64)
    return Intents(
        user=np.concatenate(users) if users else empty,
        feature=np.concatenate(features) if features else empty,
        at_ms=np.concatenate(times) if times else empty,
        planned=planned,
    )


def intent_cdf(launch: Adoption, start: int, signed_up: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Chance a would-be adopter signed up at `signed_up` means to adopt by `y` (days since
    the start): the launch's timing, or after signup a delay once that time came before."""
    before = timing_cdf(launch, signed_up - start)
    since = np.where(
        y >= signed_up,
        before * delay_cdf(launch.after_signup, y - signed_up)
        + np.maximum(timing_cdf(launch, y - start) - before, 0.0),
        0.0,
    )
    return since


def expected_adoptions(
    scenario: Scenario, cal: Calendar, signup_ms: np.ndarray, hosts
) -> dict[str, np.ndarray]:
    """Per feature x day: expected new adopters, and the mean and variance of the
    cumulative count. A user adopts in the first session meant to open at or after their
    intent, so session k takes the intent's chance between the previous session's opening
    and its own, on the day its adoption event falls."""
    n_features = len(scenario.adoption)
    expected = {
        k: np.zeros((n_features, cal.days))
        for k in ("expected_new", "expected_cumulative", "cumulative_variance")
    }
    signed_up = signup_ms / MS_PER_DAY
    user = hosts.user
    opens = hosts.opens_ms / MS_PER_DAY
    first = np.r_[True, user[1:] != user[:-1]] if len(user) else np.zeros(0, dtype=bool)
    at_ms = hosts.hosted_at("adoption")
    logged = at_ms < cal.days * MS_PER_DAY
    day = (at_ms // MS_PER_DAY).astype(np.int64)
    for f, launch in enumerate(scenario.adoption.values()):
        start = (launch.launch - cal.start).days
        by = launch.market * intent_cdf(launch, start, signed_up[user], opens)
        mass = by - np.where(first, 0.0, np.r_[0.0, by[:-1]])
        keep = logged & (mass > 0)
        for key, values in _accumulate(user[keep], day[keep], mass[keep], cal.days).items():
            expected[key][f] = values
    return expected


def _accumulate(
    owner: np.ndarray, day: np.ndarray, mass: np.ndarray, days: int
) -> dict[str, np.ndarray]:
    """From each user's chances of adopting on given days: per day, expected new adopters,
    and the mean and variance of the cumulative count (a sum of each user's chance of
    having adopted by the end of the day)."""
    order = np.lexsort((day, owner))
    owner, day, mass = owner[order], day[order], mass[order]
    new = np.bincount(day, weights=mass, minlength=days)[:days]
    total = np.cumsum(mass)
    first_of_user = np.r_[True, owner[1:] != owner[:-1]] if len(owner) else owner.astype(bool)
    before = np.maximum.accumulate(np.where(first_of_user, np.r_[0.0, total[:-1]], 0.0))
    cumulative = total - before
    # each user's chance by the end of a day holds from that day until the next one of theirs
    last_of_day = np.r_[(owner[1:] != owner[:-1]) | (day[1:] != day[:-1]), True]
    last_of_day = last_of_day[: len(owner)]
    owner, day, level = owner[last_of_day], day[last_of_day], cumulative[last_of_day]
    until = np.r_[np.where(owner[1:] == owner[:-1], day[1:], days), days] if len(day) else day
    diff_mean = np.zeros(days + 1)
    diff_var = np.zeros(days + 1)
    np.add.at(diff_mean, day, level)
    np.add.at(diff_mean, until, -level)
    np.add.at(diff_var, day, level * (1 - level))
    np.add.at(diff_var, until, -level * (1 - level))
    return {
        "expected_new": new,
        "expected_cumulative": np.cumsum(diff_mean)[:days],
        "cumulative_variance": np.cumsum(diff_var)[:days],
    }


def draw(s: Shard) -> None:
    """Who means to adopt each launched feature, and when (the sessions they adopt in
    are drawn with the events)."""
    s.intents = draw_intents(s.scenario, s.cal, s.signup_ms, s.rng["adoption"])


def record(s: Shard) -> None:
    s.sums["adoption"] = expected_adoptions(s.scenario, s.cal, s.signup_ms, s.hosts)
    names = list(ADOPTER_CATEGORIES)
    parts = []
    for f, (feature, (user, after, category)) in enumerate(
        zip(s.scenario.adoption, s.intents.planned, strict=True)
    ):
        if s.scenario.adoption[feature].categories is None:
            continue
        # when each adopted: in the first session opened once their time had come
        mine = s.adopted.feature == f
        at = np.full(s.n, -1, dtype=np.int64)
        at[s.adopted.user[mine]] = s.adopted.at_ms[mine]
        parts.append(
            pa.table(
                {
                    "feature": pa.array([feature] * len(user), type=pa.string()),
                    "user_id": pa.array(s.user_id[user]),
                    "adopter_category": dictionary(category, names),
                    "planned_days_after_launch": pa.array(after),
                    "adopted_at": optional_timestamps(
                        s.cal, np.where(at[user] >= 0, at[user] / MS_PER_DAY, np.inf)
                    ),
                }
            )
        )
    if parts:
        s.truth["adopters"] = pa.concat_tables(parts)
