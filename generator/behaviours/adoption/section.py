"""The adoption section: feature launches that spread by Bass diffusion, each with the
event that marks adopting it and the event-chain rows an adopter walks from then on."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from generator.section import (
    MAX_DAYS,
    MAX_PER_YEAR,
    SESSION_END,
    Date,
    GapDays,
    Name,
    Probability,
    Strict,
    at,
    check_chain_rows,
    states_without_exit,
)

if TYPE_CHECKING:
    from generator.scenario import Scenario


MAX_ADOPTED_FEATURES = 4  # each doubles the event chains


# Rogers' adopter categories: adoption times are normal around their mean, and a category
# is a band of standard deviations (innovators before -2, laggards from +1).
ADOPTER_CATEGORIES = {
    "innovators": (-math.inf, -2.0),
    "early_adopters": (-2.0, -1.0),
    "early_majority": (-1.0, 0.0),
    "late_majority": (0.0, 1.0),
    "laggards": (1.0, math.inf),
}


class AdopterCategories(Strict):
    """Rogers' diffusion of innovations: a would-be adopter's time after the launch is
    normal with this mean and standard deviation, which places them in a category
    (innovators more than 2 sd early, early adopters 1-2 sd early, the early and late
    majority within 1 sd, laggards more than 1 sd late)."""

    mean_days: Annotated[float, Field(gt=0.0, le=MAX_DAYS)]
    sd_days: Annotated[float, Field(gt=0.0, le=MAX_DAYS)]


class Adoption(Strict):
    """A feature launch. Users who would ever adopt (the market share) adopt at a time
    drawn since the launch from a Bass diffusion (innovation p and imitation q per day) or
    from Rogers' adopter categories (`categories`); one who signs up after that time adopts
    a log-normal number of days after signing up (`after_signup`, its tail cut at
    median x e^(3 sigma)); one who is not using the product when the time comes (churned,
    not back) never does. Adopting is the feature's own
    event, logged as a one-event session; from then on the feature's event-chain rows join
    the user's (after the segment's and stage's)."""

    launch: Date
    innovation: Annotated[float, Field(gt=0.0, le=1.0)] | None = Field(
        None, description="Bass p: adoption from outside, per day"
    )
    imitation: Annotated[float, Field(ge=0.0, le=MAX_PER_YEAR)] | None = Field(
        None, description="Bass q: adoption by imitation, per day"
    )
    categories: AdopterCategories | None = None
    market: Probability = Field(description="share of users who would ever adopt")
    event: Name = Field(description="the adoption event (an event with this feature)")
    transitions: dict[Name, dict[Name, Probability]] = Field(
        {}, description="event-chain rows that replace the user's once adopted"
    )
    after_signup: GapDays = Field(
        GapDays(median=2.0, sigma=1.2),
        description="days a user whose time came before they signed up takes to adopt",
    )

    @model_validator(mode="after")
    def _one_diffusion(self) -> Adoption:
        bass = self.innovation is not None and self.imitation is not None
        partial = (self.innovation is None) != (self.imitation is None)
        if partial or bass == (self.categories is not None):
            raise ValueError(
                "give a Bass diffusion (innovation and imitation) or adopter categories, not both"
            )
        if self.categories is not None and self.categories.mean_days < 3 * self.categories.sd_days:
            raise ValueError(
                "categories: mean_days must be at least 3 sd_days, so hardly anyone's time "
                "falls before the launch"
            )
        return self


def check(world: Scenario) -> None:
    if len(world.adoption) > MAX_ADOPTED_FEATURES:
        raise at("adoption", f"at most {MAX_ADOPTED_FEATURES} feature launches")
    known = set(world.events.catalog)
    for name, launch in world.adoption.items():
        base = f"adoption.{name}"
        if not world.start <= launch.launch <= world.end:
            raise at(f"{base}.launch", f"lies outside the timeframe {world.start}..{world.end}")
        if launch.event not in known:
            raise at(f"{base}.event", f"unknown event '{launch.event}'")
        if world.events.catalog[launch.event].feature is None:
            raise at(f"{base}.event", f"event '{launch.event}' has no feature")
        check_chain_rows(f"{base}.transitions", launch.transitions, known)
    for seg in world.segments:
        for stage in world.stage_names():
            stuck = states_without_exit(
                world.transitions_for(seg, stage, tuple(world.adoption)), {SESSION_END}
            )
            if stuck:
                raise at("adoption", f"no path to '{SESSION_END}' from {stuck}")
