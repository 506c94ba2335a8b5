"""The actors section: kinds of actors besides the users (doctors, teachers, shops), each
with its own arrivals, observable attributes and hidden traits; and the relations that tie
each user to one actor of a kind at signup (a patient to a doctor), with panel sizes that
vary from actor to actor and traits that act on the users' behaviour."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from generator.behaviours.actors.tables import RESERVED_ACTOR_COLUMNS
from generator.section import (
    Name,
    PerYear,
    Probability,
    Sigma,
    Strict,
    at,
    check_share,
    sql_keywords,
)

if TYPE_CHECKING:
    from generator.scenario import Scenario

MAX_ACTORS = 1_000_000


class Joining(Strict):
    at_start: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        description="share of the actors already on the platform on the first day"
    )
    trend_per_year: PerYear = Field(
        0.0, description="log growth per year of the rate at which the others join"
    )


class ActorAttribute(Strict):
    values: list[Name] = Field(min_length=1, max_length=1000)
    shares: list[Probability]


class ActorKind(Strict):
    count: Annotated[int, Field(ge=0, le=MAX_ACTORS)]
    joining: Joining
    attributes: dict[Name, ActorAttribute] = {}
    traits: dict[Name, Sigma] = Field(
        {}, description="hidden traits: each actor's is log-normal with mean 1 and this log sd"
    )


class Relation(Strict):
    """Each user is assigned at signup to one actor of the parent kind already on the
    platform, chosen in proportion to the actor's pull (log-normal, mean 1)."""

    parent: Name
    panel_sigma: Sigma = Field(description="log sd of the actors' pull: how unequal panels are")
    effects: dict[Literal["activity"], Name] = Field(
        {}, description="a trait of the parent that multiplies the users' behaviour"
    )


def check(world: Scenario) -> None:
    for kind, spec in world.actors.items():
        base = f"actors.{kind}"
        for name, attr in spec.attributes.items():
            path = f"{base}.attributes.{name}"
            if name in RESERVED_ACTOR_COLUMNS or name.lower() in sql_keywords():
                raise at(path, "this name is taken by a column of raw.actors or by SQL")
            if len(attr.shares) != len(attr.values):
                raise at(f"{path}.shares", f"needs one share per value ({len(attr.values)})")
            check_share(f"{path}.shares", attr.shares)
    for name, rel in world.relations.items():
        path = f"relations.{name}"
        if rel.parent not in world.actors:
            raise at(f"{path}.parent", f"unknown actor kind '{rel.parent}'")
        if world.actors[rel.parent].count == 0:
            raise at(f"{path}.parent", f"actor kind '{rel.parent}' has no actors (count is 0)")
        traits = world.actors[rel.parent].traits
        for target, trait in rel.effects.items():
            if trait not in traits:
                raise at(f"{path}.effects.{target}", f"'{rel.parent}' has no trait named '{trait}'")
