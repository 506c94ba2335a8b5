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


def campaign_spend(scenario: Scenario, cal: Calendar, seed: int) -> np.ndarray:
    """(campaign, day) spend in currency units, to the cent (campaigns() order). A channel
    spends its planned amount (trend, month seasonality) moved by budget revisions and a
    day's noise; its campaigns share it by weights drawn at each revision, a campaign in a
    pause taking none. The same for every shard and the truth: a stream of its own."""
    channels = list(present(scenario.marketing).channels.values())
    streams = np.random.SeedSequence(seed, spawn_key=(3,)).spawn(len(channels))
    years = np.arange(cal.days) / 365.25
    rows = []
    for channel, stream in zip(channels, streams, strict=True):
        rng = np.random.default_rng(stream)
        month = np.array([channel.month_seasonality.get(m, 1.0) for m in MONTHS])[cal.month]
        spend = channel.daily_spend * np.exp(channel.trend_per_year * years) * month
        k = max(len(channel.campaigns), 1)
        period = np.zeros(cal.days, dtype=np.int64)
        if channel.budget is not None:
            period = np.arange(cal.days) // channel.budget.every_days
            revision = np.exp(channel.budget.sigma * rng.standard_normal(period[-1] + 1))
            spend = spend * revision[period]
        spend = spend * np.exp(channel.noise * rng.standard_normal(cal.days))
        weights = rng.dirichlet(np.full(k, 4.0), size=period[-1] + 1)[period].T  # (campaign, day)
        if channel.flights is not None:
            weights = weights * np.array(
                [_flight(channel.flights, cal.days, rng) for _ in range(k)]
            )
        total = weights.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, weights / total, 0.0)
        rows.append(np.round(spend[None, :] * share * 100) / 100)
    return np.vstack(rows)


def _flight(flights, days: int, rng: np.random.Generator) -> np.ndarray:
    """A campaign's days running (1) and paused (0), from a random point of its cycle."""
    on, off = flights.on_days, flights.off_days
    out = np.zeros(days)
    running = rng.random() < on.median / (on.median + off.median)
    day = -int(rng.integers(0, int(np.ceil(on.median if running else off.median)) + 1))
    while day < days:
        spell = on if running else off
        length = max(1, int(np.ceil(spell.median * np.exp(spell.sigma * rng.standard_normal()))))
        if running:
            out[max(day, 0) : max(day + length, 0)] = 1.0
        day += length
        running = not running
    return out


def daily_spend(scenario: Scenario, cal: Calendar, seed: int) -> np.ndarray:
    """(channel, day) spend in currency units: its campaigns' summed."""
    pairs = campaigns(scenario)
    channel = np.array([c for c, _ in pairs])
    spend = campaign_spend(scenario, cal, seed)
    return np.vstack([spend[channel == c].sum(axis=0) for c in range(channel.max() + 1)])


def acquisition_pull(scenario: Scenario, cal: Calendar, seed: int):
    """How spend draws signups to the paid channels: for the attribute naming the channel
    that acquired a user, (value, day) weights, each paid channel's spend that day over its
    mean over the timeframe (1 for values no channel spends on); None without one."""
    mk = scenario.marketing
    if mk is None or mk.acquisition is None:
        return None
    values = scenario.attributes[mk.acquisition.attribute].values  # type: ignore[union-attr]
    spend = daily_spend(scenario, cal, seed)
    channels = list(mk.channels)
    pull = np.ones((len(values), cal.days))
    for i, value in enumerate(values):
        if value in channels:
            row = spend[channels.index(value)]
            if row.mean() > 0:
                pull[i] = np.maximum(row / row.mean(), 0.05)  # a paused channel: word of mouth
    return mk.acquisition.attribute, pull


def touch_rates(scenario: Scenario, cal: Calendar, seed: int) -> np.ndarray:
    """(channel, day) expected touches per user using the product all day: in proportion
    to the day's spend against the channel's planned starting spend."""
    mk = present(scenario.marketing)
    spend = daily_spend(scenario, cal, seed)
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
    kind: np.ndarray  # index into TOUCH_KINDS
    expected: np.ndarray  # truth: (channel, day) expected touches over the shard's users,
    # after they signed up
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


TOUCH_KINDS = ["impression", "click"]


def draw_touches(
    scenario: Scenario,
    cal: Calendar,
    seed: int,
    signup_ms: np.ndarray,
    spells: Spells,
    acquired_by: np.ndarray | None,
    rng: np.random.Generator,
    signed_up_ms: np.ndarray | None = None,
) -> Touches:
    """Touches while users use the product (a Poisson process at the channels' rates),
    and before they signed up for those acquired by a channel (`acquired_by`: each user's
    channel index, -1 for none): impressions in the lookback and the click minutes before
    the signup (as logged, `signed_up_ms`). Each touch's campaign is drawn in proportion
    to the campaigns' spend that day."""
    rates = touch_rates(scenario, cal, seed)  # (channel, day)
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
    kind = np.zeros(len(user), dtype=np.int64)
    acquisition = present(scenario.marketing).acquisition
    if acquisition is not None and acquired_by is not None:
        logged = signup_ms if signed_up_ms is None else signed_up_ms
        pre = _before_signup(acquisition, logged, acquired_by, rng)
        user, at_ms, channel, kind = (
            np.concatenate([x, y]) for x, y in zip((user, at_ms, channel, kind), pre, strict=True)
        )
    campaign = _campaigns_of(scenario, cal, seed, channel, at_ms // MS_PER_DAY, rng)
    order = np.lexsort((at_ms, user))
    user, at_ms, channel = user[order], at_ms[order], channel[order]
    strengths = np.array([c.strength for c in present(scenario.marketing).channels.values()])
    running = np.zeros((len(strengths), len(user) + 1))
    for c, strength in enumerate(strengths):
        running[c, 1:] = np.cumsum(np.where(channel == c, strength, 0.0))
    key = user.astype(np.int64) * SPAN + at_ms
    return Touches(user, at_ms, channel, campaign[order], kind[order], expected, key, running)


def _before_signup(acquisition, signup_ms: np.ndarray, acquired_by: np.ndarray, rng):
    """(user, time, channel, kind) of the touches that brought users in: impressions in
    the lookback before signing up, then the click minutes before it (none before the
    data starts)."""
    user = np.flatnonzero(acquired_by >= 0)
    seen = rng.poisson(acquisition.impressions, len(user))
    owner = np.repeat(user, seen)
    lookback = acquisition.lookback_days * MS_PER_DAY
    click = acquisition.click_minutes
    click_ms = click.median * 60_000 * np.exp(click.sigma * rng.standard_normal(len(user)))
    before = np.concatenate([rng.random(len(owner)) * lookback, click_ms])
    who = np.concatenate([owner, user])
    at = (signup_ms[who] - np.ceil(before)).astype(np.int64)
    kind = np.r_[np.zeros(len(owner), dtype=np.int64), np.ones(len(user), dtype=np.int64)]
    keep = at >= 0
    return who[keep], at[keep], acquired_by[who][keep], kind[keep]


def _campaigns_of(scenario, cal, seed, channel, day, rng) -> np.ndarray:
    """Each touch's campaign, in proportion to its channel's campaigns' spend that day
    (equal shares on a day the channel spends nothing)."""
    pairs = campaigns(scenario)
    pair_channel = np.array([c for c, _ in pairs])
    spend = campaign_spend(scenario, cal, seed)
    out = np.zeros(len(channel), dtype=np.int64)
    for c in range(pair_channel.max() + 1):
        rows = np.flatnonzero(pair_channel == c)
        mine = np.flatnonzero(channel == c)
        weights = spend[rows][:, day[mine]]
        weights = np.where(weights.sum(axis=0) > 0, weights, 1.0)
        cumulative = np.cumsum(weights, axis=0) / weights.sum(axis=0)
        pick = (rng.random(len(mine))[None, :] >= cumulative).sum(axis=0)
        out[mine] = rows[np.minimum(pick, len(rows) - 1)]
    return out


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
    """The touches each user receives while using the product, and before signing up."""
    mk = s.scenario.marketing
    if mk is None:
        return
    acquired_by = None
    if mk.acquisition is not None:
        values = s.scenario.attributes[mk.acquisition.attribute].values  # type: ignore[union-attr]
        channels = list(mk.channels)
        channel_of = np.array([channels.index(v) if v in channels else -1 for v in values])
        acquired_by = channel_of[s.attributes[mk.acquisition.attribute]]
    s.touches = draw_touches(
        s.scenario,
        s.cal,
        s.seed,
        s.signup_ms,
        s.spells,
        acquired_by,
        s.rng["marketing"],
        s.signed_up_ms,
    )


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
            "touch_type": dictionary(touches.kind, TOUCH_KINDS),
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


def reference_tables(scenario: Scenario, cal: Calendar, seed: int) -> dict[str, pa.Table]:
    """What the ad platforms report about the world: the spend."""
    if scenario.marketing is None:
        return {}
    return {"marketing_spend": _spend(scenario, cal, seed)}


def _spend(scenario: Scenario, cal: Calendar, seed: int) -> pa.Table:
    """Raw: what the ad platforms billed, per campaign and day it ran (to the cent)."""
    spend = campaign_spend(scenario, cal, seed)
    pairs = campaigns(scenario)
    pair, day = np.nonzero(spend > 0)
    names = list(present(scenario.marketing).channels)
    channel = np.array([c for c, _ in pairs])[pair]
    return pa.table(
        {
            "spend_date": dates(cal, day),
            "channel": pa.array(np.asarray(names)[channel]),
            "campaign": pa.array(np.asarray([name for _, name in pairs])[pair]),
            "spend": pa.array(spend[pair, day]),
            "currency": pa.array([scenario.subscriptions.currency] * len(day), type=pa.string()),
        }
    )
