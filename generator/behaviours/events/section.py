"""The events section: the event catalogue (each event's feature and the gap before it),
the events that open a session and sign a user up, the event chain each session walks
(by segment), and the flows worth reporting as funnels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from generator.section import (
    SESSION_END,
    Days,
    Name,
    Probability,
    Sigma,
    Strict,
    at,
    check_chain_rows,
    states_without_exit,
)

if TYPE_CHECKING:
    from generator.scenario import Scenario


class GapSeconds(Strict):
    median: Annotated[float, Field(gt=0.0, le=86_400.0)]
    sigma: Sigma


class EventType(Strict):
    feature: Name | None = None
    gap_seconds: GapSeconds


class Flow(Strict):
    """A path through the event chain worth reporting as a funnel (nothing is planted on
    it: its rates follow from the chain)."""

    steps: list[Name] = Field(min_length=2, max_length=100)
    window_days: Days = 1.0


class Events(Strict):
    session_start: Name
    signup: Name
    catalog: dict[Name, EventType] = Field(min_length=1, max_length=1000)
    transitions: dict[Name, dict[Name, Probability]]
    segment_transitions: dict[Name, dict[Name, dict[Name, Probability]]] = {}
    flows: dict[Name, Flow] = Field(
        {}, description="funnels the tracking plan reports besides the planted ones"
    )


def check(world: Scenario) -> None:
    ev = world.events
    known = set(ev.catalog)
    if SESSION_END in known:
        raise at(f"events.catalog.{SESSION_END}", "is reserved for the end of a session")
    for key in ("session_start", "signup"):
        if getattr(ev, key) not in known:
            raise at(f"events.{key}", f"unknown event '{getattr(ev, key)}'")
    for seg in ev.segment_transitions:
        if seg not in world.segments:
            raise at(f"events.segment_transitions.{seg}", "unknown segment")
    tables = {"events.transitions": ev.transitions}
    tables.update({f"events.segment_transitions.{s}": t for s, t in ev.segment_transitions.items()})
    for base, table in tables.items():
        check_chain_rows(base, table, known)
    for state in known:
        if state not in ev.transitions:
            raise at("events.transitions", f"missing a row for event '{state}'")
    for seg in world.segments:
        stuck = states_without_exit(world.transitions_for(seg), {SESSION_END})
        if stuck:
            raise at("events.transitions", f"no path to '{SESSION_END}' from {stuck}")


def check_flows(world: Scenario) -> None:
    """A flow walks events the world logs (its own or its funnels'), under its own name."""
    logged = set(world.logged_events())
    for name, flow in world.events.flows.items():
        if name in world.funnels:
            raise at(f"events.flows.{name}", "a planted funnel has this name")
        for i, event in enumerate(flow.steps):
            if event not in logged:
                raise at(f"events.flows.{name}.steps.{i}", f"unknown event '{event}'")
