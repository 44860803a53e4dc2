"""A toy for classification without labels (CWoLa).

Two features per event, in dimensionless units: background is a broad Gaussian,
signal a narrow one off-centre. Two mixed samples with different signal
fractions stand for, e.g., a signal region and a sideband; a classifier trained to
tell the mixtures apart learns the signal-versus-background likelihood ratio up
to a monotonic map (Metodiev, Nachman and Thaler, arXiv:1708.02949).
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.stats import multivariate_normal

log = logging.getLogger(__name__)

#: Mean and covariance of the toy signal and background (dimensionless features).
SIGNAL_MEAN = np.array([1.0, 1.0])
SIGNAL_COV = np.array([[0.3, 0.1], [0.1, 0.3]])
BACKGROUND_MEAN = np.zeros(2)
BACKGROUND_COV = np.eye(2) * 1.5


def sample(n: int, signal: bool, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` signal or background events, shape ``(n, 2)``."""
    mean, cov = (
        (SIGNAL_MEAN, SIGNAL_COV) if signal else (BACKGROUND_MEAN, BACKGROUND_COV)
    )
    return rng.multivariate_normal(mean, cov, size=n)


def mixed_sample(
    n: int, signal_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a mixture of signal and background.

    Parameters
    ----------
    n
        Number of events.
    signal_fraction
        Expected fraction of signal, in ``[0, 1]``.
    rng
        Random generator.

    Returns
    -------
    x : np.ndarray
        Features, shape ``(n, 2)``.
    is_signal : np.ndarray
        True labels, shape ``(n,)``, bool; a real analysis never sees these.

    Raises
    ------
    ValueError
        If ``signal_fraction`` is outside ``[0, 1]``.

    Examples
    --------
    >>> x, y = mixed_sample(1000, 0.2, np.random.default_rng(0))
    >>> x.shape, bool(0.15 < y.mean() < 0.25)
    ((1000, 2), True)
    """
    if not 0.0 <= signal_fraction <= 1.0:
        msg = f"signal_fraction={signal_fraction} must lie in [0, 1]."
        raise ValueError(msg)
    is_signal = rng.random(n) < signal_fraction
    x = np.empty((n, 2))
    x[is_signal] = sample(int(is_signal.sum()), True, rng)
    x[~is_signal] = sample(int((~is_signal).sum()), False, rng)
    return x, is_signal


def likelihood_ratio(x: np.ndarray) -> np.ndarray:
    """Return the exact ``p_signal(x) / p_background(x)``, shape ``(n,)``."""
    p_s = multivariate_normal(SIGNAL_MEAN, SIGNAL_COV).pdf(x)
    p_b = multivariate_normal(BACKGROUND_MEAN, BACKGROUND_COV).pdf(x)
    return p_s / p_b


def mixture_ratio(ratio: np.ndarray, f1: float, f2: float) -> np.ndarray:
    """Map the signal/background ratio to the ratio of two mixtures.

    ``p_1 / p_2 = (f1 L + 1 - f1) / (f2 L + 1 - f2)`` with ``L`` the signal to
    background likelihood ratio; it increases with ``L`` whenever ``f1 > f2``,
    which is why the mixture classifier is optimal for signal against background.

    Parameters
    ----------
    ratio
        Signal-to-background likelihood ratio ``L``, any shape.
    f1, f2
        Signal fractions of the two mixtures.

    Returns
    -------
    np.ndarray
        The mixture likelihood ratio, same shape as ``ratio``.

    Examples
    --------
    >>> mixture_ratio(np.array([0.0, 1.0, 10.0]), 0.5, 0.0)
    array([0.5, 1. , 5.5])
    """
    return (f1 * ratio + 1 - f1) / (f2 * ratio + 1 - f2)
