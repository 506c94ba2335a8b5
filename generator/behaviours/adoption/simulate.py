"""Feature adoption: a Bass diffusion, or Rogers' adopter categories, per launched
feature. A user who would ever adopt (the market share) has an adoption time drawn from
the feature's timing since the launch; one who signs up after it adopts a log-normal
number of days after signing up, one who is not using the product then (churned, not
back) never does. For truth, every day's expected new adopters and the expectation and
variance of the cumulative count."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy.special import ndtr, ndtri

from generator.behaviours.adoption.section import ADOPTER_CATEGORIES, Adoption
from generator.behaviours.churn.simulate import Spells
from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import dictionary
from generator.maths import expand_ranges, normal_cdf
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
class Adoptions:
    user: np.ndarray  # shard-local
    feature: np.ndarray  # index into scenario.adoption
    at_ms: np.ndarray
    expected: dict[str, np.ndarray]  # truth, per feature x day
    planned: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per feature: the market's
    # users (shard-local), their days after the launch and their category (-1 for Bass)


def draw_adoptions(
    scenario: Scenario,
    cal: Calendar,
    signup_ms: np.ndarray,
    spells: Spells,
    rng: np.random.Generator,
) -> Adoptions:
    n = len(signup_ms)
    signed_up = signup_ms / MS_PER_DAY
    users, features, times = [], [], []
    n_features = len(scenario.adoption)
    planned = []
    expected = {
        k: np.zeros((n_features, cal.days))
        for k in ("expected_new", "expected_cumulative", "cumulative_variance")
    }
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
        day = at_ms / MS_PER_DAY
        alive = np.zeros(n, dtype=bool)
        for a, b in spells.intervals(signed_up):
            alive |= (day >= a) & (day < b)
        took = np.flatnonzero(ever & alive & (at_ms < cal.days * MS_PER_DAY))
        users.append(took)
        features.append(np.full(len(took), f))
        times.append(at_ms[took])
        for key, values in _expected(launch, start, cal.days, signed_up, spells).items():
            expected[key][f] = values
    return Adoptions(
        user=np.concatenate(users) if users else np.zeros(0, dtype=np.int64),
        feature=np.concatenate(features) if features else np.zeros(0, dtype=np.int64),
        at_ms=np.concatenate(times) if times else np.zeros(0, dtype=np.int64),
        expected=expected,
        planned=planned,
    )


def _expected(
    launch: Adoption, start: int, days: int, signed_up: np.ndarray, spells: Spells
) -> dict[str, np.ndarray]:
    """Per day: expected new adopters, and the mean and variance of the cumulative count
    (a sum of each user's chance of having adopted by the end of the day)."""
    m = launch.market

    def cdf(t: np.ndarray) -> np.ndarray:
        return timing_cdf(launch, t)

    n = len(signed_up)
    owners, day_parts, masses = [], [], []
    # a user joining after their time (the curve's mass before signup) adopts after a
    # delay, if using the product then: the delay's mass within each spell, day by day
    joined = np.flatnonzero((signed_up >= start) & (signed_up < days))
    before = m * cdf(signed_up[joined] - start)
    s = signed_up[joined]
    cap = delay_cap(launch.after_signup)
    for a, b in spells.intervals(signed_up):
        hi = np.minimum(np.minimum(b[joined], s + cap), days)
        lo = np.minimum(np.maximum(a[joined], s), hi)
        first = np.floor(np.where(np.isfinite(lo), lo, 0)).astype(np.int64)
        length = np.where(hi > lo, np.ceil(hi).astype(np.int64) - first, 0)
        which, day = expand_ranges(np.arange(len(joined)), first, length)
        left = np.maximum(day, lo[which])
        right = np.minimum(day + 1, hi[which])
        owners.append(joined[which])
        day_parts.append(day)
        masses.append(
            before[which]
            * (
                delay_cdf(launch.after_signup, right - s[which])
                - delay_cdf(launch.after_signup, left - s[which])
            )
        )
    # while using the product, the curve's mass as time passes, day by day
    for a, b in spells.intervals(signed_up):
        hi = np.minimum(b, days)
        lo = np.minimum(np.maximum(a, start), hi)  # an empty spell: lo = hi
        first = np.floor(np.where(np.isfinite(lo), lo, 0)).astype(np.int64)
        length = np.where(hi > lo, np.ceil(hi).astype(np.int64) - first, 0)
        owner, day = expand_ranges(np.arange(n), first, length)
        left = np.maximum(day, lo[owner])
        right = np.minimum(day + 1, hi[owner])
        owners.append(owner)
        day_parts.append(day)
        masses.append(m * (cdf(right - start) - cdf(left - start)))
    owner, day, mass = (np.concatenate(x) for x in (owners, day_parts, masses))
    order = np.lexsort((day, owner))
    owner, day, mass = owner[order], day[order], mass[order]
    new = np.bincount(day, weights=mass, minlength=days)[:days]
    total = np.cumsum(mass)
    first_of_user = np.r_[True, owner[1:] != owner[:-1]]
    before = np.maximum.accumulate(np.where(first_of_user, np.r_[0.0, total[:-1]], 0.0))
    cumulative = total - before
    # each user's chance by the end of a day holds from that day until the next one of theirs
    last_of_day = np.r_[(owner[1:] != owner[:-1]) | (day[1:] != day[:-1]), True]
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
    """Who adopts each launched feature, and when."""
    s.adopted = draw_adoptions(s.scenario, s.cal, s.signup_ms, s.spells, s.rng["adoption"])


def record(s: Shard) -> None:
    s.sums["adoption"] = s.adopted.expected
    names = list(ADOPTER_CATEGORIES)
    parts = [
        pa.table(
            {
                "feature": pa.array([feature] * len(user), type=pa.string()),
                "user_id": pa.array(s.user_id[user]),
                "adopter_category": dictionary(category, names),
                "planned_days_after_launch": pa.array(after),
            }
        )
        for feature, (user, after, category) in zip(
            s.scenario.adoption, s.adopted.planned, strict=True
        )
        if s.scenario.adoption[feature].categories is not None
    ]
    if parts:
        s.truth["adopters"] = pa.concat_tables(parts)
