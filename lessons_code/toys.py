"""Toy problems whose answer is known exactly, for the first two lectures.

Two toys live here. :class:`GaussianToy` draws "signal" and "background" from two
two-dimensional Gaussians, so the likelihood ratio of any point is known in closed
form and a trained classifier can be compared with the best possible one (the
Neyman-Pearson lemma). :func:`noisy_sine` and :func:`bias_variance_scan` fit
polynomials to noisy samples of a known curve, so the bias and the variance of a
fit can be measured rather than guessed.

The features of the toys are dimensionless.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.polynomial import Polynomial
from scipy.stats import multivariate_normal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GaussianToy:
    """Signal and background as two 2-d Gaussians with different covariances.

    Because the covariances differ, the log-likelihood ratio is quadratic in the
    features: a linear classifier cannot reach it, a small network can.

    Parameters
    ----------
    mean_sig, mean_bkg
        Means of the two classes, shape ``(2,)``.
    cov_sig, cov_bkg
        Covariance matrices, shape ``(2, 2)``, symmetric positive definite.

    Examples
    --------
    >>> toy = GaussianToy()
    >>> x, y = toy.sample(500, seed=1)
    >>> x.shape, y.shape, float(y.mean())
    ((1000, 2), (1000,), 0.5)
    """

    mean_sig: tuple[float, float] = (1.0, 0.5)
    mean_bkg: tuple[float, float] = (-0.5, 0.0)
    cov_sig: tuple[tuple[float, float], ...] = ((0.6, 0.3), (0.3, 0.8))
    cov_bkg: tuple[tuple[float, float], ...] = field(default=((1.6, -0.4), (-0.4, 1.2)))

    def _dists(self) -> tuple[multivariate_normal, multivariate_normal]:
        return (
            multivariate_normal(self.mean_sig, self.cov_sig),
            multivariate_normal(self.mean_bkg, self.cov_bkg),
        )

    def sample(self, n_per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Draw a balanced, shuffled labelled sample.

        Parameters
        ----------
        n_per_class
            Number of points of each class.
        seed
            Seed of the random generator.

        Returns
        -------
        x : numpy.ndarray
            Features, shape ``(2 * n_per_class, 2)``.
        y : numpy.ndarray
            Labels, shape ``(2 * n_per_class,)``: 1 for signal, 0 for background.

        Raises
        ------
        ValueError
            If ``n_per_class`` is not positive.
        """
        if n_per_class <= 0:
            msg = f"n_per_class must be positive, got {n_per_class}."
            raise ValueError(msg)
        rng = np.random.default_rng(seed)
        sig, bkg = self._dists()
        x = np.concatenate(
            [
                sig.rvs(n_per_class, random_state=rng).reshape(-1, 2),
                bkg.rvs(n_per_class, random_state=rng).reshape(-1, 2),
            ]
        )
        y = np.concatenate([np.ones(n_per_class), np.zeros(n_per_class)])
        perm = rng.permutation(len(y))
        return x[perm], y[perm]

    def log_likelihood_ratio(self, x: np.ndarray) -> np.ndarray:
        """Exact ``log p(x | signal) - log p(x | background)``.

        Parameters
        ----------
        x
            Points, shape ``(N, 2)``.

        Returns
        -------
        numpy.ndarray
            Shape ``(N,)``.
        """
        sig, bkg = self._dists()
        x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
        return sig.logpdf(x) - bkg.logpdf(x)


def noisy_sine(
    n: int, noise: float = 0.3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``y = sin(2 pi x) + noise`` at ``n`` uniform points ``x`` in [0, 1].

    Parameters
    ----------
    n
        Number of points.
    noise
        Standard deviation of the Gaussian noise on ``y``.
    seed
        Seed of the random generator.

    Returns
    -------
    x : numpy.ndarray
        Shape ``(n,)``, sorted.
    y : numpy.ndarray
        Shape ``(n,)``.

    Raises
    ------
    ValueError
        If ``n`` is not positive or ``noise`` is negative.

    Examples
    --------
    >>> x, y = noisy_sine(5, noise=0.0)
    >>> bool(np.allclose(y, np.sin(2 * np.pi * x)))
    True
    """
    if n <= 0 or noise < 0:
        msg = f"need n > 0 and noise >= 0, got n={n}, noise={noise}."
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 1.0, n))
    return x, np.sin(2 * np.pi * x) + rng.normal(0.0, noise, n)


def fit_polynomial(x: np.ndarray, y: np.ndarray, degree: int) -> Polynomial:
    """Least-squares polynomial fit (well conditioned: the domain is rescaled).

    Parameters
    ----------
    x, y
        Data, shape ``(n,)`` each.
    degree
        Polynomial degree; must be below ``n``.

    Returns
    -------
    numpy.polynomial.Polynomial
        Callable fitted polynomial.

    Raises
    ------
    ValueError
        If there are not more points than coefficients.
    """
    if degree < 0 or degree >= len(x):
        msg = (
            f"a degree-{degree} fit needs more than {degree} points and a "
            f"non-negative degree; got {len(x)} points."
        )
        raise ValueError(msg)
    return Polynomial.fit(x, y, degree)


def bias_variance_scan(
    degrees: Sequence[int],
    n_train: int = 20,
    n_repeats: int = 200,
    noise: float = 0.3,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Measure bias squared, variance and test error of polynomial fits.

    For each degree we fit ``n_repeats`` independent training sets of
    :func:`noisy_sine` and evaluate the fits on a fixed grid of 200 points.
    With ``f`` the true curve and ``f̂`` a fit, averaged over the grid:
    ``bias² = (E[f̂] - f)²`` and ``variance = E[(f̂ - E[f̂])²]``. The test error
    is measured separately, on fresh noisy points at the grid; on average it
    equals ``bias² + variance + noise²``.

    Parameters
    ----------
    degrees
        Polynomial degrees to scan.
    n_train
        Points per training set.
    n_repeats
        Number of training sets per degree.
    noise
        Standard deviation of the noise.
    seed
        Seed of the first training set; the others follow.

    Returns
    -------
    dict of str to numpy.ndarray
        Keys ``"degree"``, ``"bias2"``, ``"variance"``, ``"test_mse"``, each of
        shape ``(len(degrees),)``.
    """
    grid = np.linspace(0.0, 1.0, 200)
    rng = np.random.default_rng(seed + 10**6)
    truth = np.sin(2 * np.pi * grid)
    out: dict[str, list[float]] = {"bias2": [], "variance": [], "test_mse": []}
    for degree in degrees:
        preds = np.empty((n_repeats, grid.size))
        for r in range(n_repeats):
            x, y = noisy_sine(n_train, noise, seed + r)
            preds[r] = fit_polynomial(x, y, degree)(grid)
        mean_pred = preds.mean(axis=0)
        bias2 = float(np.mean((mean_pred - truth) ** 2))
        variance = float(np.mean(preds.var(axis=0)))
        out["bias2"].append(bias2)
        out["variance"].append(variance)
        y_new = truth + rng.normal(0.0, noise, preds.shape)
        out["test_mse"].append(float(np.mean((preds - y_new) ** 2)))
    result = {k: np.asarray(v) for k, v in out.items()}
    result["degree"] = np.asarray(degrees)
    return result
