"""Marketing: each paid channel's daily spend (its own trend and month seasonality, split
evenly over its campaigns), touches on users at a rate proportional to that spend while
they use the product, and the lift the touches of the window before a plan decision give
the chance of converting to a paid plan: 1 + response x (1 - e^-s), s the summed
strengths of those touches (rising with touches, saturating). For truth, the expected
touches per channel and day, and per plan decision what removing a channel would cost."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generator.behaviours.churn.simulate import Spells
from generator.behaviours.subscriptions.simulate import Decisions
from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import dates, dictionary, timestamps
from generator.scenario import Scenario
from generator.section import MONTHS, present
from generator.state import Shard

MAX_TOUCH_BUCKET = 10  # truth groups decisions by touches in the window, 10 meaning 10+
SPAN = np.int64(1) << 42  # more milliseconds than any timeframe has


def campaigns(scenario: Scenario) -> list[tuple[int, str]]:
    """(channel index, campaign) pairs, a channel without campaigns having its own name."""
    return [
        (c, campaign)
        for c, (name, channel) in enumerate(present(scenario.marketing).channels.items())
        for campaign in (channel.campaigns or [name])
    ]


def daily_spend(scenario: Scenario, cal: Calendar) -> np.ndarray:
    """(channel, day) spend in currency units."""
    years = np.arange(cal.days) / 365.25
    out = []
    for channel in present(scenario.marketing).channels.values():
        month = np.array([channel.month_seasonality.get(m, 1.0) for m in MONTHS])[cal.month]
        out.append(channel.daily_spend * np.exp(channel.trend_per_year * years) * month)
    return np.array(out)


def touch_rates(scenario: Scenario, cal: Calendar) -> np.ndarray:
    """(channel, day) expected touches per user using the product all day."""
    mk = present(scenario.marketing)
    spend = daily_spend(scenario, cal)
    base = np.array([c.daily_spend for c in mk.channels.values()])
    per_day = np.array([c.touches_per_user_day for c in mk.channels.values()])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base[:, None] > 0, per_day[:, None] * spend / base[:, None], 0.0)


@dataclass(frozen=True)
class Touches:
    """A shard's touches ordered by user then time (shard-local user index)."""

    user: np.ndarray
    at_ms: np.ndarray
    channel: np.ndarray
    campaign: np.ndarray  # index into campaigns()
    expected: np.ndarray  # truth: (channel, day) expected touches over the shard's users
    key: np.ndarray  # user x SPAN + time, ascending: where a window starts and ends
    running: np.ndarray  # (channel, touch + 1) strengths summed up to each touch


def _clipped(signed_up: np.ndarray, spells: Spells, days: int):
    """The spans of use cut at the end of the data; an empty one as [0, 0)."""
    for a, b in spells.intervals(signed_up):
        lo, hi = np.minimum(a, days), np.minimum(b, days)
        yield np.where(hi > lo, lo, 0.0), np.where(hi > lo, hi, 0.0)


def _exposure(lo: np.ndarray, hi: np.ndarray, days: int) -> np.ndarray:
    """Per day, the summed fraction of it the intervals [lo, hi) cover."""
    grid = np.arange(days + 1)

    def covered(points: np.ndarray) -> np.ndarray:  # sum over points < t of (t - point)
        points = np.sort(points)
        k = np.searchsorted(points, grid)
        return k * grid - np.r_[0.0, np.cumsum(points)][k]

    total = covered(lo) - covered(hi)
    return np.diff(total)


def draw_touches(
    scenario: Scenario,
    cal: Calendar,
    signup_ms: np.ndarray,
    spells: Spells,
    rng: np.random.Generator,
) -> Touches:
    rates = touch_rates(scenario, cal)  # (channel, day)
    total = rates.sum(axis=0)
    cumulative = np.r_[0.0, np.cumsum(total)]  # Lambda at each day's start

    def lam(t: np.ndarray) -> np.ndarray:  # continuous cumulative rate at time t (days)
        day = np.minimum(np.floor(t).astype(np.int64), cal.days - 1)
        return cumulative[day] + (t - day) * total[day]

    users, times = [], []
    expected = np.zeros_like(rates)
    for lo, hi in _clipped(signup_ms / MS_PER_DAY, spells, cal.days):
        a, b = lam(lo), lam(hi)
        count = rng.poisson(b - a)
        owner = np.repeat(np.arange(len(lo)), count)
        u = a[owner] + rng.random(len(owner)) * (b - a)[owner]
        day = np.clip(np.searchsorted(cumulative, u, side="right") - 1, 0, cal.days - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.clip((u - cumulative[day]) / total[day], 0.0, 1.0 - 1e-9)
        users.append(owner)
        times.append(np.floor((day + frac) * MS_PER_DAY).astype(np.int64))
        expected += _exposure(lo, hi, cal.days)[None, :] * rates
    user, at_ms = np.concatenate(users), np.concatenate(times)
    day = at_ms // MS_PER_DAY
    share = np.cumsum(rates[:, day] / np.maximum(total[day], 1e-300), axis=0)
    channel = np.minimum((rng.random(len(day))[None, :] >= share).sum(axis=0), len(rates) - 1)
    pairs = campaigns(scenario)
    first = np.searchsorted([c for c, _ in pairs], np.arange(len(rates)))
    n_campaigns = np.bincount([c for c, _ in pairs], minlength=len(rates))
    campaign = first[channel] + (rng.random(len(day)) * n_campaigns[channel]).astype(np.int64)
    order = np.lexsort((at_ms, user))
    user, at_ms, channel = user[order], at_ms[order], channel[order]
    strengths = np.array([c.strength for c in present(scenario.marketing).channels.values()])
    running = np.zeros((len(strengths), len(user) + 1))
    for c, strength in enumerate(strengths):
        running[c, 1:] = np.cumsum(np.where(channel == c, strength, 0.0))
    key = user.astype(np.int64) * SPAN + at_ms
    return Touches(user, at_ms, channel, campaign[order], expected, key, running)


@dataclass(frozen=True)
class WindowStrength:
    """Per plan decision: touches and summed strength in the window before it, per channel."""

    touches: np.ndarray  # (decision,)
    strength: np.ndarray  # (channel, decision)


def window_strength(
    scenario: Scenario, touches: Touches, user: np.ndarray, at_ms: np.ndarray
) -> WindowStrength:
    window = int(present(scenario.marketing).window_days * MS_PER_DAY)
    at = user.astype(np.int64) * SPAN + at_ms
    end = np.searchsorted(touches.key, at, side="left")
    start = np.searchsorted(touches.key, at - window, side="left")
    return WindowStrength(end - start, touches.running[:, end] - touches.running[:, start])


def lift(scenario: Scenario, strength: np.ndarray) -> np.ndarray:
    """The multiplier on the conversion chance for summed strengths."""
    return 1.0 + present(scenario.marketing).response * -np.expm1(-strength)


def draw(s: Shard) -> None:
    """The touches each user receives while using the product."""
    if s.scenario.marketing is not None:
        s.touches = draw_touches(s.scenario, s.cal, s.signup_ms, s.spells, s.rng["marketing"])


def log(s: Shard) -> None:
    tables = _marketing_tables(
        s.scenario,
        s.cal,
        s.touches,
        s.history.every_decision if s.history is not None else None,
        s.user_id,
    )
    if tables["touches"] is not None:
        s.raw["marketing_touches"] = tables["touches"]
    s.sums["marketing"] = tables["marketing"]


def _marketing_tables(
    scenario: Scenario,
    cal: Calendar,
    touches: Touches | None,
    decisions: Decisions | None,
    user_id: np.ndarray,
) -> dict:
    """Touches as the ad platforms report them, and for truth per channel and day the
    expected touches and the conversions its touches caused (what removing it would
    cost), and per count of touches in the window the expected conversions."""
    if touches is None or decisions is None:
        return {"touches": None, "marketing": {}}
    pairs = campaigns(scenario)
    table = pa.table(
        {
            "user_id": pa.array(user_id[touches.user]),
            "channel": dictionary(touches.channel, list(present(scenario.marketing).channels)),
            "campaign": dictionary(touches.campaign, [name for _, name in pairs]),
            "touched_at": timestamps(cal, touches.at_ms),
        }
    )
    free = np.flatnonzero(decisions.p_convert > 0)
    user, p = decisions.user[free], decisions.p_convert[free]
    day = decisions.day[free]
    window = window_strength(scenario, touches, user, decisions.at_ms[free])
    total = window.strength.sum(axis=0)
    base = p / lift(scenario, total)
    removal = np.array(
        [
            np.bincount(
                day,
                weights=base * (lift(scenario, total) - lift(scenario, total - s_c)),
                minlength=cal.days,
            )
            for s_c in window.strength
        ]
    )
    bucket = np.minimum(window.touches, MAX_TOUCH_BUCKET)
    width = MAX_TOUCH_BUCKET + 1
    return {
        "touches": table,
        "marketing": {
            "expected_touches": touches.expected,
            "removal_conversions": removal,
            "decisions": np.bincount(bucket, minlength=width).astype(float),
            "expected_conversions": np.bincount(bucket, weights=p, minlength=width),
            "conversion_variance": np.bincount(bucket, weights=p * (1 - p), minlength=width),
            "baseline_conversions": np.bincount(bucket, weights=base, minlength=width),
        },
    }


def reference_tables(scenario: Scenario, cal: Calendar) -> dict[str, pa.Table]:
    """What the ad platforms report about the world: the spend."""
    return {"marketing_spend": _spend(scenario, cal)} if scenario.marketing is not None else {}


def _spend(scenario: Scenario, cal: Calendar) -> pa.Table:
    """Raw: what the ad platforms billed each day, a channel's spend split evenly over its
    campaigns (in cents, so the campaigns add up to the cent)."""
    spend = daily_spend(scenario, cal)
    pairs = campaigns(scenario)
    share = np.bincount([c for c, _ in pairs])
    day = np.tile(np.arange(cal.days), len(pairs))
    channel = np.repeat([c for c, _ in pairs], cal.days)
    cents = np.round(spend[channel, day] * 100 / share[channel])
    names = list(present(scenario.marketing).channels)
    return pa.table(
        {
            "spend_date": dates(cal, day),
            "channel": pa.array(np.asarray(names)[channel]),
            "campaign": pa.array(np.repeat([name for _, name in pairs], cal.days)),
            "spend": pa.array(cents / 100),
            "currency": pa.array([scenario.subscriptions.currency] * len(day), type=pa.string()),
        }
    )
