"""Behavioural segments from event sequences: a mixture of Markov chains (each segment its
own chain over the session's events) joined with a negative-binomial count of the
sessions a user opens in the first weeks, fitted by EM. The number of segments is the one
with the lowest BIC, -2 log L + parameters x ln(users), among 1..MAX_SEGMENTS with every
segment holding at least MIN_SHARE of the users (k stops growing once BIC rises twice
in a row). The adjusted Rand index compares two
labellings (1 the same, about 0 for independent ones)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import gammaln

from generator.fit.chain import Chain

MAX_SEGMENTS = 8
MIN_SHARE = 0.01
PSEUDO_COUNT = 0.1  # per observed cell, so a segment never rules a transition out
RESTARTS = 3
MAX_USERS_FITTED = 20_000  # segments are learnt on a sample this large, then every user placed
MAX_ITERATIONS = 200
TOLERANCE = 1e-6  # relative change in log-likelihood that ends EM


@dataclass(frozen=True)
class Mixture:
    k: int
    shares: np.ndarray
    log_p: np.ndarray  # k x cells, log transition probability per cell
    rate: np.ndarray  # k, early sessions per window
    shape: float  # negative-binomial shape of early sessions
    responsibility: np.ndarray  # users x k
    log_likelihood: float
    parameters: int
    bic: float

    @property
    def labels(self) -> np.ndarray:
        return np.argmax(self.responsibility, axis=1)


def _chain_log_p(cell_counts: np.ndarray, observed: np.ndarray, width: int) -> np.ndarray:
    """Row-normalised log probabilities, smoothed over the cells seen anywhere."""
    c = (cell_counts + PSEUDO_COUNT) * observed
    rows = c.reshape(c.shape[0], -1, width)
    total = rows.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.log(rows) - np.log(total)
    return np.where(observed.reshape(1, -1, width) > 0, logp, 0.0).reshape(c.shape)


def _nb_log_pmf(
    x: np.ndarray, mean: np.ndarray, shape: float, const: np.ndarray | None = None
) -> np.ndarray:
    """users x k log P(x) for a negative binomial with these means and shape; `const`
    is the part free of the means (_nb_const), when it is at hand."""
    m = np.maximum(mean, 1e-9)[None, :]
    c = _nb_const(x, shape) if const is None else const
    return c[:, None] + shape * np.log(shape / (shape + m)) + x[:, None] * np.log(m / (shape + m))


def _nb_const(x: np.ndarray, shape: float) -> np.ndarray:
    return gammaln(x + shape) - gammaln(shape) - gammaln(x + 1)


def _logsumexp(a: np.ndarray) -> np.ndarray:
    """Row-wise log of the sum of exponentials (rows are finite)."""
    top = a.max(axis=1)
    return top + np.log(np.exp(a - top[:, None]).sum(axis=1))


def _moment_shape(x: np.ndarray) -> float:
    """Negative-binomial shape from the mean and variance (large when not over-dispersed)."""
    mean, var = x.mean(), x.var()
    return float(np.clip(mean**2 / max(var - mean, 1e-9), 0.05, 1e3))


def fit_mixture(
    counts: sparse.csr_matrix, x: np.ndarray, width: int, k: int, rng: np.random.Generator
) -> Mixture:
    """EM from RESTARTS random starts, the best kept."""
    users = counts.shape[0]
    observed = (np.asarray(counts.sum(axis=0)).ravel() > 0).astype(float)
    shape = _moment_shape(x)
    const = _nb_const(x, shape)
    best: Mixture | None = None
    for _ in range(RESTARTS if k > 1 else 1):
        resp = rng.dirichlet(np.ones(k), size=users)
        previous = -np.inf
        for _ in range(MAX_ITERATIONS):
            weight = resp.sum(axis=0)
            shares = weight / users
            log_p = _chain_log_p(np.asarray((counts.T @ resp).T), observed, width)
            rate = (resp * x[:, None]).sum(axis=0) / np.maximum(weight, 1e-12)
            joint = (
                np.asarray(counts @ log_p.T)
                + _nb_log_pmf(x, rate, shape, const)
                + np.log(np.maximum(shares, 1e-300))
            )
            total = _logsumexp(joint)
            ll = float(total.sum())
            resp = np.exp(joint - total[:, None])
            if ll - previous < TOLERANCE * abs(ll):
                break
            previous = ll
        free_cells = observed.reshape(-1, width).sum(axis=1)
        parameters = int((k - 1) + k * (np.maximum(free_cells - 1, 0).sum() + 1) + 1)
        bic = -2 * ll + parameters * np.log(users)
        fitted = Mixture(k, shares, log_p, rate, shape, resp, ll, parameters, float(bic))
        if best is None or fitted.log_likelihood > best.log_likelihood:
            best = fitted
    assert best is not None
    return best


def choose_segments(chain: Chain, seed: int) -> tuple[Mixture, list[tuple[int, float]]]:
    """The mixture with the lowest BIC whose segments each hold MIN_SHARE of users, and
    the BIC of every k tried."""
    rng = np.random.default_rng(seed)
    users = chain.counts.shape[0]
    sample = np.arange(users)
    if users > MAX_USERS_FITTED:
        sample = np.sort(rng.choice(users, MAX_USERS_FITTED, replace=False))
    counts, x = chain.counts[sample], chain.first_sessions[sample]
    tried: list[tuple[int, float]] = []
    best: Mixture | None = None
    rises = 0
    for k in range(1, MAX_SEGMENTS + 1):
        m = fit_mixture(counts, x, chain.width, k, rng)
        tried.append((k, m.bic))
        if k > 1 and np.bincount(m.labels, minlength=k).min() < MIN_SHARE * len(m.labels):
            continue  # a segment too small to describe: not a candidate
        if best is None or m.bic < best.bic:
            best, rises = m, 0
        else:
            rises += 1
            if rises == 2:
                break
    assert best is not None
    return _ordered(place(best, chain)), tried


def place(m: Mixture, chain: Chain) -> Mixture:
    """Every user's segment probabilities under a fitted mixture."""
    joint = (
        np.asarray(chain.counts @ m.log_p.T)
        + _nb_log_pmf(chain.first_sessions, m.rate, m.shape)
        + np.log(np.maximum(m.shares, 1e-300))
    )
    resp = np.exp(joint - _logsumexp(joint)[:, None])
    return Mixture(
        m.k, m.shares, m.log_p, m.rate, m.shape, resp, m.log_likelihood, m.parameters, m.bic
    )


def _ordered(m: Mixture) -> Mixture:
    """Segments with the most users placed in them first."""
    order = np.argsort(-np.bincount(m.labels, minlength=m.k), kind="stable")
    return Mixture(
        m.k,
        m.shares[order],
        m.log_p[order],
        m.rate[order],
        m.shape,
        m.responsibility[:, order],
        m.log_likelihood,
        m.parameters,
        m.bic,
    )


def adjusted_rand_index(a: np.ndarray, b: np.ndarray) -> float:
    """Hubert and Arabie's adjusted Rand index of two labellings of the same items."""
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1))
    np.add.at(table, (ai, bi), 1)

    def pairs(v: np.ndarray) -> float:
        return float((v * (v - 1) / 2).sum())

    index = pairs(table)
    rows, cols, n = pairs(table.sum(axis=1)), pairs(table.sum(axis=0)), pairs(np.array([len(a)]))
    expected = rows * cols / n if n else 0.0
    top = (rows + cols) / 2
    return 1.0 if top == expected else (index - expected) / (top - expected)
