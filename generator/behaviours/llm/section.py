"""The LLM section: the events that ask the model, the models in the order they went live
(latency, hallucination, the mean rating per feature), and how users rate and report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from generator.section import Date, Name, Probability, Sigma, Strict, at, present

if TYPE_CHECKING:
    from generator.scenario import Scenario


class LatencyMs(Strict):
    median: Annotated[float, Field(gt=0.0, le=60_000.0)]
    sigma: Sigma


class TokenCount(Strict):
    """A log-normal number of tokens (rounded to a whole one)."""

    median: Annotated[float, Field(ge=1.0, le=1_000_000.0)]
    sigma: Sigma


class Tokens(Strict):
    """What one answer uses: tokens in and out, and what the provider charges per 1,000."""

    prompt: TokenCount
    completion: TokenCount
    prompt_price_per_1k: Annotated[float, Field(ge=0.0, le=1000.0)]
    completion_price_per_1k: Annotated[float, Field(ge=0.0, le=1000.0)]


class LlmModel(Strict):
    live_from: Date = Field(description="first day the model answers (a rollout)")
    latency_ms: LatencyMs
    tokens: Tokens | None = Field(None, description="tokens per answer and their price")
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


def check(world: Scenario) -> None:
    llm = world.llm
    if llm is None:
        return
    catalog = world.events.catalog
    for i, name in enumerate(llm.requests):
        if name not in catalog:
            raise at(f"llm.requests.{i}", f"unknown event '{name}'")
        if catalog[name].feature is None:
            raise at(f"llm.requests.{i}", f"event '{name}' has no feature")
    if llm.rating_event not in catalog:
        raise at("llm.rating_event", f"unknown event '{llm.rating_event}'")
    features = world.llm_features()
    dates = [m.live_from for m in llm.models.values()]
    if dates != sorted(dates) or len(set(dates)) != len(dates):
        raise at("llm.models", "list the models in the order they went live, on distinct days")
    if dates[0] > world.start:
        raise at(f"llm.models.{next(iter(llm.models))}.live_from", "must be on or before start")
    for name, model in llm.models.items():
        if model.live_from > world.end:
            raise at(f"llm.models.{name}.live_from", "lies after end")
        for feature in model.rating:
            if feature not in features:
                raise at(f"llm.models.{name}.rating.{feature}", "not a requested feature")
        for feature in features:
            if feature not in model.rating:
                raise at(f"llm.models.{name}.rating", f"missing feature '{feature}'")
    roles = {seg.role for seg in world.segments.values()}
    for role in llm.role_rating_shift:
        if role not in roles:
            raise at(f"llm.role_rating_shift.{role}", "unknown role")


def features(world: Scenario) -> list[str]:
    """Features of the request events, in first-seen order."""
    out: list[str] = []
    for name in present(world.llm).requests:
        feature = world.events.catalog[name].feature
        if feature is not None and feature not in out:
            out.append(feature)
    return out
