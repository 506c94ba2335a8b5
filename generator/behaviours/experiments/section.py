"""The experiments section: who is eligible, the variants and their weights, the planted
effect of each variant on a behaviour (with segment lifts and novelty), and lost
exposure logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from generator.behaviours.funnels.section import check_conversion_lift
from generator.behaviours.marketing.section import multiplier as marketing_multiplier
from generator.section import Date, Days, Lift, Name, Probability, Strict, at, check_share

if TYPE_CHECKING:
    from generator.scenario import Scenario


# Behaviours an experiment can change, each a relative lift on a planted rate.
BEHAVIOURS = ("session_rate", "plan_conversion", "funnel_step", "answer_rating")


# Metric windows in whole days after the exposure day (the exposure day holds the
# exposure itself and is left out); dbt's experiment_windows var holds the same.
WINDOWS: dict[str, int] = {
    "pre_days": 14,  # the covariate: sessions in the days before exposure
    "sessions_days": 14,
    "retention_day": 7,
    "conversion_days": 28,  # conversion, revenue and activity for revenue per active user
}
# A variant stays with its users until the last window of the last exposure closes.
WINDOW_DAYS = max(WINDOWS.values())


class Novelty(Strict):
    lift: Lift = Field(description="extra relative lift on the day after exposure")
    half_life_days: Days = Field(description="days for the extra lift to halve")


class Effect(Strict):
    """A relative lift on a behaviour for users in the variant, from the day after their
    exposure; a segment may have its own lift, and a novelty part fades away."""

    lift: Lift
    segments: dict[Name, Lift] = Field(
        {}, description="lift for these hidden segments instead of `lift`"
    )
    novelty: Novelty | None = None
    step: Name | None = Field(
        None, description="funnel_step only: 'funnel.event', a signup funnel's later step"
    )


class Eligibility(Strict):
    new_users: bool = Field(False, description="only users who sign up while it runs")
    role: Name | None = Field(None, description="only users with this role")


class Experiment(Strict):
    """Users are exposed at their first session while the experiment runs (a new user at
    signup) and assigned a variant by weight; the others are compared with the control.
    The variant stays with the user until the experiment's last metric window closes. An
    SDK that loses some variants' exposure logs plants a sample-ratio mismatch."""

    start: Date
    end: Date
    eligible: Eligibility = Eligibility()
    control: Name = Field("control", description="the variant the others are compared with")
    variants: dict[Name, Probability] = Field(
        min_length=2, max_length=100, description="planned weights"
    )
    effects: dict[Name, dict[Name, Effect]] = Field(
        {}, description="per variant, per behaviour: the planted effect"
    )
    lost_exposures: dict[Name, Probability] = Field(
        {}, description="per variant, the share of users whose exposures are never logged"
    )

    @model_validator(mode="before")
    @classmethod
    def _control_first(cls, data: object) -> object:
        """Variants are kept with the control first (whatever order the file has)."""
        if isinstance(data, dict) and isinstance(data.get("variants"), dict):
            control = data.get("control", "control")
            variants = data["variants"]
            if control in variants:
                data = {
                    **data,
                    "variants": {control: variants[control]}
                    | {k: v for k, v in variants.items() if k != control},
                }
        return data


def check(world: Scenario) -> None:
    for name, experiment in world.experiments.items():
        _check_experiment(world, f"experiments.{name}", experiment)


def _check_experiment(world: Scenario, base: str, exp: Experiment) -> None:
    if exp.end < exp.start:
        raise at(f"{base}.end", f"must not be before its start ({exp.start})")
    if not world.start <= exp.start <= world.end:
        raise at(f"{base}.start", f"lies outside the timeframe {world.start}..{world.end}")
    if (world.end - exp.end).days < WINDOW_DAYS:
        raise at(
            f"{base}.end",
            f"must leave {WINDOW_DAYS} days before {world.end} for the metric "
            "windows (lies outside the timeframe)",
        )
    check_share(f"{base}.variants", exp.variants)
    roles = {seg.role for seg in world.segments.values()}
    if exp.eligible.role is not None and exp.eligible.role not in roles:
        raise at(f"{base}.eligible.role", f"unknown role '{exp.eligible.role}'")
    if exp.control not in exp.variants:
        raise at(f"{base}.control", f"'{exp.control}' is not one of the variants")
    control = exp.control
    for part in ("effects", "lost_exposures"):
        for variant in getattr(exp, part):
            if variant not in exp.variants:
                raise at(f"{base}.{part}.{variant}", "unknown variant")
    for variant, effects in exp.effects.items():
        if variant == control:
            raise at(f"{base}.effects.{variant}", "the control has no effect")
        for behaviour, effect in effects.items():
            path = f"{base}.effects.{variant}.{behaviour}"
            if behaviour not in BEHAVIOURS:
                raise at(path, f"unknown behaviour (known: {', '.join(BEHAVIOURS)})")
            if behaviour == "plan_conversion" and world.subscriptions is None:
                raise at(path, "plan_conversion needs a subscriptions block")
            if behaviour == "answer_rating" and world.llm is None:
                raise at(path, "answer_rating needs an llm block")
            for seg in effect.segments:
                if seg not in world.segments:
                    raise at(f"{path}.segments.{seg}", "unknown segment")
            strongest = 1 + max([effect.lift, *effect.segments.values()])
            weakest = 1 + min([effect.lift, *effect.segments.values()])
            if effect.novelty is not None:
                strongest += max(effect.novelty.lift, 0.0)
                weakest += min(effect.novelty.lift, 0.0)
            if weakest <= 0:
                raise at(path, "lift and novelty together must stay above -1")
            if behaviour == "funnel_step":
                _check_funnel_step(world, path, effect)
            elif effect.step is not None:
                raise at(f"{path}.step", "only a funnel_step effect names a step")
            if behaviour == "plan_conversion":
                check_conversion_lift(world, path, strongest * marketing_multiplier(world))


def _check_funnel_step(world: Scenario, path: str, effect: Effect) -> None:
    if effect.step is None:
        raise at(f"{path}.step", "required key is missing")
    name, _, event = effect.step.partition(".")
    funnel = world.funnels.get(name)
    if funnel is None or funnel.entry != "signup":
        raise at(f"{path}.step", f"'{name}' is not a signup funnel")
    if event not in [s.event for s in funnel.steps[1:]]:
        raise at(f"{path}.step", f"'{event}' is not a later step of '{name}'")
    if effect.novelty is not None:
        raise at(f"{path}.novelty", "a funnel step's effect does not fade")
