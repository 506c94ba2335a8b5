"""What if the product changed? A change file declares product changes (extra steps with
their own drop-off, friction on a step, a changed transition, a feature removed) and the
event whose reach counts as conversion; `whatif` runs them as an experiment arm against
the unchanged product in one world. The arm's users walk the changed chain from their
exposure session on, so fct_experiment_results estimates the effect with its confidence
interval, while truth holds the exact counterfactual: every exposed user's sessions
walked under both chains. The command prints that predicted change in drop-off,
conversion and engagement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

import duckdb
import yaml
from pydantic import Field, ValidationError

from generator.behaviours.events.section import GapSeconds
from generator.behaviours.experiments.section import WINDOW_DAYS, ChainChange
from generator.scenario import ScenarioError, load_scenario, parse_scenario
from generator.section import Date, Name, Strict

DEFAULT_DAYS = 91  # a change runs a quarter unless the file says otherwise
CONTROL, CHANGED = "control", "changed"


class Change(Strict):
    name: Name = Field(description="the experiment's key in the world")
    description: Annotated[str, Field(max_length=2000)] = ""
    goal: Name = Field(description="the event whose reach in a session counts as converting")
    share: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5
    start: Date | None = None
    end: Date | None = None
    new_events: dict[Name, GapSeconds] = Field(
        {}, description="events the change adds (extra steps), with the gap after each"
    )
    changes: list[ChainChange] = Field(min_length=1, max_length=50)


@dataclass(frozen=True)
class Prediction:
    metric: str
    control: float
    changed: float

    @property
    def change(self) -> float:
        return self.changed - self.control

    @property
    def relative(self) -> float:
        return self.changed / self.control - 1 if self.control else float("nan")


def read_change(path: str) -> Change:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError:
        raise ScenarioError(f"{path}: not valid YAML") from None
    try:
        return Change.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ScenarioError(f"{path}: {where}: {first['msg']}") from None


def with_change(world: dict, change: Change) -> dict:
    """The scenario (as parsed YAML) with the change as an experiment arm: the events it
    adds join the catalogue (unreached by the product as it is)."""
    out = dict(world)
    events = dict(world["events"])
    catalog, transitions = dict(events["catalog"]), dict(events["transitions"])
    for name, gap in change.new_events.items():
        if name in catalog:
            raise ScenarioError(f"new_events.{name}: the world already has this event")
        catalog[name] = {"gap_seconds": gap.model_dump()}
        transitions[name] = {"end": 1.0}
    events["catalog"], events["transitions"] = catalog, transitions
    out["events"] = events
    end_of_world = world["end"]
    end = change.end or end_of_world - dt.timedelta(days=WINDOW_DAYS + 1)
    start = change.start or max(world["start"], end - dt.timedelta(days=DEFAULT_DAYS - 1))
    experiments = dict(world.get("experiments") or {})
    if change.name in experiments:
        raise ScenarioError(f"name: the world already has an experiment '{change.name}'")
    experiments[change.name] = {
        "start": start,
        "end": end,
        "variants": {CONTROL: round(1 - change.share, 6), CHANGED: change.share},
        "changes": {CHANGED: [c.model_dump(exclude_none=True) for c in change.changes]},
        "goal": change.goal,
    }
    out["experiments"] = experiments
    return out


def compose(scenario_path: str, change_path: str, users: int | None):
    """The world with the change, validated (one line naming the key when it is not)."""
    load_scenario(scenario_path)  # the world itself must be valid first
    with open(scenario_path, encoding="utf-8") as f:
        world = yaml.safe_load(f)
    change = read_change(change_path)
    return parse_scenario(with_change(world, change), users), change


def predictions(db: str, experiment: str) -> list[Prediction]:
    """Drop-off, conversion and engagement under each arm, from truth's counterfactual."""
    con = duckdb.connect(db, read_only=True)
    try:
        rows = con.execute(
            """select metric, variant, expected_value from truth.experiment_metrics
            where experiment_key = ? and segment is null
                and metric in ('goal_session_rate', 'reached_goal', 'events_per_session')""",
            [experiment],
        ).fetchall()
    finally:
        con.close()
    value = {(m, v): x for m, v, x in rows}
    rate = (value[("goal_session_rate", CONTROL)], value[("goal_session_rate", CHANGED)])
    return [
        Prediction("drop-off (sessions not reaching the goal)", 1 - rate[0], 1 - rate[1]),
        Prediction(
            "conversion (users reaching the goal)",
            value[("reached_goal", CONTROL)],
            value[("reached_goal", CHANGED)],
        ),
        Prediction(
            "engagement (events per session)",
            value[("events_per_session", CONTROL)],
            value[("events_per_session", CHANGED)],
        ),
    ]
