"""A sampler of random valid worlds, seeded: other segments, roles, attributes (names and
values), event catalogues and chains, funnels and flows, timeframes and planted numbers
drawn within their valid ranges, and the optional behaviours switched on and off. A draw
the scenario refuses is drawn again (a sampler of valid worlds), at most a few times."""

from __future__ import annotations

import datetime as dt

import numpy as np
import yaml

from conftest import DEFAULT_SCENARIO
from generator.scenario import ScenarioError, parse_scenario

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WORDS = (
    "alpha", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "iris",
    "juniper", "kelp", "lumen", "maple", "nova", "orbit", "prism", "quartz", "ridge",
)  # fmt: skip
ATTRIBUTE_NAMES = ("region", "platform", "signup_source", "age_band", "plan_interest", "tier")


def _r(rng: np.random.Generator, low: float, high: float, digits: int = 3) -> float:
    return round(float(rng.uniform(low, high)), digits)


def _shares(rng: np.random.Generator, n: int) -> list[float]:
    """n shares summing to exactly 1 at 3 decimals."""
    raw = rng.dirichlet(np.full(n, 3.0))
    shares = [round(float(x), 3) for x in raw[:-1]]
    return [*shares, round(1.0 - sum(shares), 3)]


def _names(rng: np.random.Generator, n: int, prefix: str) -> list[str]:
    picked = rng.choice(len(WORDS), size=n, replace=False)
    return [f"{prefix}_{WORDS[i]}" for i in picked]


def _chain(rng: np.random.Generator, events: list[str]) -> dict[str, dict[str, float]]:
    """A Markov chain over the events where every row can end the session."""
    rows = {}
    for event in events:
        targets = [e for e in events[2:] if rng.random() < 0.6] or [events[2]]
        shares = _shares(rng, len(targets) + 1)
        end = max(shares[-1], 0.15)
        scale = (1.0 - end) / sum(shares[:-1])
        row = {t: round(s * scale, 3) for t, s in zip(targets, shares[:-1], strict=True)}
        row["end"] = round(1.0 - sum(row.values()), 3)
        rows[event] = row
    return rows


def _draw(rng: np.random.Generator) -> dict:
    base = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    start = dt.date(2021, 1, 1) + dt.timedelta(days=int(rng.integers(0, 700)))
    end = start + dt.timedelta(days=int(rng.integers(540, 1100)))
    world: dict = {
        "name": f"random_{WORDS[int(rng.integers(len(WORDS)))]}",
        "start": start,
        "end": end,
        "users": 3000,
    }
    world["arrivals"] = {
        "growth": {"kind": "exponential", "annual_rate": _r(rng, -0.2, 0.8)},
        "weekday_weights": {d: _r(rng, 0.5, 1.5, 2) for d in WEEKDAYS},
        "month_seasonality": {m: _r(rng, 0.5, 1.5, 2) for m in MONTHS},
        "hour_weights": [_r(rng, 0.2, 2.0, 2) for _ in range(24)],
        "anomalies": [
            {
                "name": f"day_{i}",
                "date": start + dt.timedelta(days=int(rng.integers(30, (end - start).days))),
                "signups": _r(rng, 0.3, 4.0, 2),
                "activity": _r(rng, 0.3, 2.0, 2),
            }
            for i in range(int(rng.integers(0, 3)))
        ],
    }
    segments = _names(rng, int(rng.integers(2, 6)), "seg")
    roles = _names(rng, int(rng.integers(1, 4)), "role")
    world["segments"] = {
        name: {
            "share": share,
            "role": roles[i % len(roles)],
            "activity": _r(rng, 0.4, 2.5, 2),
            "session_depth": _r(rng, 0.7, 1.4, 2),
            "churn": _r(rng, 0.3, 2.5, 2),
            "reengagement": _r(rng, 0.0, 0.4, 2),
        }
        for i, (name, share) in enumerate(zip(segments, _shares(rng, len(segments)), strict=True))
    }
    attributes = rng.choice(ATTRIBUTE_NAMES, size=int(rng.integers(1, 4)), replace=False)
    world["attributes"] = {}
    for attribute in attributes:
        values = _names(rng, int(rng.integers(2, 6)), "v")
        world["attributes"][str(attribute)] = {
            "values": values,
            "shares": {s: _shares(rng, len(values)) for s in segments},
        }
    curve = np.cumprod([1.0, *rng.uniform(0.7, 1.0, size=int(rng.integers(3, 10)))])
    world["activity"] = {
        "sessions_per_day": _r(rng, 0.15, 0.5),
        "heterogeneity_shape": _r(rng, 1.0, 4.0, 2),
        "age_decay": {"unit": "month", "curve": [round(float(c), 3) for c in curve]},
        "cohort_trend_per_year": _r(rng, -0.3, 0.2),
        "weekday_weights": {d: _r(rng, 0.6, 1.4, 2) for d in WEEKDAYS},
        "month_seasonality": {m: _r(rng, 0.6, 1.4, 2) for m in MONTHS},
    }
    world["churn"] = {
        "monthly_probability": _r(rng, 0.05, 0.25),
        "reengagement_gap_days": {"median": _r(rng, 20, 90, 1), "sigma": _r(rng, 0.3, 0.8, 2)},
    }
    events = _names(rng, int(rng.integers(5, 10)), "ev")
    features = _names(rng, 3, "ft")
    catalog = {}
    for i, event in enumerate(events):
        entry: dict = {"gap_seconds": {"median": _r(rng, 5, 120, 1), "sigma": _r(rng, 0.3, 0.9, 2)}}
        if i >= 2 and rng.random() < 0.7:
            entry["feature"] = features[int(rng.integers(len(features)))]
        catalog[event] = entry
    world["events"] = {
        "session_start": events[0],
        "signup": events[1],
        "catalog": catalog,
        "transitions": _chain(rng, events),
        "flows": {"main_flow": {"steps": [events[0], events[2], events[3]], "window_days": 1}},
    }
    world["funnels"] = {}
    if rng.random() < 0.7:
        world["funnels"]["activation"] = {
            "window_days": int(rng.integers(3, 21)),
            "steps": [
                {"event": events[1]},
                *(
                    {
                        "event": f"step_{k}_done",
                        "rate": _r(rng, 0.4, 0.95, 2),
                        "hours": {"median": _r(rng, 0.2, 24, 2), "sigma": _r(rng, 0.5, 1.0, 2)},
                    }
                    for k in range(1, int(rng.integers(2, 4)))
                ),
            ],
        }
    featured = [e for e, v in catalog.items() if "feature" in v]
    if rng.random() < 0.6:  # subscriptions, with the default world's plans and upgrade funnel
        subscriptions = base["subscriptions"]
        subscriptions["segment_multipliers"] = {
            s: {"upgrade": _r(rng, 0.5, 1.8, 2), "churn": _r(rng, 0.5, 1.8, 2)} for s in segments
        }
        world["subscriptions"] = subscriptions
        world["funnels"]["upgrade"] = base["funnels"]["upgrade"]
        if rng.random() < 0.5:
            world["marketing"] = base["marketing"]
    if featured and rng.random() < 0.6:
        requested = sorted(set(featured[: int(rng.integers(1, len(featured) + 1))]))
        request_features = list(dict.fromkeys(catalog[e]["feature"] for e in requested))
        midpoint = start + (end - start) / 2
        world["llm"] = {
            "requests": requested,
            "rating_event": events[-1],
            "models": {
                "model-a": {
                    "live_from": start,
                    "latency_ms": {"median": _r(rng, 500, 4000, 0), "sigma": 0.4},
                    "hallucination": _r(rng, 0.01, 0.1),
                    "rating": {f: _r(rng, 3.0, 4.3, 2) for f in request_features},
                },
                "model-b": {
                    "live_from": midpoint,
                    "latency_ms": {"median": _r(rng, 500, 4000, 0), "sigma": 0.4},
                    "hallucination": _r(rng, 0.01, 0.1),
                    "rating": {f: _r(rng, 3.0, 4.5, 2) for f in request_features},
                },
            },
            "rating_sigma": _r(rng, 0.5, 1.0, 2),
            "hallucination_reported": _r(rng, 0.1, 0.4, 2),
            "hallucination_detected": _r(rng, 0.3, 0.7, 2),
        }
    if rng.random() < 0.5:
        exp_start = start + dt.timedelta(days=int(rng.integers(60, 200)))
        world["experiments"] = {
            "nudge": {
                "start": exp_start,
                "end": exp_start + dt.timedelta(days=int(rng.integers(30, 90))),
                "variants": {"control": 0.5, "treatment": 0.5},
                "effects": {"treatment": {"session_rate": {"lift": _r(rng, 0.0, 0.2, 2)}}},
            }
        }
    _draw_later_behaviours(rng, world, segments)
    _draw_realism(rng, world)
    _draw_faults(rng, world)
    return world


def _draw_later_behaviours(rng: np.random.Generator, world: dict, segments: list[str]) -> None:
    """Anomaly ranges, values on an event, and a feature spreading by adopter categories
    (drawn after the rest, so adding them left the earlier draws as they were)."""
    start, end = world["start"], world["end"]
    if rng.random() < 0.5:  # a numeric attribute, uniform or normal per segment
        distribution = {}
        for s in segments:
            low = _r(rng, 0, 50, 0)
            high = low + _r(rng, 5, 40, 0)
            distribution[s] = (
                {"low": low, "high": high}
                if rng.random() < 0.5
                else {
                    "mean": _r(rng, low, high, 1),
                    "sd": _r(rng, 2, 15, 1),
                    "low": low,
                    "high": high,
                }
            )
        world["attributes"]["score"] = {
            "distribution": distribution,
            "decimals": int(rng.integers(0, 2)),
            "bands": [10.0, 25.0, 40.0, 60.0],
        }
    for anomaly in world["arrivals"]["anomalies"]:
        if rng.random() < 0.4:
            anomaly["end"] = min(anomaly["date"] + dt.timedelta(days=int(rng.integers(1, 5))), end)
    events = list(world["events"]["catalog"])
    if rng.random() < 0.6:
        event = events[int(rng.integers(2, len(events)))]
        value: dict = {"median": _r(rng, 5, 200, 2), "sigma": _r(rng, 0.1, 0.8, 2)}
        if rng.random() < 0.7:
            value["currency"] = str(rng.choice(["USD", "EUR", "INR", "BRL"]))
        else:
            value.update(unit="minutes", decimals=1)
        value["segments"] = {s: _r(rng, 0.5, 2.0, 2) for s in segments if rng.random() < 0.7}
        if rng.random() < 0.6:
            steps = rng.uniform(1.0, 1.1, size=int(rng.integers(2, 8)))
            curve = np.cumprod([1.0, *steps[1:]])
            value["account_age"] = {
                "unit": str(rng.choice(["week", "month"])),
                "curve": [round(float(c), 3) for c in curve],
            }
        value["trend_per_year"] = _r(rng, -0.1, 0.2)
        value["month_seasonality"] = {m: _r(rng, 0.7, 1.4, 2) for m in MONTHS if rng.random() < 0.3}
        first = start + dt.timedelta(days=int(rng.integers(30, (end - start).days - 10)))
        value["anomalies"] = [
            {
                "name": "value_dip",
                "start": first,
                "end": first + dt.timedelta(days=int(rng.integers(0, 7))),
                "multiplier": _r(rng, 0.5, 1.5, 2),
            }
        ]
        world["values"] = {event: value}
    if rng.random() < 0.5:
        # a launched feature only its adopters use, spreading by adopter categories
        world["events"]["catalog"]["feature_launched"] = {
            "feature": "new_feature",
            "gap_seconds": {"median": 20.0, "sigma": 0.5},
        }
        world["events"]["transitions"]["feature_launched"] = {"end": 1.0}
        sd = _r(rng, 10, 60, 1)
        world["adoption"] = {
            "new_feature": {
                "launch": start + dt.timedelta(days=int(rng.integers(30, 200))),
                "categories": {"mean_days": round(sd * _r(rng, 3.0, 6.0, 2), 1), "sd_days": sd},
                "market": _r(rng, 0.2, 0.8, 2),
                "event": "feature_launched",
            }
        }
    _draw_actors_and_outcomes(rng, world, segments, events)


def _draw_actors_and_outcomes(
    rng: np.random.Generator, world: dict, segments: list[str], events: list[str]
) -> None:
    """Actors the users are linked to (a trait acting on their activity), and outcomes
    reached by behaviour and by chance."""
    if rng.random() < 0.5:
        kind = str(rng.choice(["mentor", "coach", "store"]))
        values = _names(rng, int(rng.integers(1, 4)), "tier")
        world["actors"] = {
            kind: {
                "count": int(rng.integers(1, 400)),
                "joining": {"at_start": _r(rng, 0.05, 1.0, 2), "trend_per_year": _r(rng, -1, 1)},
                "attributes": {"tier": {"values": values, "shares": _shares(rng, len(values))}},
                "traits": {"warmth": _r(rng, 0.0, 0.8, 2)},
            }
        }
        world["relations"] = {
            "linked_to": {
                "parent": kind,
                "panel_sigma": _r(rng, 0.0, 1.5, 2),
                "effects": {"activity": "warmth"} if rng.random() < 0.7 else {},
            }
        }
    if rng.random() < 0.5:
        event = events[int(rng.integers(2, len(events)))]
        probability = _r(rng, 0.05, 0.8, 2)
        otherwise = _r(rng, 0.0, 0.2, 2)
        world["outcomes"] = {
            "goal_reached": {
                "after": {
                    "event": event,
                    "count": int(rng.integers(1, 6)),
                    "within_days": _r(rng, 7, 90, 1),
                }
            },
            "rewarded": {
                "after_outcome": "goal_reached",
                "probability": probability,
                "otherwise": otherwise,
                "segments": {
                    s: _r(rng, 0.5, 0.99 / max(probability, otherwise), 2) for s in segments[:2]
                },
                "delay_days": {"min_days": _r(rng, 0, 10, 1), "max_days": _r(rng, 10, 60, 1)},
            },
        }


def random_world(seed: int, attempts: int = 20) -> dict:
    """A valid world drawn from `seed`: the first of its draws the scenario accepts."""
    rng = np.random.default_rng(seed)
    last = ""
    for _ in range(attempts):
        world = _draw(rng)
        try:
            parse_scenario(world)
        except ScenarioError as exc:
            last = str(exc)
            continue
        return world
    raise AssertionError(f"seed {seed}: no valid world in {attempts} draws (last: {last})")


ZONES = ("America/New_York", "America/Los_Angeles", "Europe/Paris", "Asia/Kolkata", "Asia/Tokyo")


def _draw_realism(rng: np.random.Generator, world: dict) -> None:
    """Drifting mixes, time zones, a signup funnel people stray from, tokens on answers
    and the users a paid channel acquired (drawn last, so the earlier draws hold)."""
    attributes = [a for a, spec in world["attributes"].items() if "values" in spec]
    first = world["attributes"][attributes[0]]
    first["drift_per_year"] = {first["values"][0]: _r(rng, -0.5, 0.5, 2)}
    if rng.random() < 0.6:  # a time zone or two per value of an attribute
        first["time_zones"] = {}
        for value in first["values"]:
            zones = rng.choice(ZONES, size=int(rng.integers(1, 3)), replace=False)
            first["time_zones"][value] = dict(
                zip([str(z) for z in zones], _shares(rng, len(zones)), strict=True)
            )
    if "activation" in world["funnels"]:
        world["funnels"]["activation"]["irregular"] = {
            k: _r(rng, 0.0, 0.2, 2) for k in ("repeat", "skip", "early")
        }
        if rng.random() < 0.5:
            world["funnels"]["activation"]["steps"][1]["type"] = "system"
    for model in world.get("llm", {}).get("models", {}).values():
        if rng.random() < 0.7:
            model["tokens"] = {
                "prompt": {"median": _r(rng, 100, 2000, 0), "sigma": _r(rng, 0.2, 0.8, 2)},
                "completion": {"median": _r(rng, 50, 800, 0), "sigma": _r(rng, 0.2, 0.8, 2)},
                "prompt_price_per_1k": _r(rng, 0.0001, 0.01, 4),
                "completion_price_per_1k": _r(rng, 0.0001, 0.02, 4),
            }
    marketing = world.get("marketing")
    if marketing is not None:
        marketing.pop("acquisition", None)
        if rng.random() < 0.6:  # users acquired by a channel, named by a new attribute
            channels = list(marketing["channels"])
            values = [*channels, "unpaid"]
            world["attributes"]["came_from"] = {
                "values": values,
                "shares": {s: _shares(rng, len(values)) for s in world["segments"]},
            }
            marketing["acquisition"] = {
                "attribute": "came_from",
                "impressions": _r(rng, 0.0, 5.0, 1),
            }


def _draw_faults(rng: np.random.Generator, world: dict) -> None:
    """The pipelines' faults, most at realistic rates, any of them zero (drawn last, so the
    earlier draws hold)."""
    if rng.random() < 0.15:
        return  # a clean world
    start, end = world["start"], world["end"]
    since = start + dt.timedelta(days=int(rng.integers(1, (end - start).days + 1)))
    events = list(world["events"]["catalog"])
    world["faults"] = {
        "duplicates": {"same_id": _r(rng, 0.0, 0.02, 4), "new_id": _r(rng, 0.0, 0.01, 4)},
        "late": {"share": _r(rng, 0.0, 0.05, 4), "median_hours": _r(rng, 0.5, 48, 1)},
        "clock_skew": {"devices": _r(rng, 0.0, 0.1, 3), "median_minutes": _r(rng, 0.1, 600, 1)},
        "accounts": {
            "scripted": int(rng.integers(0, 5)),
            "events_per_day": int(rng.integers(2000, 8000)),
            "staff": int(rng.integers(0, 8)),
            "internal_domains": ["corp.example.net", "qa.example.org"][: int(rng.integers(1, 3))],
        },
        "missing_attributes": _r(rng, 0.0, 0.05, 3),
        "orphans": {"users": _r(rng, 0.0, 0.05, 3), "median_hours": _r(rng, 0.5, 72, 1)},
        "out_of_range": {
            "negative_durations": _r(rng, 0.0, 0.01, 4),
            "amounts_in_cents": _r(rng, 0.0, 0.01, 4),
        },
        "rename": {
            "event": str(rng.choice(events)),
            "renamed_to": "renamed_event_v2",
            "since": since,
        },
    }
