"""The marketing section: paid channels with their spend, trend, seasonality and
campaigns, how often they touch users, and how touches move plan decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from generator.behaviours.funnels.section import check_conversion_lift
from generator.section import MONTHS, Multiplier, Name, PerYear, Strict, at

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


class Marketing(Strict):
    """Paid channels touch users (ads, emails) at a rate proportional to each channel's
    spend while they use the product. At a monthly plan decision on the free plan, the
    chance of converting to a paid plan is multiplied by 1 + response x (1 - e^-s), s the
    strengths of the touches of the window before: rising with touches and saturating."""

    window_days: Annotated[float, Field(gt=0.0, le=365.0)] = 30
    response: Multiplier = Field(description="most the conversion chance can rise (relative)")
    channels: dict[Name, Channel] = Field(min_length=1)


def multiplier(world: Scenario) -> float:
    """The most marketing multiplies a plan conversion chance by."""
    return 1.0 + (world.marketing.response if world.marketing is not None else 0.0)


def check(world: Scenario) -> None:
    if world.marketing is None:
        return
    if world.subscriptions is None:
        raise at("marketing", "needs a subscriptions block (touches move plan decisions)")
    check_conversion_lift(world, "marketing.response", multiplier(world))
