"""The experiments section: who is eligible, the variants and their weights, the planted
effect of each variant on a behaviour (with segment lifts and novelty), and lost
exposure logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from generator.behaviours.funnels.section import check_conversion_lift
from generator.behaviours.marketing.section import multiplier as marketing_multiplier
from generator.section import (
    SESSION_END,
    Date,
    Days,
    Lift,
    Name,
    Probability,
    Strict,
    at,
    check_share,
)

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


class ExtraSteps(Strict):
    """Steps inserted after an event: the event now leads to the first, each to the next,
    and the last to where the event led; a user leaves at each step with `drop_off`."""

    after: Name
    steps: list[Name] = Field(min_length=1, max_length=20)
    drop_off: Probability


class Friction(Strict):
    """A step made harder: of the moves to `event`, the share `factor` ends the session."""

    event: Name
    factor: Probability


class SetTransition(Strict):
    """The chance that `event` leads to `next`, the row's other chances scaled to fit."""

    event: Name
    next: Name
    probability: Probability


class RemoveFeature(Strict):
    """A feature taken out: its events never happen; the moves to them go where the row's
    other moves go, in their proportions."""

    feature: Name


class ChainChange(Strict):
    """One change to the product's event chain: exactly one of the keys."""

    extra_steps: ExtraSteps | None = None
    friction: Friction | None = None
    transition: SetTransition | None = None
    remove_feature: RemoveFeature | None = None

    @model_validator(mode="after")
    def _one(self) -> ChainChange:
        given = [k for k in CHANGES if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(CHANGES)}")
        return self


CHANGES = ("extra_steps", "friction", "transition", "remove_feature")


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
    changes: dict[Name, list[ChainChange]] = Field(
        {},
        description="per variant, changes to the event chain its users walk from the "
        "exposure session on (a product change tried before it ships)",
    )
    goal: Name | None = Field(
        None, description="an event whose reach in a session the experiment measures"
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
    for part in ("effects", "lost_exposures", "changes"):
        for variant in getattr(exp, part):
            if variant not in exp.variants:
                raise at(f"{base}.{part}.{variant}", "unknown variant")
    known = set(world.events.catalog)
    if exp.goal is not None and exp.goal not in known:
        raise at(f"{base}.goal", f"unknown event '{exp.goal}'")
    if exp.goal is not None and exp.goal in {a.event for a in world.adoption.values()}:
        raise at(f"{base}.goal", "an adoption logs this event too: choose another goal")
    if any(exp.changes.values()):
        if exp.goal is None:
            raise at(f"{base}.goal", "an experiment that changes the chain needs a goal event")
        if any("session_rate" in effects for effects in exp.effects.values()):
            raise at(
                f"{base}.effects",
                "an experiment that changes the chain cannot also lift the session rate",
            )
    for variant, changes in exp.changes.items():
        if variant == control:
            raise at(f"{base}.changes.{variant}", "the control has no change")
        for i, change in enumerate(changes):
            _check_change(world, f"{base}.changes.{variant}.{i}", change)
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


def _check_change(world: Scenario, path: str, change: ChainChange) -> None:
    """Every event a change names is in the catalogue; a change cannot take away the
    events that open sessions or sign users up."""
    known = set(world.events.catalog)
    opening = {world.events.session_start, world.events.signup}
    if change.extra_steps is not None:
        step = change.extra_steps
        for key, event in [
            ("after", step.after),
            *[(f"steps.{i}", e) for i, e in enumerate(step.steps)],
        ]:
            if event not in known:
                raise at(f"{path}.extra_steps.{key}", f"unknown event '{event}'")
        if step.after in step.steps or len(set(step.steps)) < len(step.steps):
            raise at(f"{path}.extra_steps.steps", "each step must be a new, different event")
    if change.friction is not None and change.friction.event not in known:
        raise at(f"{path}.friction.event", f"unknown event '{change.friction.event}'")
    if change.transition is not None:
        t = change.transition
        if t.event not in known:
            raise at(f"{path}.transition.event", f"unknown event '{t.event}'")
        if t.next != SESSION_END and t.next not in known:
            raise at(f"{path}.transition.next", f"unknown event '{t.next}'")
    if change.remove_feature is not None:
        feature = change.remove_feature.feature
        events = {n for n, e in world.events.catalog.items() if e.feature == feature}
        if not events:
            raise at(f"{path}.remove_feature.feature", f"no event has feature '{feature}'")
        if events & opening:
            raise at(
                f"{path}.remove_feature.feature",
                "its events open sessions or sign users up (they cannot be removed)",
            )


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
