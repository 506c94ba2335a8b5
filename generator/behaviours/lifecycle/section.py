"""The lifecycle section: a hidden stage machine over each user's life, each stage with
its length, its session-rate multiplier and its own event-chain rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from generator.section import (
    SESSION_END,
    GapDays,
    Multiplier,
    Name,
    Probability,
    Strict,
    at,
    check_chain_rows,
    check_share,
    states_without_exit,
)

if TYPE_CHECKING:
    from generator.scenario import Scenario


class LifecycleStage(Strict):
    days: GapDays | None = Field(
        None, description="log-normal time in the stage, whole days (needed unless terminal)"
    )
    activity: Multiplier = Field(1.0, description="multiplier on the session rate")
    next: dict[Name, Probability] = Field(
        {}, description="chances of the stage that follows; none: the user stays for good"
    )
    transitions: dict[Name, dict[Name, Probability]] = Field(
        {}, description="event-chain rows that replace the segment's while in the stage"
    )


class Lifecycle(Strict):
    """A hidden stage machine over each user's life from signup: a stage lasts a drawn
    number of whole days (changing at midnight), scales the session rate and may change
    the event mix; then the next stage is drawn. A stage without `next` is an exit."""

    initial: Name
    stages: dict[Name, LifecycleStage] = Field(min_length=1)


def check(world: Scenario) -> None:
    life = world.lifecycle
    if life is None:
        return
    if life.initial not in life.stages:
        raise at("lifecycle.initial", f"unknown stage '{life.initial}'")
    known = set(world.events.catalog)
    for name, stage in life.stages.items():
        base = f"lifecycle.stages.{name}"
        for target in stage.next:
            if target not in life.stages:
                raise at(f"{base}.next.{target}", "unknown stage")
        if stage.next:
            check_share(f"{base}.next", stage.next)
            if stage.days is None:
                raise at(f"{base}.days", "required for a stage with next stages")
        check_chain_rows(f"{base}.transitions", stage.transitions, known)
        for seg in world.segments:
            stuck = states_without_exit(world.transitions_for(seg, name), {SESSION_END})
            if stuck:
                raise at(f"{base}.transitions", f"no path to '{SESSION_END}' from {stuck}")
    exits = {name for name, stage in life.stages.items() if not stage.next}
    stuck = states_without_exit({k: v.next for k, v in life.stages.items()}, exits)
    if stuck:
        raise at("lifecycle.stages", f"a cycle with no exit: no path to an exit from {stuck}")
