"""Performance figures the way analyses quote them, with event weights.

Signal efficiency is the (weighted) fraction of signal that passes a cut on a
score; background rejection is one over the background efficiency at the same
cut. ROC curves here are drawn as background rejection (or efficiency) against
signal efficiency, the convention of LHC taggers, rather than true-positive rate
against false-positive rate.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike
from sklearn import metrics as skm

log = logging.getLogger(__name__)


def _prepare(
    labels: ArrayLike, scores: ArrayLike, weights: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(labels)
    s = np.asarray(scores, dtype=np.float64)
    if y.ndim != 1 or s.shape != y.shape:
        msg = (
            f"labels and scores must be 1-d and of equal length; got shapes "
            f"{y.shape} and {s.shape}."
        )
        raise ValueError(msg)
    if not np.isin(y, (0, 1)).all():
        msg = "labels must be 0 (background) or 1 (signal)."
        raise ValueError(msg)
    if not (y == 1).any() or not (y == 0).any():
        msg = "labels need at least one signal (1) and one background (0) example."
        raise ValueError(msg)
    if not np.isfinite(s).all():
        msg = (
            f"{int((~np.isfinite(s)).sum())} scores are NaN or infinite: fix the "
            "model output before computing metrics."
        )
        raise ValueError(msg)
    w = np.ones_like(s) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != s.shape or (w < 0).any():
        msg = "weights must be non-negative and have the shape of the scores."
        raise ValueError(msg)
    return y.astype(np.int64), s, w


def roc(
    labels: ArrayLike, scores: ArrayLike, weights: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signal and background efficiencies of every cut ``score >= threshold``.

    Parameters
    ----------
    labels
        1 for signal, 0 for background, shape ``(n,)``.
    scores
        Higher means more signal-like, shape ``(n,)``.
    weights
        Non-negative event weights, shape ``(n,)``; unit weights if None.

    Returns
    -------
    eff_signal, eff_background, thresholds
        Arrays of equal length, efficiencies increasing from 0 to 1.

    Examples
    --------
    >>> es, eb, _ = roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> float(es[-1]), float(eb[-1])
    (1.0, 1.0)
    """
    y, s, w = _prepare(labels, scores, weights)
    fpr, tpr, thresholds = skm.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    return tpr, fpr, thresholds


def auc(
    labels: ArrayLike, scores: ArrayLike, weights: ArrayLike | None = None
) -> float:
    """Area under the ROC curve: probability that signal scores above background.

    Parameters
    ----------
    labels, scores, weights
        As for :func:`roc`.

    Returns
    -------
    float
        0.5 for a random score, 1 for a perfect one.

    Examples
    --------
    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y, s, w = _prepare(labels, scores, weights)
    return float(skm.roc_auc_score(y, s, sample_weight=w))


def background_efficiency_at(
    signal_efficiency: float | ArrayLike,
    labels: ArrayLike,
    scores: ArrayLike,
    weights: ArrayLike | None = None,
) -> np.ndarray | float:
    """Background efficiency of the cut that keeps a given signal efficiency.

    Parameters
    ----------
    signal_efficiency
        Target signal efficiency (or several), in (0, 1].
    labels, scores, weights
        As for :func:`roc`.

    Returns
    -------
    float or numpy.ndarray
        Background efficiency, linearly interpolated along the ROC curve.
    """
    target = np.asarray(signal_efficiency, dtype=np.float64)
    if ((target <= 0) | (target > 1)).any():
        msg = f"signal efficiencies must lie in (0, 1]; got {target}."
        raise ValueError(msg)
    eff_s, eff_b, _ = roc(labels, scores, weights)
    # Several cuts can keep the same signal efficiency: the best is the first,
    # which keeps the least background.
    eff_s, first = np.unique(eff_s, return_index=True)
    out = np.interp(target, eff_s, eff_b[first])
    return float(out) if out.ndim == 0 else out


def rejection_at(
    signal_efficiency: float | ArrayLike,
    labels: ArrayLike,
    scores: ArrayLike,
    weights: ArrayLike | None = None,
) -> np.ndarray | float:
    """Background rejection 1 / efficiency at a given signal efficiency.

    Parameters
    ----------
    signal_efficiency, labels, scores, weights
        As for :func:`background_efficiency_at`.

    Returns
    -------
    float or numpy.ndarray
        The rejection; ``inf`` where no background passes.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.r_[np.zeros(1000), np.ones(1000)]
    >>> s = y + rng.normal(size=2000)
    >>> 1 < rejection_at(0.5, y, s) < 100
    True
    """
    eff_b = background_efficiency_at(signal_efficiency, labels, scores, weights)
    eff_b = np.asarray(eff_b)
    with np.errstate(divide="ignore"):
        out = np.where(eff_b > 0, 1.0 / np.maximum(eff_b, 1e-300), np.inf)
    return float(out) if out.ndim == 0 else out


def threshold_at(
    signal_efficiency: float,
    scores: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Cut value on a signal sample's scores that keeps ``signal_efficiency``.

    Parameters
    ----------
    signal_efficiency
        Fraction (weighted) of the signal to keep, in (0, 1].
    scores
        Scores of signal examples only, shape ``(n,)``.
    weights
        Their weights; unit weights if None.

    Returns
    -------
    float
        Threshold ``t`` such that the weighted fraction with ``score >= t`` is the
        smallest that reaches ``signal_efficiency``.
    """
    if not 0 < signal_efficiency <= 1:
        msg = f"signal_efficiency must lie in (0, 1]; got {signal_efficiency}."
        raise ValueError(msg)
    s = np.asarray(scores, dtype=np.float64)
    w = np.ones_like(s) if weights is None else np.asarray(weights, dtype=np.float64)
    if s.size == 0:
        msg = "threshold_at needs at least one signal score."
        raise ValueError(msg)
    order = np.argsort(-s, kind="stable")
    kept = np.cumsum(w[order]) / w.sum()
    i = int(np.searchsorted(kept, signal_efficiency - 1e-12))
    return float(s[order][min(i, len(s) - 1)])
