"""LLM answers: every request event gets an answer from the model live that day, with a
log-normal latency. A rating event rates the latest answer of its session: the latent
score (the model's mean for the feature, plus the role's shift, plus normal noise)
rounded and clipped to 1..5. An answer hallucinates with the model's chance, and a
hallucination is flagged when the automated check catches it or the user reports it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generator.calendar import MS_PER_DAY, Calendar
from generator.columns import dictionary, timestamps
from generator.maths import normal_cdf
from generator.scenario import Scenario
from generator.section import present
from generator.state import Shard

RATINGS = np.arange(1, 6)
FLAG_SOURCES = [None, "automated_check", "user_report"]
GATEWAY_TIMEOUT_MS = 600_000  # ten minutes; scenario latency medians stay under one


@dataclass(frozen=True)
class Answers:
    """One answer per request event (indices into the shard's session events)."""

    event: np.ndarray
    model: np.ndarray
    mu: np.ndarray  # latent mean of each rated answer (lifts applied), 0 if not rated
    feature: np.ndarray
    latency_ms: np.ndarray
    rating: np.ndarray  # 1..5, 0 when not rated
    flag_source: np.ndarray  # index into FLAG_SOURCES
    prompt_tokens: np.ndarray  # -1 where the model's tokens are not declared
    completion_tokens: np.ndarray
    cost: np.ndarray  # what the provider charges for the answer (NaN: not declared)


@dataclass(frozen=True)
class RatedAnswers:
    """Every rated answer: who asked, the day, and the latent mean (lifts applied)."""

    user: np.ndarray
    day: np.ndarray
    mu: np.ndarray
    sigma: float


def live_from_days(scenario: Scenario, cal: Calendar) -> np.ndarray:
    return np.array([(m.live_from - cal.start).days for m in present(scenario.llm).models.values()])


def rating_means(scenario: Scenario, roles: list[str]) -> np.ndarray:
    """(model, feature, role) mean of the latent score."""
    llm = present(scenario.llm)
    base = np.array([[m.rating[f] for f in scenario.llm_features()] for m in llm.models.values()])
    shift = np.array([llm.role_rating_shift.get(r, 0.0) for r in roles])
    return base[:, :, None] + shift[None, None, :]


def rating_probabilities(scenario: Scenario, roles: list[str]) -> np.ndarray:
    """(model, feature, role, rating 1..5): the latent normal rounded and clipped."""
    return score_probabilities(rating_means(scenario, roles), present(scenario.llm).rating_sigma)


def score_probabilities(mu: np.ndarray, sigma: float) -> np.ndarray:
    """(..., rating 1..5): chances of each rating for latent means mu."""
    mu = np.asarray(mu)[..., None]
    upper = np.r_[RATINGS[:-1] + 0.5, np.inf]
    lower = np.r_[-np.inf, RATINGS[1:] - 0.5]
    return normal_cdf((upper - mu) / sigma) - normal_cdf((lower - mu) / sigma)


def expected_score(mu: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the rating for latent means mu."""
    probs = score_probabilities(mu, sigma)
    mean = (probs * RATINGS).sum(axis=-1)
    return mean, (probs * RATINGS**2).sum(axis=-1) - mean**2


def flag_probability(scenario: Scenario) -> np.ndarray:
    """(model,) chance an answer is flagged as a hallucination."""
    llm = present(scenario.llm)
    caught = 1 - (1 - llm.hallucination_reported) * (1 - llm.hallucination_detected)
    return np.array([m.hallucination for m in llm.models.values()]) * caught


def _tokens(models, model: np.ndarray, rng: np.random.Generator):
    """Tokens in and out of each answer (log-normal, rounded) and its price."""
    n = len(model)
    prompt = np.full(n, -1, dtype=np.int64)
    completion = np.full(n, -1, dtype=np.int64)
    cost = np.full(n, np.nan)
    for m, spec in enumerate(models):
        tokens = spec.tokens
        mine = np.flatnonzero(model == m)
        if tokens is None or len(mine) == 0:
            continue
        for out, count in ((prompt, tokens.prompt), (completion, tokens.completion)):
            drawn = count.median * np.exp(count.sigma * rng.standard_normal(len(mine)))
            out[mine] = np.maximum(np.rint(drawn), 1).astype(np.int64)
        cost[mine] = (
            prompt[mine] * tokens.prompt_price_per_1k
            + completion[mine] * tokens.completion_price_per_1k
        ) / 1000
    return prompt, completion, cost


def answer(
    scenario: Scenario,
    cal: Calendar,
    session: np.ndarray,
    code: np.ndarray,
    event_ms: np.ndarray,
    role: np.ndarray,
    roles: list[str],
    rng: np.random.Generator,
    rating_lift=None,
) -> Answers:
    """Answers for a shard's session events, ordered by session then step.
    `rating_lift(events)`, when given, multiplies the latent mean of those answers."""
    llm = present(scenario.llm)
    names = scenario.event_names()
    features = scenario.llm_features()
    feature_of = np.full(len(names), -1)
    for name in llm.requests:
        feature_of[names.index(name)] = features.index(
            present(scenario.events.catalog[name].feature)
        )
    requests = np.flatnonzero(feature_of[code] >= 0)
    model = (
        np.searchsorted(live_from_days(scenario, cal), event_ms[requests] // MS_PER_DAY, "right")
        - 1
    )
    feature = feature_of[code[requests]]
    models = list(llm.models.values())
    log_median = np.log([m.latency_ms.median for m in models])[model]
    sigma = np.array([m.latency_ms.sigma for m in models])[model]
    latency = np.exp(log_median + sigma * rng.standard_normal(len(requests)))
    latency = np.minimum(latency, GATEWAY_TIMEOUT_MS)  # the gateway gives up on slower answers

    # the latest request before each rating event, in the same session, is rated once
    latest = np.maximum.accumulate(np.where(feature_of[code] >= 0, np.arange(len(code)), -1))
    ratings = np.flatnonzero(code == names.index(llm.rating_event))
    rated = latest[ratings]
    rated = np.unique(rated[(rated >= 0) & (session[np.maximum(rated, 0)] == session[ratings])])
    which = np.searchsorted(requests, rated)
    mu = rating_means(scenario, roles)[model[which], feature[which], role[rated]]
    if rating_lift is not None:
        mu = mu * rating_lift(rated)
    score = mu + llm.rating_sigma * rng.standard_normal(len(which))
    mean_of = np.zeros(len(requests))
    mean_of[which] = mu
    rating = np.zeros(len(requests), dtype=np.int8)
    rating[which] = np.clip(np.rint(score), 1, 5)

    hallucinates = rng.random(len(requests)) < np.array([m.hallucination for m in models])[model]
    detected = rng.random(len(requests)) < llm.hallucination_detected
    reported = rng.random(len(requests)) < llm.hallucination_reported
    source = np.where(detected, 1, np.where(reported, 2, 0)) * hallucinates
    prompt, completion, cost = _tokens(models, model, rng)
    return Answers(
        prompt_tokens=prompt,
        completion_tokens=completion,
        cost=cost,
        event=requests,
        model=model,
        mu=mean_of,
        feature=feature,
        latency_ms=np.rint(latency).astype(np.int32),
        rating=rating,
        flag_source=source.astype(np.int8),
    )


def draw(s: Shard, by_experiments: Callable[[np.ndarray], np.ndarray] | None) -> None:
    """The model's answer to each request event, rated when a rating event follows;
    `by_experiments` gives the experiments' lift on an event's rating, if any."""
    scenario = s.scenario
    if scenario.llm is None:
        return
    event_user = s.session_user[s.event_session]
    answers = answer(
        scenario,
        s.cal,
        s.event_session,
        s.event_code,
        s.event_ms,
        s.role_of_segment[s.segment[event_user]],
        s.role_names,
        s.rng["llm"],
        by_experiments,
    )
    asked = answers.event
    s.raw["llm_responses"] = _llm_table(
        scenario, s.cal, answers, s.user_id[event_user[asked]], s.event_ms[asked]
    )
    s.rated, s.sums["llm_rating_sums"] = _rated_answers(
        scenario, answers, event_user, s.event_ms, s.role_of_segment[s.segment], s.role_names
    )


def _rated_answers(
    scenario: Scenario,
    answers: Answers,
    session_user: np.ndarray,
    event_ms: np.ndarray,
    role: np.ndarray,
    roles: list[str],
) -> tuple[RatedAnswers, dict[str, np.ndarray]]:
    """Every rated answer for the experiments' truth, and per model x feature x role the
    ratings with the sum of their expected scores and variances (lifts applied)."""
    llm_spec = present(scenario.llm)
    rated = np.flatnonzero(answers.rating > 0)
    event = answers.event[rated]
    user = session_user[event]
    mu = answers.mu[rated]
    sigma = llm_spec.rating_sigma
    mean, variance = expected_score(mu, sigma)
    shape = (len(llm_spec.models), len(scenario.llm_features()), len(roles))
    cell = np.ravel_multi_index((answers.model[rated], answers.feature[rated], role[user]), shape)
    size = int(np.prod(shape))
    sums = {
        "ratings": np.bincount(cell, minlength=size).reshape(shape).astype(float),
        "expected_sum": np.bincount(cell, weights=mean, minlength=size).reshape(shape),
        "variance_sum": np.bincount(cell, weights=variance, minlength=size).reshape(shape),
    }
    return RatedAnswers(user, event_ms[event] // MS_PER_DAY, mu, sigma), sums


def _llm_table(
    scenario: Scenario,
    cal: Calendar,
    answers: Answers,
    asked_by: np.ndarray,
    asked_ms: np.ndarray,
) -> pa.Table:
    """Answers as the LLM gateway logs them: one row per request, its rating if any."""
    rated = answers.rating > 0
    flagged = answers.flag_source > 0
    return pa.table(
        {
            "user_id": pa.array(asked_by),
            "feature": dictionary(answers.feature, scenario.llm_features()),
            "model_version": dictionary(answers.model, list(present(scenario.llm).models)),
            "requested_at": timestamps(cal, asked_ms),
            "latency_ms": pa.array(answers.latency_ms),
            "rating": pa.array(answers.rating.astype(np.int32), mask=~rated),
            "hallucination_flag": pa.array(flagged),
            "flag_source": dictionary(answers.flag_source, FLAG_SOURCES),
            "prompt_tokens": pa.array(
                answers.prompt_tokens.astype(np.int32), mask=answers.prompt_tokens < 0
            ),
            "completion_tokens": pa.array(
                answers.completion_tokens.astype(np.int32), mask=answers.completion_tokens < 0
            ),
            "cost_usd": pa.array(answers.cost, mask=np.isnan(answers.cost)),
        }
    )
