"""Inference valid for the number of communes at hand.

- fewer than `eval_min_communes_inference` (5) started communes: no interval and no p-value
  at all — the figures are descriptive;
- fewer than `eval_min_communes_bootstrap` (10): randomisation inference — the start months
  (with their cohorts) are re-drawn at random among all communes of the panel
  `eval_permutations` times and the whole estimator is recomputed each time; p-value = share
  of draws at least as far from 0 as the estimate; the interval inverts the test under a
  constant effect (Y − τ·D);
- otherwise: wild cluster bootstrap by commune (multiplier bootstrap of the influence
  function, Webb's six-point weights, `eval_bootstrap_draws` draws) with the small-sample
  factor n/(n−1) on each side; symmetric interval from the draws, widened by
  t(G−1)/normal (G = started communes) as a clustered t-interval would be.
Several cohorts: Holm's adjustment of their p-values. Joint test of all leads: a Wald
statistic whose weighting matrix is fixed from the data, referred to the draws of the same
method (permutation or bootstrap).
"""
from __future__ import annotations

import numpy as np

WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def webb_weights(rng: np.random.Generator, draws: int, n: int) -> np.ndarray:
    """draws × n weights, each one of Webb's six points with equal chance (the indices drawn
    as bytes: an eighth of the memory of 64-bit integers, which dominated the cost)."""
    return WEBB[rng.integers(0, 6, size=(draws, n), dtype=np.int8)]


def permuted_assignments(rng: np.random.Generator, group: np.ndarray, draws: int) -> np.ndarray:
    """draws × N group ids: the observed assignment shuffled among the communes."""
    order = np.argsort(rng.random((draws, len(group))), axis=1)
    return group[order]


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN and does not count)."""
    p = np.asarray(pvalues, float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if not m:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def permutation_p(theta: float, draws: np.ndarray) -> float:
    d = draws[np.isfinite(draws)]
    if not np.isfinite(theta) or not len(d):
        return np.nan
    return float((1 + np.sum(np.abs(d) >= abs(theta) - 1e-12)) / (len(d) + 1))


def permutation_interval(theta: float, b_obs: float, a: np.ndarray, b: np.ndarray,
                         level: float = 0.95) -> tuple[float, float]:
    """Test inversion: the τ for which the permutation test of Y − τ·D does not reject
    (a, b: the estimator of Y and of D under each drawn assignment). A coarse grid finds the
    accepted range, a fine grid then places each end within 1/400 of the spread."""
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if not np.isfinite(theta) or len(a) < 19:
        return (np.nan, np.nan)
    alpha = 1 - level

    def p_of(tau):
        stat = np.abs(a[:, None] - tau[None, :] * b[:, None])
        obs = np.abs(theta - tau * b_obs)
        return (1 + (stat >= obs[None, :] - 1e-12).sum(0)) / (len(a) + 1)

    scale = float(np.std(a)) or abs(theta) or 1.0
    for width in (8.0, 30.0):
        tau = theta + scale * np.linspace(-width, width, 161)
        keep = np.flatnonzero(p_of(tau) > alpha)
        if not len(keep):
            return (theta, theta)
        if keep[0] == 0 or keep[-1] == len(tau) - 1:
            continue
        step = tau[1] - tau[0]
        ends = []
        for i, side in ((keep[0], 0), (keep[-1], 1)):
            fine = np.linspace(tau[i] - step, tau[i], 21) if side == 0 else \
                np.linspace(tau[i], tau[i] + step, 21)
            acc = np.flatnonzero(p_of(fine) > alpha)
            ends.append(fine[acc[0]] if side == 0 else fine[acc[-1]])
        return (float(ends[0]), float(ends[1]))
    return (np.nan, np.nan)


def t_factor(clusters: int, level: float = 0.95) -> float:
    """t(G−1) over normal quantile: the bootstrap draws are close to normal, while with G
    started communes the estimate standardised by its estimated spread follows t(G−1)."""
    from scipy.special import ndtri, stdtrit

    if clusters < 2:
        return np.nan
    return float(stdtrit(clusters - 1, 0.5 + level / 2) / ndtri(0.5 + level / 2))


def bootstrap_interval(theta: float, draws: np.ndarray, level: float = 0.95,
                       factor: float = 1.0) -> tuple[float, float]:
    d = draws[np.isfinite(draws)]
    if not np.isfinite(theta) or len(d) < 19:
        return (np.nan, np.nan)
    q = float(np.quantile(np.abs(d), level)) * factor
    return (theta - q, theta + q)


def bootstrap_p(theta: float, draws: np.ndarray, factor: float = 1.0) -> float:
    return permutation_p(theta, draws * factor)


def permutation_wald_p(theta: np.ndarray, draws: np.ndarray) -> float:
    """Joint test by randomisation: θ'Aθ against the same statistic over the drawn
    assignments, with A the inverse covariance of the estimator over the draws (a function
    of the data alone, so the test is exact)."""
    if not len(theta) or not np.all(np.isfinite(theta)):
        return np.nan
    d = draws[np.all(np.isfinite(draws), axis=1)]
    if len(d) < 19:
        return np.nan
    c = d - d.mean(0)
    A = np.linalg.pinv(c.T @ c / len(c), rcond=1e-10)
    w = float(theta @ A @ theta)
    wd = np.einsum("bi,ij,bj->b", d, A, d)
    return float((1 + np.sum(wd >= w - 1e-12)) / (len(d) + 1))


def hotelling_p(theta: np.ndarray, Phi: np.ndarray, clusters: int) -> float:
    """Joint Wald test with the influence-function covariance, referred to Hotelling's
    F(q, G − q) (G = started communes): the χ² reference, or a bootstrap with the
    covariance held fixed, rejects far too often when q is not small next to G."""
    from scipy.special import fdtrc

    q = len(theta)
    if not q or not np.all(np.isfinite(theta)) or clusters - q < 1:
        return np.nan
    A = weighting_matrix(Phi)
    w = float(theta @ A @ theta)
    f = w * (clusters - q) / (q * (clusters - 1))
    return float(fdtrc(q, clusters - q, f))


def weighting_matrix(Phi: np.ndarray) -> np.ndarray:
    """Pseudo-inverse of the influence-function covariance (fixed for every draw)."""
    S = Phi.T @ Phi
    return np.linalg.pinv(S, rcond=1e-10) if S.size else S
