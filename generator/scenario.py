"""The scenario file: its typed schema, its validation and its loading.

A scenario is one YAML file describing a world. Every number the simulator plants comes
from here, so every check on a number lives here too: a bad scenario stops the run
before anything is written, with one line naming the key path and the reason.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
SESSION_END = "end"
SHARE_TOLERANCE = 1e-6
DEFAULT_FUNNEL_WINDOW_DAYS = 14  # the funnel() macro's default too
# Behaviours an experiment can change, each a relative lift on a planted rate.
EXPERIMENT_BEHAVIOURS = ("session_rate", "plan_conversion", "funnel_step", "answer_rating")
MAX_ADOPTED_FEATURES = 4  # each doubles the event chains

# Upper bounds: every number must be finite and within what a product could plant and
# one machine can simulate; a value outside gets one line naming its key.
MAX_USERS = 50_000_000
EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(2199, 12, 31)
MAX_TIMEFRAME_DAYS = 7305  # 20 years
MAX_SESSIONS_PER_USER = 50_000  # at the peak planted rates over the whole timeframe
MAX_MULTIPLIER = 100.0
MAX_WEIGHT = 1e6  # relative weights, normalised where they are used
MAX_SIGMA = 2.0  # a log-normal spread of 2 already spans e^(+-12) at six sigma
MAX_DAYS = 3650.0
MAX_PER_YEAR = 10.0  # continuous growth or trend per year (e^10 a year)
MAX_NAME_LENGTH = 64
MAX_FILE_BYTES = 1_000_000
MAX_NODES = 200_000  # YAML nodes once aliases are expanded
MAX_DEPTH = 24

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Multiplier = Annotated[float, Field(ge=0.0, le=MAX_MULTIPLIER)]
PositiveMultiplier = Annotated[float, Field(gt=0.0, le=MAX_MULTIPLIER)]
Weight = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)]
Sigma = Annotated[float, Field(ge=0.0, le=MAX_SIGMA)]
Days = Annotated[float, Field(gt=0.0, le=MAX_DAYS)]
PerYear = Annotated[float, Field(ge=-MAX_PER_YEAR, le=MAX_PER_YEAR)]
Lift = Annotated[float, Field(gt=-1.0, le=MAX_MULTIPLIER)]
# Names end up as values in raw tables, in dbt vars and in SQL literals: letters, digits
# and _ . - only.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=MAX_NAME_LENGTH)]


def _date(value: object) -> object:
    """A calendar date, written as one (2024-03-01) or as its ISO string; not a time, a
    number or anything else."""
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a time")
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a date (YYYY-MM-DD)") from None
    if not isinstance(value, dt.date):
        raise ValueError("must be a date (YYYY-MM-DD)")
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must lie between {EARLIEST} and {LATEST}")
    return value


Date = Annotated[dt.date, BeforeValidator(_date)]


class ScenarioError(ValueError):
    """A scenario that cannot be simulated; the message is one line naming the key path."""


SectionT = TypeVar("SectionT")


def present(section: SectionT | None) -> SectionT:
    """An optional part of the scenario, for code that runs only when the scenario has it
    (each dynamic is simulated only for the sections present, and validation makes sure
    the parts a section needs are there)."""
    if section is None:
        raise ScenarioError("a dynamic ran without a part of the scenario it needs")
    return section


class Strict(BaseModel):
    # strict: no `true` read as 1, no number read as a name; no inf or nan anywhere
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class ExponentialGrowth(Strict):
    kind: Literal["exponential"]
    annual_rate: PerYear = Field(description="continuous growth rate of daily signups per year")


class LogisticGrowth(Strict):
    kind: Literal["logistic"]
    midpoint: Date = Field(description="date at which signups reach half their ceiling")
    steepness_per_year: Annotated[float, Field(gt=0.0, le=365.0)]


class Anomaly(Strict):
    name: Name
    date: Date
    signups: Multiplier = Field(1.0, description="multiplier on that day's signups")
    activity: Multiplier = Field(1.0, description="multiplier on that day's session rate")


class Seasonal(Strict):
    """Relative weights by weekday and by calendar month (normalised to mean 1 when used)."""

    weekday_weights: dict[Literal[WEEKDAYS], Weight]  # type: ignore[valid-type]
    month_seasonality: dict[Literal[MONTHS], Weight]  # type: ignore[valid-type]

    @field_validator("weekday_weights")
    @classmethod
    def _all_weekdays(cls, v: dict[str, float]) -> dict[str, float]:
        missing = [d for d in WEEKDAYS if d not in v]
        if missing:
            raise ValueError(f"missing weekdays {missing}")
        if sum(v.values()) <= 0:
            raise ValueError("at least one weekday needs a positive weight")
        return v

    @field_validator("month_seasonality")
    @classmethod
    def _all_months(cls, v: dict[str, float]) -> dict[str, float]:
        missing = [m for m in MONTHS if m not in v]
        if missing:
            raise ValueError(f"missing months {missing}")
        if sum(v.values()) <= 0:
            raise ValueError("at least one month needs a positive weight")
        return v


class Arrivals(Seasonal):
    growth: Annotated[ExponentialGrowth | LogisticGrowth, Field(discriminator="kind")]
    hour_weights: list[Weight] = Field(min_length=24, max_length=24)
    anomalies: list[Anomaly] = []

    @field_validator("hour_weights")
    @classmethod
    def _some_hour(cls, v: list[float]) -> list[float]:
        if sum(v) <= 0:
            raise ValueError("at least one hour needs a positive weight")
        return v


class Segment(Strict):
    share: Probability
    role: Name
    activity: Multiplier = Field(description="multiplier on the session rate")
    session_depth: PositiveMultiplier = Field(description="multiplier on events per session")
    churn: Multiplier = Field(description="multiplier on the churn hazard")
    reengagement: Probability = Field(description="probability a churned user comes back once")


class Attribute(Strict):
    values: list[Name] = Field(min_length=1, max_length=1000)
    shares: dict[Name, list[Probability]] = Field(description="per segment, one share per value")


class AgeDecay(Strict):
    unit: Literal["day", "week", "month"]
    curve: list[Multiplier] = Field(min_length=1, max_length=1000)


class Activity(Seasonal):
    sessions_per_day: Annotated[float, Field(ge=0.0, le=MAX_MULTIPLIER)]
    heterogeneity_shape: Annotated[float, Field(ge=0.1, le=1e4)] = Field(
        description="gamma shape of each user's own multiplier (mean 1); larger is more alike"
    )
    age_decay: AgeDecay
    cohort_trend_per_year: PerYear = Field(
        description="log change of a cohort's baseline session rate per year of signup"
    )


class GapDays(Strict):
    median: Days
    sigma: Sigma


class Churn(Strict):
    monthly_probability: Probability
    reengagement_gap_days: GapDays


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


class Plan(Strict):
    price: Annotated[float, Field(ge=0.0, le=1e6)] = Field(
        description="list price per billing interval, in currency units"
    )
    interval: Literal["month", "year"]


class SubscriptionMultipliers(Strict):
    upgrade: Multiplier = Field(1.0, description="on moves to a later (higher) plan")
    churn: Multiplier = Field(1.0, description="on moves from a paid plan to the first plan")


class Hours(Strict):
    median: Annotated[float, Field(gt=0.0, le=24 * MAX_DAYS)]
    sigma: Sigma


class FunnelStep(Strict):
    event: Name
    rate: Probability = Field(1.0, description="chance of this step given the previous one")
    hours: Hours | None = Field(None, description="log-normal delay after the previous step")


class Funnel(Strict):
    """Ordered steps, each reached with its rate (times the segment's multiplier, capped at
    1) after a log-normal delay, all within the window from step 1. A `signup` funnel
    starts at the signup event; a `plan_conversion` funnel is tried at each monthly plan
    decision on the free plan and its last step is the move to a paid plan, so the chance
    of step 1 follows from the plan's conversion chance. Step events other than the signup
    are the funnel's own, logged as one-event sessions."""

    entry: Literal["signup", "plan_conversion"] = "signup"
    window_days: Days = Field(
        DEFAULT_FUNNEL_WINDOW_DAYS, description="days from step 1 within which steps count"
    )
    steps: list[FunnelStep] = Field(min_length=2, max_length=100)
    segment_multipliers: dict[Name, Multiplier] = {}


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


class LatencyMs(Strict):
    median: Annotated[float, Field(gt=0.0, le=60_000.0)]
    sigma: Sigma


class LlmModel(Strict):
    live_from: Date = Field(description="first day the model answers (a rollout)")
    latency_ms: LatencyMs
    hallucination: Probability = Field(description="chance an answer hallucinates")
    rating: dict[Name, Annotated[float, Field(ge=1.0, le=5.0)]] = Field(
        description="per feature, the mean of the latent 1-5 score users rate from"
    )


class Llm(Strict):
    """Every request event gets an answer from the model live that day. A rating event
    rates the session's latest answer: the latent score (the model's mean for the feature
    plus the role's shift, plus normal noise) rounded and clipped to 1..5. A
    hallucination is flagged when a user reports it or the automated check catches it."""

    requests: list[Name] = Field(min_length=1, description="events that ask the model")
    rating_event: Name
    models: dict[Name, LlmModel] = Field(min_length=1)
    rating_sigma: Annotated[float, Field(gt=0.0, le=5.0)]
    role_rating_shift: dict[Name, Annotated[float, Field(ge=-4.0, le=4.0)]] = {}
    hallucination_reported: Probability = Field(description="chance a user reports one")
    hallucination_detected: Probability = Field(description="chance the check catches one")


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


class Adoption(Strict):
    """A feature launch. Users who would ever adopt (the market share) adopt at a time
    drawn from a Bass diffusion since the launch (innovation p and imitation q per day);
    one who signs up after that time adopts at signup, one who had churned by then never
    does. Adopting is the feature's own event, logged as a one-event session; from then
    on the feature's event-chain rows join the user's (after the segment's and stage's)."""

    launch: Date
    innovation: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        description="Bass p: adoption from outside, per day"
    )
    imitation: Annotated[float, Field(ge=0.0, le=MAX_PER_YEAR)] = Field(
        description="Bass q: adoption by imitation, per day"
    )
    market: Probability = Field(description="share of users who would ever adopt")
    event: Name = Field(description="the adoption event (an event with this feature)")
    transitions: dict[Name, dict[Name, Probability]] = Field(
        {}, description="event-chain rows that replace the user's once adopted"
    )


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


class Subscriptions(Strict):
    """A monthly state machine over plans, listed from lowest to highest; the first plan is
    the free one everybody can fall back to. A row gives the chances of each plan at the
    next monthly anniversary (annual plans decide at renewal only)."""

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"
    plans: dict[Name, Plan] = Field(min_length=2, max_length=100)
    initial_plan: Name
    transitions: dict[Name, dict[Name, Probability]]
    segment_multipliers: dict[Name, SubscriptionMultipliers] = {}
    inactive_churn_multiplier: Multiplier = Field(
        1.0, description="on churn once the user has stopped using the product"
    )
    failed_payment_probability: Probability = 0.0


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

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.end < self.start:
            raise _at("end", f"must not be before start ({self.start})")
        if self.days > MAX_TIMEFRAME_DAYS:
            raise _at(
                "end", f"the timeframe spans {self.days:,} days (at most {MAX_TIMEFRAME_DAYS:,})"
            )
        _check_share("segments", {k: s.share for k, s in self.segments.items()})
        for i, anomaly in enumerate(self.arrivals.anomalies):
            if not self.start <= anomaly.date <= self.end:
                raise _at(f"arrivals.anomalies.{i}.date", "lies outside start..end")
        if isinstance(self.arrivals.growth, LogisticGrowth) and not math.isfinite(
            self.arrivals.growth.steepness_per_year
        ):
            raise _at("arrivals.growth.steepness_per_year", "must be finite")
        self._check_attribute_columns()
        for attr_name, attr in self.attributes.items():
            if len(set(attr.values)) != len(attr.values):
                raise _at(f"attributes.{attr_name}.values", "a value is listed twice")
            for seg in self.segments:
                if seg not in attr.shares:
                    raise _at(f"attributes.{attr_name}.shares", f"missing segment '{seg}'")
            for seg, shares in attr.shares.items():
                path = f"attributes.{attr_name}.shares.{seg}"
                if seg not in self.segments:
                    raise _at(path, "unknown segment")
                if len(shares) != len(attr.values):
                    raise _at(path, f"needs {len(attr.values)} shares, one per value")
                _check_share(path, shares)
        self._check_events()
        if self.subscriptions is not None:
            self._check_subscriptions(self.subscriptions)
        self._check_funnels()
        if self.lifecycle is not None:
            self._check_lifecycle(self.lifecycle)
        if self.llm is not None:
            self._check_llm(self.llm)
        if self.marketing is not None:
            if self.subscriptions is None:
                raise _at("marketing", "needs a subscriptions block (touches move plan decisions)")
            self._check_conversion_lift("marketing.response", self.marketing_multiplier())
        for name, experiment in self.experiments.items():
            self._check_experiment(f"experiments.{name}", experiment)
        self._check_adoption()
        self._check_volume()
        return self

    def _check_attribute_columns(self) -> None:
        """Attributes become columns of raw.users and dim_users: plain lower-case names
        that no column of those tables already has."""
        from generator.schema import RESERVED_USER_COLUMNS  # noqa: PLC0415

        for name in self.attributes:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise _at(f"attributes.{name}", "a column name: lower-case letters, digits and _")
            if name in RESERVED_USER_COLUMNS:
                raise _at(f"attributes.{name}", "the users' tables already have a column so named")
            if name in _sql_keywords():
                raise _at(f"attributes.{name}", "a reserved word of SQL")

    def peak_sessions_per_user(self) -> float:
        """Sessions a user would open over the whole timeframe at the highest planted rates
        (segment, lifecycle stage, age curve, cohort, weekday and month all at their peak):
        a bound on a user's rows that keeps a shard within one machine's memory."""
        act = self.activity
        years = self.days / 365.25
        stage = (
            max((s.activity for s in self.lifecycle.stages.values()), default=1.0)
            if (self.lifecycle is not None)
            else 1.0
        )
        peak = (
            act.sessions_per_day
            * max(s.activity for s in self.segments.values())
            * stage
            * max(act.age_decay.curve)
            * math.exp(max(act.cohort_trend_per_year, 0.0) * years)
            * max(act.weekday_weights.values())
            * 7
            / sum(act.weekday_weights.values())
            * max(act.month_seasonality.values())
            * 12
            / sum(act.month_seasonality.values())
        )
        return peak * self.days

    def _check_volume(self) -> None:
        peak = self.peak_sessions_per_user()
        if peak > MAX_SESSIONS_PER_USER:
            raise _at(
                "activity.sessions_per_day",
                f"a user could open {peak:,.0f} sessions over the timeframe at the planted peak "
                f"rates (at most {MAX_SESSIONS_PER_USER:,}: one machine could not hold them)",
            )

    def marketing_multiplier(self) -> float:
        """The most marketing multiplies a plan conversion chance by."""
        return 1.0 + (self.marketing.response if self.marketing is not None else 0.0)

    def _check_adoption(self) -> None:
        if len(self.adoption) > MAX_ADOPTED_FEATURES:
            raise _at("adoption", f"at most {MAX_ADOPTED_FEATURES} feature launches")
        known = set(self.events.catalog)
        for name, launch in self.adoption.items():
            base = f"adoption.{name}"
            if not self.start <= launch.launch <= self.end:
                raise _at(f"{base}.launch", f"lies outside the timeframe {self.start}..{self.end}")
            if launch.event not in known:
                raise _at(f"{base}.event", f"unknown event '{launch.event}'")
            if self.events.catalog[launch.event].feature is None:
                raise _at(f"{base}.event", f"event '{launch.event}' has no feature")
            _check_chain_rows(f"{base}.transitions", launch.transitions, known)
        for seg in self.segments:
            for stage in self.stage_names():
                stuck = _states_without_exit(
                    self.transitions_for(seg, stage, tuple(self.adoption)), {SESSION_END}
                )
                if stuck:
                    raise _at("adoption", f"no path to '{SESSION_END}' from {stuck}")

    def _check_experiment(self, base: str, exp: Experiment) -> None:
        from generator.schema import EXPERIMENT_WINDOW_DAYS  # noqa: PLC0415

        if exp.end < exp.start:
            raise _at(f"{base}.end", f"must not be before its start ({exp.start})")
        if not self.start <= exp.start <= self.end:
            raise _at(f"{base}.start", f"lies outside the timeframe {self.start}..{self.end}")
        if (self.end - exp.end).days < EXPERIMENT_WINDOW_DAYS:
            raise _at(
                f"{base}.end",
                f"must leave {EXPERIMENT_WINDOW_DAYS} days before {self.end} for the metric "
                "windows (lies outside the timeframe)",
            )
        _check_share(f"{base}.variants", exp.variants)
        roles = {seg.role for seg in self.segments.values()}
        if exp.eligible.role is not None and exp.eligible.role not in roles:
            raise _at(f"{base}.eligible.role", f"unknown role '{exp.eligible.role}'")
        if exp.control not in exp.variants:
            raise _at(f"{base}.control", f"'{exp.control}' is not one of the variants")
        control = exp.control
        for part in ("effects", "lost_exposures"):
            for variant in getattr(exp, part):
                if variant not in exp.variants:
                    raise _at(f"{base}.{part}.{variant}", "unknown variant")
        for variant, effects in exp.effects.items():
            if variant == control:
                raise _at(f"{base}.effects.{variant}", "the control has no effect")
            for behaviour, effect in effects.items():
                path = f"{base}.effects.{variant}.{behaviour}"
                if behaviour not in EXPERIMENT_BEHAVIOURS:
                    raise _at(
                        path, f"unknown behaviour (known: {', '.join(EXPERIMENT_BEHAVIOURS)})"
                    )
                if behaviour == "plan_conversion" and self.subscriptions is None:
                    raise _at(path, "plan_conversion needs a subscriptions block")
                if behaviour == "answer_rating" and self.llm is None:
                    raise _at(path, "answer_rating needs an llm block")
                for seg in effect.segments:
                    if seg not in self.segments:
                        raise _at(f"{path}.segments.{seg}", "unknown segment")
                strongest = 1 + max([effect.lift, *effect.segments.values()])
                weakest = 1 + min([effect.lift, *effect.segments.values()])
                if effect.novelty is not None:
                    strongest += max(effect.novelty.lift, 0.0)
                    weakest += min(effect.novelty.lift, 0.0)
                if weakest <= 0:
                    raise _at(path, "lift and novelty together must stay above -1")
                if behaviour == "funnel_step":
                    self._check_funnel_step(path, effect)
                elif effect.step is not None:
                    raise _at(f"{path}.step", "only a funnel_step effect names a step")
                if behaviour == "plan_conversion":
                    self._check_conversion_lift(path, strongest * self.marketing_multiplier())

    def _check_funnel_step(self, path: str, effect: Effect) -> None:
        if effect.step is None:
            raise _at(f"{path}.step", "required key is missing")
        name, _, event = effect.step.partition(".")
        funnel = self.funnels.get(name)
        if funnel is None or funnel.entry != "signup":
            raise _at(f"{path}.step", f"'{name}' is not a signup funnel")
        if event not in [s.event for s in funnel.steps[1:]]:
            raise _at(f"{path}.step", f"'{event}' is not a later step of '{name}'")
        if effect.novelty is not None:
            raise _at(f"{path}.novelty", "a funnel step's effect does not fade")

    def _check_conversion_lift(self, path: str, multiplier: float) -> None:
        """The lifted chance of leaving the free plan, and of starting a plan-conversion
        funnel, must stay a probability."""
        from generator.dynamics import funnels, subscriptions  # noqa: PLC0415

        tables = subscriptions.transition_tables(self)
        paid = [plan.price > 0 for plan in present(self.subscriptions).plans.values()]
        leaving = tables[:, :, 0, 1:].sum(axis=2) + (multiplier - 1) * tables[:, :, 0, paid].sum(
            axis=2
        )
        if leaving.max() > 1 + 1e-12:
            raise _at(path, f"lifts the chance of leaving the free plan to {leaving.max():.3g}")
        for name, funnel in self.funnels.items():
            if funnel.entry == "plan_conversion":
                entry = funnels.conversion_entry_chances(self, funnel).max() * multiplier
                if entry > 1:
                    raise _at(path, f"lifts funnel '{name}' step 1's chance to {entry:.3g}")

    def _check_llm(self, llm: Llm) -> None:
        catalog = self.events.catalog
        for i, name in enumerate(llm.requests):
            if name not in catalog:
                raise _at(f"llm.requests.{i}", f"unknown event '{name}'")
            if catalog[name].feature is None:
                raise _at(f"llm.requests.{i}", f"event '{name}' has no feature")
        if llm.rating_event not in catalog:
            raise _at("llm.rating_event", f"unknown event '{llm.rating_event}'")
        features = self.llm_features()
        dates = [m.live_from for m in llm.models.values()]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise _at("llm.models", "list the models in the order they went live, on distinct days")
        if dates[0] > self.start:
            raise _at(
                f"llm.models.{next(iter(llm.models))}.live_from", "must be on or before start"
            )
        for name, model in llm.models.items():
            if model.live_from > self.end:
                raise _at(f"llm.models.{name}.live_from", "lies after end")
            for feature in model.rating:
                if feature not in features:
                    raise _at(f"llm.models.{name}.rating.{feature}", "not a requested feature")
            for feature in features:
                if feature not in model.rating:
                    raise _at(f"llm.models.{name}.rating", f"missing feature '{feature}'")
        roles = {seg.role for seg in self.segments.values()}
        for role in llm.role_rating_shift:
            if role not in roles:
                raise _at(f"llm.role_rating_shift.{role}", "unknown role")

    def llm_features(self) -> list[str]:
        """Features of the request events, in first-seen order."""
        out: list[str] = []
        for name in present(self.llm).requests:
            feature = self.events.catalog[name].feature
            if feature is not None and feature not in out:
                out.append(feature)
        return out

    def _check_lifecycle(self, life: Lifecycle) -> None:
        if life.initial not in life.stages:
            raise _at("lifecycle.initial", f"unknown stage '{life.initial}'")
        known = set(self.events.catalog)
        for name, stage in life.stages.items():
            base = f"lifecycle.stages.{name}"
            for target in stage.next:
                if target not in life.stages:
                    raise _at(f"{base}.next.{target}", "unknown stage")
            if stage.next:
                _check_share(f"{base}.next", stage.next)
                if stage.days is None:
                    raise _at(f"{base}.days", "required for a stage with next stages")
            _check_chain_rows(f"{base}.transitions", stage.transitions, known)
            for seg in self.segments:
                stuck = _states_without_exit(self.transitions_for(seg, name), {SESSION_END})
                if stuck:
                    raise _at(f"{base}.transitions", f"no path to '{SESSION_END}' from {stuck}")
        exits = {name for name, stage in life.stages.items() if not stage.next}
        stuck = _states_without_exit({k: v.next for k, v in life.stages.items()}, exits)
        if stuck:
            raise _at("lifecycle.stages", f"a cycle with no exit: no path to an exit from {stuck}")

    def _check_funnels(self) -> None:
        seen: set[str] = set(self.events.catalog)
        for name, funnel in self.funnels.items():
            base = f"funnels.{name}"
            first_own = 1  # a signup funnel's step 1 is the signup itself
            if funnel.entry == "signup" and funnel.steps[0].event != self.events.signup:
                raise _at(
                    f"{base}.steps.0.event", f"must be the signup event '{self.events.signup}'"
                )
            if funnel.entry == "plan_conversion":
                if self.subscriptions is None:
                    raise _at(f"{base}.entry", "plan_conversion needs a subscriptions block")
                first_own = 0
            for i, step in enumerate(funnel.steps[first_own:], start=first_own):
                if i > 0 and step.hours is None:
                    raise _at(f"{base}.steps.{i}.hours", "required key is missing")
                if step.event in seen:
                    raise _at(
                        f"{base}.steps.{i}.event", f"'{step.event}' is already logged elsewhere"
                    )
                seen.add(step.event)
            for seg in funnel.segment_multipliers:
                if seg not in self.segments:
                    raise _at(f"{base}.segment_multipliers.{seg}", "unknown segment")
        for name, flow in self.events.flows.items():
            if name in self.funnels:
                raise _at(f"events.flows.{name}", "a planted funnel has this name")
            for i, event in enumerate(flow.steps):
                if event not in seen:
                    raise _at(f"events.flows.{name}.steps.{i}", f"unknown event '{event}'")
        from generator.dynamics.funnels import conversion_entry_chances  # noqa: PLC0415

        for name, funnel in self.funnels.items():
            if funnel.entry == "plan_conversion":
                worst = conversion_entry_chances(self, funnel).max()
                if worst > 1 + 1e-12:
                    raise _at(
                        f"funnels.{name}.steps",
                        f"step rates too low for the planted free-plan conversion "
                        f"(step 1 would need a chance of {worst:.3f})",
                    )

    def funnel_events(self) -> list[str]:
        """Events only funnels log, in a fixed order (after the catalogue's)."""
        return [e for f in self.funnels.values() for e in self.own_events(f)]

    def own_events(self, funnel: Funnel) -> list[str]:
        """The events a funnel logs itself (a signup funnel's first step is the signup)."""
        steps = funnel.steps if funnel.entry == "plan_conversion" else funnel.steps[1:]
        return [s.event for s in steps]

    def _check_subscriptions(self, subs: Subscriptions) -> None:
        plans = list(subs.plans)
        if subs.plans[plans[0]].price != 0:
            raise _at(f"subscriptions.plans.{plans[0]}.price", "the first plan must be free (0)")
        if subs.initial_plan not in subs.plans:
            raise _at("subscriptions.initial_plan", f"unknown plan '{subs.initial_plan}'")
        for plan, row in subs.transitions.items():
            if plan not in subs.plans:
                raise _at(f"subscriptions.transitions.{plan}", "unknown plan")
            for target in row:
                if target not in subs.plans:
                    raise _at(f"subscriptions.transitions.{plan}.{target}", "unknown plan")
            _check_share(f"subscriptions.transitions.{plan}", row)
        for plan in plans:
            if plan not in subs.transitions:
                raise _at("subscriptions.transitions", f"missing a row for plan '{plan}'")
        for seg in subs.segment_multipliers:
            if seg not in self.segments:
                raise _at(f"subscriptions.segment_multipliers.{seg}", "unknown segment")
        from generator.dynamics.subscriptions import transition_tables  # noqa: PLC0415

        try:
            transition_tables(self)
        except ValueError as exc:
            raise _at("subscriptions.segment_multipliers", str(exc)) from None

    def _check_events(self) -> None:
        ev = self.events
        known = set(ev.catalog)
        if SESSION_END in known:
            raise _at(f"events.catalog.{SESSION_END}", "is reserved for the end of a session")
        for key in ("session_start", "signup"):
            if getattr(ev, key) not in known:
                raise _at(f"events.{key}", f"unknown event '{getattr(ev, key)}'")
        for seg in ev.segment_transitions:
            if seg not in self.segments:
                raise _at(f"events.segment_transitions.{seg}", "unknown segment")
        tables = {"events.transitions": ev.transitions}
        tables.update(
            {f"events.segment_transitions.{s}": t for s, t in ev.segment_transitions.items()}
        )
        for base, table in tables.items():
            _check_chain_rows(base, table, known)
        for state in known:
            if state not in ev.transitions:
                raise _at("events.transitions", f"missing a row for event '{state}'")
        for seg in self.segments:
            stuck = _states_without_exit(self.transitions_for(seg), {SESSION_END})
            if stuck:
                raise _at("events.transitions", f"no path to '{SESSION_END}' from {stuck}")

    # -- derived views used by the dynamics -------------------------------------------------
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


@functools.cache
def _sql_keywords() -> frozenset[str]:
    """SQL's reserved words (DuckDB's list): no column may be named after one."""
    import duckdb  # noqa: PLC0415

    rows = duckdb.execute(
        "select keyword_name from duckdb_keywords() where keyword_category <> 'unreserved'"
    ).fetchall()
    return frozenset(r[0] for r in rows)


def _states_without_exit(table: dict[str, dict[str, float]], exits: set[str]) -> list[str]:
    """States of a chain from which no exit can be reached."""
    reaches_end = set(exits)
    changed = True
    while changed:
        changed = False
        for s, row in table.items():
            if s not in reaches_end and any(p > 0 and t in reaches_end for t, p in row.items()):
                reaches_end.add(s)
                changed = True
    return sorted(set(table) - reaches_end)


def _check_chain_rows(base: str, table: dict[str, dict[str, float]], known: set[str]) -> None:
    """Rows of an event chain: known events, known targets (or the session end), and
    chances summing to 1."""
    for state, row in table.items():
        if state not in known:
            raise _at(f"{base}.{state}", "unknown event")
        for target in row:
            if target != SESSION_END and target not in known:
                raise _at(f"{base}.{state}.{target}", "unknown event")
        _check_share(f"{base}.{state}", row)


def _check_share(path: str, values: dict[str, float] | list[float]) -> None:
    total = sum(values.values()) if isinstance(values, dict) else sum(values)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise _at(path, f"shares must sum to 1 (got {total:.6g})")


def _at(path: str, reason: str) -> ScenarioError:
    return ScenarioError(f"{path}: {reason}")


def _describe(error: Mapping[str, Any]) -> str:
    path = ".".join(str(p) for p in error["loc"]) or "(top level)"
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


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice in one mapping (plain YAML keeps the last)."""

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
