"""The scenario: one YAML file describing a world, made of the sections of the behaviours
it declares. Every number the simulator plants comes from here, so every check on a number
runs here too: a bad scenario stops the run before anything is written, with one line
naming the key path and the reason. Each section and its checks live with its behaviour
(generator/behaviours/<name>/section.py); this module composes them and reads the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, ValidationError, model_validator

from generator.behaviours.activity.section import Activity
from generator.behaviours.activity.section import check as check_activity
from generator.behaviours.actors.section import ActorKind, Relation
from generator.behaviours.actors.section import check as check_actors
from generator.behaviours.adoption.section import Adoption
from generator.behaviours.adoption.section import check as check_adoption
from generator.behaviours.arrivals.section import Arrivals
from generator.behaviours.arrivals.section import check as check_arrivals
from generator.behaviours.churn.section import Churn
from generator.behaviours.events.section import Events, check_flows
from generator.behaviours.events.section import check as check_events
from generator.behaviours.experiments.section import Experiment
from generator.behaviours.experiments.section import check as check_experiments
from generator.behaviours.faults.section import Faults
from generator.behaviours.faults.section import check as check_faults
from generator.behaviours.funnels.section import Funnel
from generator.behaviours.funnels.section import check as check_funnels
from generator.behaviours.lifecycle.section import Lifecycle
from generator.behaviours.lifecycle.section import check as check_lifecycle
from generator.behaviours.llm.section import Llm
from generator.behaviours.llm.section import check as check_llm
from generator.behaviours.llm.section import features as llm_features
from generator.behaviours.marketing.section import Marketing
from generator.behaviours.marketing.section import check as check_marketing
from generator.behaviours.outcomes.section import Outcome
from generator.behaviours.outcomes.section import check as check_outcomes
from generator.behaviours.segments.section import Attribute, Segment
from generator.behaviours.segments.section import check as check_segments
from generator.behaviours.subscriptions.section import Subscriptions
from generator.behaviours.subscriptions.section import check as check_subscriptions
from generator.behaviours.values.section import EventValue
from generator.behaviours.values.section import check as check_values
from generator.section import (
    MAX_TIMEFRAME_DAYS,
    MAX_USERS,
    NAME_PATTERN,
    Date,
    Name,
    ScenarioError,
    Strict,
    at,
    present,
)

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 200_000  # YAML nodes once aliases are expanded
MAX_DEPTH = 24

__all__ = ["Scenario", "ScenarioError", "load_scenario", "parse_scenario", "present"]


class Scenario(Strict):
    name: Name
    description: Annotated[str, Field(max_length=10_000)] = ""
    start: Date
    end: Date
    users: Annotated[int, Field(gt=0, le=MAX_USERS)]
    arrivals: Arrivals
    segments: dict[Name, Segment] = Field(min_length=1, max_length=1000)
    attributes: dict[Name, Attribute]
    activity: Activity
    churn: Churn
    events: Events
    subscriptions: Subscriptions | None = None
    funnels: dict[Name, Funnel] = {}
    lifecycle: Lifecycle | None = None
    llm: Llm | None = None
    experiments: dict[Name, Experiment] = {}
    adoption: dict[Name, Adoption] = {}
    marketing: Marketing | None = None
    values: dict[Name, EventValue] = {}
    actors: dict[Name, ActorKind] = Field({}, max_length=100)
    relations: dict[Name, Relation] = Field({}, max_length=100)
    outcomes: dict[Name, Outcome] = Field({}, max_length=100)
    faults: Faults | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.end < self.start:
            raise at("end", f"must not be before start ({self.start})")
        if self.days > MAX_TIMEFRAME_DAYS:
            raise at(
                "end", f"the timeframe spans {self.days:,} days (at most {MAX_TIMEFRAME_DAYS:,})"
            )
        # each behaviour checks its section against the sections it refers to
        check_segments(self)
        check_arrivals(self)
        check_events(self)
        if self.subscriptions is not None:
            check_subscriptions(self)
        check_funnels(self)
        check_flows(self)
        check_lifecycle(self)
        check_llm(self)
        check_marketing(self)
        check_experiments(self)
        check_adoption(self)
        check_activity(self)
        check_values(self)
        check_actors(self)
        check_outcomes(self)
        check_faults(self)
        return self

    # -- derived views the behaviours share ------------------------------------------------
    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def segment_names(self) -> list[str]:
        return list(self.segments)

    def event_names(self) -> list[str]:
        return list(self.events.catalog)

    def stage_names(self) -> list[str | None]:
        """Lifecycle stages in order; one unnamed stage when there is no lifecycle."""
        return list(self.lifecycle.stages) if self.lifecycle is not None else [None]

    def transitions_for(
        self, segment: str, stage: str | None = None, adopted: tuple[str, ...] = ()
    ) -> dict[str, dict]:
        """Event-chain rows: the base, then the segment's, then the lifecycle stage's,
        then those of each adopted feature."""
        stage_rows = present(self.lifecycle).stages[stage].transitions if stage is not None else {}
        rows = {
            **self.events.transitions,
            **self.events.segment_transitions.get(segment, {}),
            **stage_rows,
        }
        for feature in adopted:
            rows.update(self.adoption[feature].transitions)
        return rows

    def llm_features(self) -> list[str]:
        """Features of the request events, in first-seen order."""
        return llm_features(self)

    def funnel_events(self) -> list[str]:
        """Events only funnels log, in a fixed order (after the catalogue's)."""
        return [e for f in self.funnels.values() for e in self.own_events(f)]

    def billing_events(self) -> list[str]:
        """Events the billing system logs into the event stream, in a fixed order."""
        declared = self.subscriptions.billing_events if self.subscriptions else None
        if declared is None:
            return []
        return [e for e in (declared.renewal, declared.payment_failed, declared.cancellation) if e]

    def logged_events(self) -> list[str]:
        """Every event name raw.events can hold: the catalogue's, the funnels' own, then
        the billing system's (the codes the shards log)."""
        return [*self.event_names(), *self.funnel_events(), *self.billing_events()]

    def own_events(self, funnel: Funnel) -> list[str]:
        """The events a funnel logs itself (a signup funnel's first step is the signup)."""
        steps = funnel.steps if funnel.entry == "plan_conversion" else funnel.steps[1:]
        return [s.event for s in steps]


def _describe(error: Mapping[str, Any]) -> str:
    # a tagged union's tag ("<numeric>") is not a key of the file: leave it out
    path = ".".join(str(p) for p in error["loc"] if not str(p).startswith("<")) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{path}: unknown key"
    if kind == "missing":
        return f"{path}: required key is missing"
    msg = error["msg"].removeprefix("Value error, ")
    got = repr(error.get("input"))
    got = got if len(got) <= 40 else got[:37] + "..."
    if kind == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == NAME_PATTERN:
        return f"{path}: a name takes letters, digits and _ . - only (got {got})"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return f"{path}: {msg} (got {got})"
    return f"{path}: {msg}"


def parse_scenario(data: object, users: int | None = None) -> Scenario:
    """Validate a parsed YAML document as written; `users` then overrides its user count."""
    if not isinstance(data, dict):
        raise ScenarioError("(top level): must be a mapping of keys")
    scenario = _validate(data)
    if users is None:
        return scenario
    if not 1 <= users <= MAX_USERS:
        raise ScenarioError(f"users: must be between 1 and {MAX_USERS:,} (got {users:,})")
    return scenario.model_copy(update={"users": users})


def _validate(data: dict) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except RecursionError:
        raise ScenarioError("(top level): nested too deeply") from None
    except ValidationError as exc:
        errors = exc.errors()
        # A misspelt key also makes the real one "missing": name the misspelling first.
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        if first["type"] == "value_error" and isinstance(
            first.get("ctx", {}).get("error"), ScenarioError
        ):
            raise first["ctx"]["error"] from None
        raise ScenarioError(_describe(first)) from None


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML that refuses a key given twice in one mapping (plain YAML keeps the last);
    parsed by libyaml where PyYAML has it, ten times faster than its Python parser."""

    def construct_mapping(self, node, deep=False):
        self.flatten_mapping(node)
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable: the base class names it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _shape(data: object) -> tuple[int, int]:
    """Nodes (aliases expanded) and depth of a parsed document, stopping once too big."""
    nodes, deepest = 0, 0
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack and nodes <= MAX_NODES:
        node, depth = stack.pop()
        nodes += 1
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return nodes, deepest


def read_scenario_file(path: str | Path) -> object:
    """The parsed YAML of a scenario file: a regular UTF-8 file of sensible size and shape,
    with no key given twice. Raises ScenarioError with one line on any problem."""
    path = Path(path)
    try:
        if not path.is_file():
            raise ScenarioError(
                f"{path}: " + ("not a regular file" if path.exists() else "no such file")
            )
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(f"{path}: {size:,} bytes; a scenario is at most {MAX_FILE_BYTES:,}")
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None)
        detail = f": {problem}" if isinstance(problem, str) and "twice" in problem else ""
        raise ScenarioError(f"{path}: not valid YAML{where}{detail}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: nested too deeply") from None
    nodes, depth = _shape(data)
    if depth > MAX_DEPTH:
        raise ScenarioError(f"{path}: nested too deeply ({depth} levels, at most {MAX_DEPTH})")
    if nodes > MAX_NODES:
        raise ScenarioError(f"{path}: more than {MAX_NODES:,} values once aliases are expanded")
    return data


def load_scenario(path: str | Path, users: int | None = None) -> Scenario:
    """Read and validate a scenario file; raises ScenarioError with one line on any problem."""
    return parse_scenario(read_scenario_file(path), users=users)
