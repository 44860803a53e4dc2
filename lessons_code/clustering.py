"""k-means, Gaussian mixtures fitted by expectation-maximisation, and PCA.

Written for teaching in plain numpy, one step per function, so that the lecture
on unsupervised learning can show each update. Use scikit-learn for real work.
Arrays of points have shape ``(n, d)``: ``n`` points in ``d`` dimensions, in
whatever unit the features carry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

log = logging.getLogger(__name__)


def _check_points(x: np.ndarray, k: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        msg = f"points must have shape (n, d); got shape {x.shape}."
        raise ValueError(msg)
    if not 1 <= k <= len(x):
        msg = f"k={k} clusters need 1 <= k <= n={len(x)} points."
        raise ValueError(msg)
    return x


@dataclass
class KMeansResult:
    """Outcome of :func:`kmeans`."""

    centres: np.ndarray  # (k, d) cluster centres
    labels: np.ndarray  # (n,) index of the nearest centre of each point
    inertia: list[float]  # within-cluster sum of squares after each iteration


def _lloyd(
    x: np.ndarray, k: int, n_iter: int, rng: np.random.Generator
) -> KMeansResult:
    centres = x[rng.choice(len(x), size=k, replace=False)].copy()
    labels = np.full(len(x), -1)
    inertia: list[float] = []
    for _ in range(n_iter):
        dist2 = ((x[:, None, :] - centres[None]) ** 2).sum(-1)  # (n, k)
        new_labels = dist2.argmin(1)
        inertia.append(float(dist2[np.arange(len(x)), new_labels].sum()))
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        for j in range(k):
            if np.any(labels == j):  # an empty cluster keeps its centre
                centres[j] = x[labels == j].mean(0)
    return KMeansResult(centres, labels, inertia)


def kmeans(
    x: np.ndarray,
    k: int,
    n_iter: int = 50,
    n_init: int = 1,
    rng: np.random.Generator | None = None,
) -> KMeansResult:
    """Cluster points with Lloyd's algorithm.

    Alternates two steps that each lower the within-cluster sum of squares:
    assign each point to its nearest centre, then move each centre to the mean
    of its points. Stops early when the assignment no longer changes. The result
    depends on the start and can be a poor local minimum, so the algorithm is
    run ``n_init`` times and the lowest final inertia is kept.

    Parameters
    ----------
    x
        Points, shape ``(n, d)``.
    k
        Number of clusters.
    n_iter
        Maximum number of iterations per run.
    n_init
        Number of runs from different random starts.
    rng
        Random generator for the initial centres (``k`` distinct points).

    Returns
    -------
    KMeansResult
        Centres, labels and the inertia history of the best run.

    Raises
    ------
    ValueError
        If ``x`` is not two-dimensional or ``k`` is out of range.

    Examples
    --------
    >>> x = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> res = kmeans(x, 2, rng=np.random.default_rng(0))
    >>> sorted(np.bincount(res.labels).tolist())
    [2, 2]
    """
    x = _check_points(x, k)
    rng = rng or np.random.default_rng()
    runs = [_lloyd(x, k, n_iter, rng) for _ in range(max(1, n_init))]
    return min(runs, key=lambda r: r.inertia[-1])


@dataclass
class GaussianMixture:
    """Parameters of a mixture of ``k`` Gaussians in ``d`` dimensions."""

    weights: np.ndarray  # (k,) mixing fractions, summing to 1
    means: np.ndarray  # (k, d)
    covs: np.ndarray  # (k, d, d)


def component_log_pdf(x: np.ndarray, gmm: GaussianMixture) -> np.ndarray:
    """Return ``log(pi_j N(x_i | mu_j, Sigma_j))`` for every point and component.

    Parameters
    ----------
    x
        Points, shape ``(n, d)``.
    gmm
        The mixture.

    Returns
    -------
    np.ndarray
        Shape ``(n, k)``.
    """
    d = x.shape[1]
    out = np.empty((len(x), len(gmm.weights)))
    for j, (w, mu, cov) in enumerate(
        zip(gmm.weights, gmm.means, gmm.covs, strict=True)
    ):
        chol = np.linalg.cholesky(cov)
        z = np.linalg.solve(chol, (x - mu).T)  # (d, n) whitened residuals
        log_det = 2 * np.log(np.diag(chol)).sum()
        out[:, j] = np.log(w) - 0.5 * ((z**2).sum(0) + log_det + d * np.log(2 * np.pi))
    return out


def e_step(x: np.ndarray, gmm: GaussianMixture) -> tuple[np.ndarray, float]:
    """Compute the responsibilities and the mean log-likelihood.

    Parameters
    ----------
    x
        Points, shape ``(n, d)``.
    gmm
        Current mixture.

    Returns
    -------
    resp : np.ndarray
        Shape ``(n, k)``: posterior probability that point ``i`` came from
        component ``j``; rows sum to 1.
    mean_log_likelihood : float
        ``(1/n) sum_i log p(x_i)`` in nats per point.
    """
    logp = component_log_pdf(x, gmm)
    log_norm = logsumexp(logp, axis=1, keepdims=True)
    return np.exp(logp - log_norm), float(log_norm.mean())


def m_step(x: np.ndarray, resp: np.ndarray, reg: float = 1e-6) -> GaussianMixture:
    """Refit weights, means and covariances from the responsibilities.

    Parameters
    ----------
    x
        Points, shape ``(n, d)``.
    resp
        Responsibilities, shape ``(n, k)``.
    reg
        Added to the covariance diagonals (squared feature units) so that a
        component collapsing on one point cannot make the likelihood infinite.

    Returns
    -------
    GaussianMixture
        The mixture that maximises the expected complete-data log-likelihood.
    """
    nk = resp.sum(0)  # (k,) effective number of points per component
    means = resp.T @ x / nk[:, None]
    covs = np.empty((len(nk), x.shape[1], x.shape[1]))
    for j in range(len(nk)):
        r = x - means[j]
        covs[j] = (resp[:, j, None] * r).T @ r / nk[j] + reg * np.eye(x.shape[1])
    return GaussianMixture(nk / len(x), means, covs)


def fit_gmm(
    x: np.ndarray,
    k: int,
    n_iter: int = 100,
    tol: float = 1e-6,
    rng: np.random.Generator | None = None,
) -> tuple[GaussianMixture, list[float]]:
    """Fit a Gaussian mixture by expectation-maximisation.

    Starts from ``k`` random points as means with the data covariance, then
    alternates :func:`e_step` and :func:`m_step`. Each iteration cannot lower
    the likelihood; it may stop in a local maximum, so in practice one restarts
    from several seeds.

    Parameters
    ----------
    x
        Points, shape ``(n, d)``.
    k
        Number of components.
    n_iter
        Maximum number of iterations.
    tol
        Stop when the mean log-likelihood rises by less than this (nats).
    rng
        Random generator for the start.

    Returns
    -------
    gmm : GaussianMixture
        The fitted mixture.
    history : list of float
        Mean log-likelihood (nats per point) before each M step.

    Raises
    ------
    ValueError
        If ``x`` is not two-dimensional or ``k`` is out of range.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = np.concatenate([rng.normal(-3, 1, (200, 1)), rng.normal(3, 1, (200, 1))])
    >>> gmm, _ = fit_gmm(x, 2, rng=rng)
    >>> np.round(np.sort(gmm.means[:, 0]))
    array([-3.,  3.])
    """
    x = _check_points(x, k)
    rng = rng or np.random.default_rng()
    cov = np.cov(x.T).reshape(x.shape[1], x.shape[1])
    gmm = GaussianMixture(
        np.full(k, 1 / k),
        x[rng.choice(len(x), size=k, replace=False)].copy(),
        np.repeat(cov[None], k, axis=0),
    )
    history: list[float] = []
    for _ in range(n_iter):
        resp, ll = e_step(x, gmm)
        history.append(ll)
        if len(history) > 1 and history[-1] - history[-2] < tol:
            break
        gmm = m_step(x, resp)
    log.debug("EM stopped after %d iterations, log L/n = %.4f", len(history), ll)
    return gmm, history


@dataclass
class PCAResult:
    """Outcome of :func:`pca`."""

    mean: np.ndarray  # (d,) mean of the data
    components: np.ndarray  # (m, d) orthonormal principal directions, by variance
    variance: np.ndarray  # (m,) variance along each direction (squared units)
    variance_ratio: np.ndarray  # (m,) fraction of the total variance


def pca(x: np.ndarray, n_components: int | None = None) -> PCAResult:
    """Find the directions of largest variance through a singular value decomposition.

    Parameters
    ----------
    x
        Points, shape ``(n, d)``.
    n_components
        Number of directions to keep (all ``min(n, d)`` by default).

    Returns
    -------
    PCAResult
        Mean, principal directions and their variances.

    Raises
    ------
    ValueError
        If ``x`` is not two-dimensional or ``n_components`` is out of range.

    Examples
    --------
    >>> x = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    >>> np.round(np.abs(pca(x, 1).components), 3)
    array([[0.707, 0.707]])
    """
    x = _check_points(x, 1)
    m = n_components or min(x.shape)
    if not 1 <= m <= min(x.shape):
        msg = f"n_components={m} must lie in [1, {min(x.shape)}] for {x.shape}."
        raise ValueError(msg)
    mean = x.mean(0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    var = s**2 / (len(x) - 1)
    return PCAResult(mean, vt[:m], var[:m], var[:m] / var.sum())


def pca_project(x: np.ndarray, result: PCAResult) -> np.ndarray:
    """Return the coordinates of points along the principal directions.

    Parameters
    ----------
    x
        Points, shape ``(n, d)``.
    result
        Output of :func:`pca`.

    Returns
    -------
    np.ndarray
        Shape ``(n, m)``.
    """
    return (np.asarray(x, dtype=float) - result.mean) @ result.components.T
