"""The marketing section: paid channels with their spend, trend, seasonality and
campaigns, how often they touch users, and how touches move plan decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from generator.behaviours.funnels.section import check_conversion_lift
from generator.section import MONTHS, GapDays, Multiplier, Name, PerYear, Sigma, Strict, at

if TYPE_CHECKING:
    from generator.scenario import Scenario


class Channel(Strict):
    daily_spend: Annotated[float, Field(ge=0.0, le=1e7)] = Field(
        description="spend a day at the start, in currency units"
    )
    trend_per_year: PerYear = Field(0.0, description="continuous growth of the spend per year")
    month_seasonality: dict[Literal[MONTHS], Multiplier] = Field(  # type: ignore[valid-type]
        {}, description="spend multiplier by month (1 when not given)"
    )
    touches_per_user_day: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        description="touches a user receives a day at the starting spend (scales with spend)"
    )
    strength: Multiplier = Field(description="how much one touch moves a plan decision")
    campaigns: list[Name] = Field([], description="campaigns sharing the spend and touches")
    noise: Sigma = Field(0.0, description="log sd of a day's spend around its plan")
    budget: Budget | None = Field(None, description="budget revisions at a fixed cadence")
    flights: Flights | None = Field(None, description="campaigns run in flights, on and off")


class Budget(Strict):
    """The budget is revised every `every_days`: the spend moves by a log-normal factor
    (log sd `sigma`) that holds until the next revision, and the campaigns' shares of it
    are drawn anew."""

    every_days: Annotated[int, Field(ge=7, le=366)] = 91
    sigma: Sigma = 0.2


class Flights(Strict):
    """Each campaign alternates between running and pausing for log-normal spells of days;
    a paused campaign's share of the budget goes to the channel's running ones (none
    running: the channel spends nothing that day)."""

    on_days: GapDays
    off_days: GapDays


class Acquisition(Strict):
    """Paid channels also reach people before they sign up: a user whose `attribute` (the
    acquisition channel) names a channel saw its impressions in the `lookback_days` before
    signing up (Poisson, `impressions` on average) and clicked one of its ads minutes
    before the signup (a log-normal delay, `click_minutes`)."""

    attribute: Name
    impressions: Annotated[float, Field(ge=0.0, le=100.0)] = 3.0
    lookback_days: Annotated[float, Field(gt=0.0, le=90.0)] = 14.0
    click_minutes: GapDays = GapDays(median=4.0, sigma=1.0)


class Marketing(Strict):
    """Paid channels touch users (ads, emails) at a rate proportional to each channel's
    spend while they use the product, and, with `acquisition`, before they sign up. In a
    session on a plan paying nothing, the chance of moving to a paid plan is multiplied by
    1 + response x (1 - e^-s), s the strengths of the touches of the window before: rising
    with touches and saturating."""

    window_days: Annotated[float, Field(gt=0.0, le=365.0)] = 30
    response: Multiplier = Field(description="most the conversion chance can rise (relative)")
    channels: dict[Name, Channel] = Field(min_length=1)
    acquisition: Acquisition | None = None


def multiplier(world: Scenario) -> float:
    """The most marketing multiplies a plan conversion chance by."""
    return 1.0 + (world.marketing.response if world.marketing is not None else 0.0)


def check(world: Scenario) -> None:
    if world.marketing is None:
        return
    if world.subscriptions is None:
        raise at("marketing", "needs a subscriptions block (touches move plan decisions)")
    check_conversion_lift(world, "marketing.response", multiplier(world))
    acquisition = world.marketing.acquisition
    if acquisition is not None:
        attr = world.attributes.get(acquisition.attribute)
        values = getattr(attr, "values", None)
        if values is None:
            raise at("marketing.acquisition.attribute", "not a categorical attribute of the users")
        if not set(values) & set(world.marketing.channels):
            raise at(
                "marketing.acquisition.attribute",
                f"none of its values names a channel ({', '.join(world.marketing.channels)})",
            )
