"""Shared math: the normal and log-normal CDFs, alias tables for drawing from many
categorical rows at once, and the expansion of ranges into their members."""

from __future__ import annotations

import numpy as np


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7), vectorised."""
    x = np.abs(z) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = 1.0 - poly * np.exp(-x * x)
    return 0.5 * (1.0 + np.where(z >= 0, erf, -erf))


def lognormal_cdf(x: np.ndarray, median: float, sigma: float) -> np.ndarray:
    """P(delay <= x) for a log-normal delay; 0 for x <= 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if sigma == 0:
            return (x >= median).astype(float)
        z = (np.log(np.maximum(x, 1e-300)) - np.log(median)) / sigma
    return np.where(x > 0, normal_cdf(z), 0.0)


def alias_tables(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias tables, one per row: drawing column j = floor(u * K) and keeping
    it when the fraction of u * K is below prob[j] (else taking alias[j]) samples the row's
    distribution exactly with one uniform. Built once per scenario (rows x K is small)."""
    rows, k = probabilities.shape
    prob = np.zeros((rows, k))
    alias = np.tile(np.arange(k), (rows, 1))
    for r in range(rows):
        scaled = probabilities[r] * k / probabilities[r].sum()
        small = [j for j in range(k) if scaled[j] < 1.0]
        large = [j for j in range(k) if scaled[j] >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            prob[r, s], alias[r, s] = scaled[s], g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)
        for j in small + large:
            prob[r, j] = 1.0
    return prob, alias


def expand_ranges(owner: np.ndarray, starts: np.ndarray, lengths: np.ndarray):
    """For ranges [start, start + length) owned by `owner`, every (owner, value) pair."""
    lengths = np.maximum(lengths, 0)
    total = int(lengths.sum())
    first = np.cumsum(lengths) - lengths
    offsets = np.arange(total, dtype=np.int64) - np.repeat(first, lengths)
    return np.repeat(owner, lengths), np.repeat(starts, lengths) + offsets


def draw_rows(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of (row, outcome) weights, in proportion to the row's weights
    (one uniform per row): the index of the outcome drawn."""
    cumulative = np.cumsum(weights, axis=1)
    cumulative /= cumulative[:, -1:]
    cumulative[:, -1] = 1.0
    return (rng.random(len(weights))[:, None] >= cumulative).sum(axis=1)
