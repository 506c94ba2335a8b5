"""The answer key of this behaviour: the rating distributions and their expected sums."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from generator.behaviours.llm import simulate as llm
from generator.behaviours.segments import simulate as segments
from generator.calendar import Calendar
from generator.scenario import Scenario
from generator.section import present


def tables(scenario: Scenario, cal: Calendar, sums: dict[str, Any]) -> dict[str, pa.Table]:
    """The truth tables made from the shards' summed truth."""
    if scenario.llm is None:
        return {}
    return {
        "llm_ratings": llm_ratings(scenario),
        "llm_rating_sums": llm_rating_sums(scenario, sums["llm_rating_sums"]),
        "llm_token_costs": llm_token_costs(scenario),
    }


def llm_token_costs(scenario: Scenario) -> pa.Table:
    """Per model that declares its tokens: the mean and variance of the tokens in and out
    of an answer and of its cost (log-normal counts, independent; the rounding to whole
    tokens is left out, a bias far under a token)."""
    rows = []
    for name, model in present(scenario.llm).models.items():
        tokens = model.tokens
        if tokens is None:
            continue
        moments = []
        for count in (tokens.prompt, tokens.completion):
            mean = count.median * np.exp(count.sigma**2 / 2)
            moments.append((mean, mean**2 * np.expm1(count.sigma**2)))
        (p_mean, p_var), (c_mean, c_var) = moments
        a, b = tokens.prompt_price_per_1k / 1000, tokens.completion_price_per_1k / 1000
        rows.append(
            (
                name,
                p_mean,
                p_var,
                c_mean,
                c_var,
                a * p_mean + b * c_mean,
                a**2 * p_var + b**2 * c_var,
            )
        )
    cols = list(zip(*rows, strict=True)) if rows else [()] * 7
    names = [
        "model_version",
        "expected_prompt_tokens",
        "prompt_tokens_variance",
        "expected_completion_tokens",
        "completion_tokens_variance",
        "expected_cost_usd",
        "cost_usd_variance",
    ]
    return pa.table(
        {
            n: pa.array(c, type=pa.string() if i == 0 else pa.float64())
            for i, (n, c) in enumerate(zip(names, cols, strict=True))
        }
    )


def llm_ratings(scenario: Scenario) -> pa.Table:
    """Per model x feature x role: the planted rating mean and variance (the latent normal
    rounded and clipped to 1..5), the model's dates and its hallucination chances."""
    llm_spec = present(scenario.llm)
    roles, _ = segments.roles(scenario)
    probs = llm.rating_probabilities(scenario, roles)
    mean = (probs * llm.RATINGS).sum(axis=-1)
    variance = (probs * llm.RATINGS**2).sum(axis=-1) - mean**2
    models = list(llm_spec.models.values())
    flagged = llm.flag_probability(scenario)
    m, f, r = (
        grid.ravel()
        for grid in np.meshgrid(
            np.arange(len(models)),
            np.arange(len(scenario.llm_features())),
            np.arange(len(roles)),
            indexing="ij",
        )
    )
    return pa.table(
        {
            "model_version": pa.array(np.array(list(llm_spec.models))[m]),
            "live_from": pa.array([models[i].live_from for i in m], type=pa.date32()),
            "feature": pa.array(np.array(scenario.llm_features())[f]),
            "role": pa.array(np.array(roles)[r]),
            "expected_rating": pa.array(mean[m, f, r]),
            "rating_variance": pa.array(variance[m, f, r]),
            "hallucination_probability": pa.array([models[i].hallucination for i in m]),
            "flag_probability": pa.array(flagged[m]),
        }
    )


def llm_rating_sums(scenario: Scenario, sums: dict[str, np.ndarray]) -> pa.Table:
    """Per model x feature x role: the ratings given, and the sums of their expected
    scores and variances (each answer's latent mean, experiments' lifts included)."""
    llm_spec = present(scenario.llm)
    roles, _ = segments.roles(scenario)
    shape = (len(llm_spec.models), len(scenario.llm_features()), len(roles))
    m, f, r = (a.ravel() for a in np.indices(shape))
    empty = np.zeros(shape)
    return pa.table(
        {
            "model_version": pa.array(np.array(list(llm_spec.models))[m]),
            "feature": pa.array(np.array(scenario.llm_features())[f]),
            "role": pa.array(np.array(roles)[r]),
            "ratings": pa.array(sums.get("ratings", empty).ravel().astype(np.int64)),
            "expected_rating_sum": pa.array(sums.get("expected_sum", empty).ravel()),
            "rating_variance_sum": pa.array(sums.get("variance_sum", empty).ravel()),
        }
    )
