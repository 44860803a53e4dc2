"""Flat event features for classifiers: missing objects, scaling, MLP, autoencoder.

An event-level data set such as ``stop4body`` has one row of numbers per event,
but some of them describe an object the event may not have: the b-tagged jet
fields are NaN when no jet lies in the acceptance. A network cannot take NaN, and
replacing it by a "magic" number such as -999 puts a fake, far-away cluster in the
inputs that the network must learn to ignore. Here a missing object becomes

* an indicator column ``has_<object>`` (1 present, 0 missing), and
* its fields imputed with the median of the present values in the *training*
  split, so the imputed rows sit in the bulk of the distribution.

Scaling (zero mean, unit variance per column) is fitted on the training split
only and lives inside the networks as buffers (:class:`Standardiser`), so it is
saved with the weights and cannot be refitted by mistake on test data.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"met": [250.0, 300.0], "bjet_pt": [40.0, np.nan]})
>>> prep = TabularPreprocessor(["met", "bjet_pt"], optional={"bjet": ["bjet_pt"]})
>>> prep.fit(df).transform(df).tolist()
[[250.0, 40.0, 1.0], [300.0, 40.0, 0.0]]
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from torch import Tensor, nn
from torch.nn import functional as F

log = logging.getLogger(__name__)

#: Fields of the jet with the highest b-tag score; NaN when the event has none.
BJET_FIELDS: tuple[str, ...] = ("bjet_pt", "bjet_score", "dr_lep_bjet")
#: Values at or below this are taken for a magic "missing" number, never physics.
MAGIC_THRESHOLD = -900.0


@dataclass
class TabularPreprocessor:
    """Select feature columns, flag and impute missing objects, log-transform.

    Parameters
    ----------
    features
        Columns to use, in this order.
    optional
        Object name -> its columns; a row misses the object when any of them is
        NaN. Each object adds an indicator column ``has_<name>`` after the
        features. NaN in a column not listed here is an error.
    log_features
        Positive columns replaced by their natural logarithm (energies and
        momenta in GeV, whose distributions span decades).

    Attributes
    ----------
    fill_values
        Per optional column, the training median of its present values (after the
        log transform where it applies); set by :meth:`fit`.
    """

    features: Sequence[str]
    optional: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: {"bjet": BJET_FIELDS}
    )
    log_features: Sequence[str] = ()
    fill_values: dict[str, float] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.features = list(self.features)
        unknown = [
            c for cols in self.optional.values() for c in cols if c not in self.features
        ]
        unknown += [c for c in self.log_features if c not in self.features]
        if unknown:
            msg = f"columns {unknown} are not among the features {self.features}."
            raise ValueError(msg)

    @property
    def output_names(self) -> list[str]:
        """Names of the output columns: the features, then the indicators."""
        return [*self.features, *(f"has_{name}" for name in self.optional)]

    def _columns(self, frame: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            msg = f"the table lacks the columns {missing}."
            raise KeyError(msg)
        x = frame[self.features].to_numpy(dtype=np.float64, copy=True)
        optional = {c for cols in self.optional.values() for c in cols}
        for j, name in enumerate(self.features):
            column = x[:, j]
            if (column <= MAGIC_THRESHOLD).any():
                msg = (
                    f"column {name!r} holds values <= {MAGIC_THRESHOLD}, a magic "
                    "number for a missing object: store NaN instead and list the "
                    "column in `optional`."
                )
                raise ValueError(msg)
            if np.isnan(column).any() and name not in optional:
                msg = (
                    f"column {name!r} holds NaN but is not an optional object field: "
                    "add it to `optional` or fix the data."
                )
                raise ValueError(msg)
            if name in self.log_features:
                present = column[~np.isnan(column)]
                if (present <= 0).any():
                    msg = f"log feature {name!r} needs positive values."
                    raise ValueError(msg)
                x[:, j] = np.log(column)
        return x

    def fit(self, train: pd.DataFrame) -> TabularPreprocessor:
        """Learn the imputation values from the training split.

        Parameters
        ----------
        train
            Training events, one row each, holding the feature columns.

        Returns
        -------
        TabularPreprocessor
            ``self``.

        Raises
        ------
        ValueError
            If an optional column has no present value in ``train``.
        """
        x = self._columns(train)
        self.fill_values = {}
        for cols in self.optional.values():
            for name in cols:
                column = x[:, self.features.index(name)]
                if np.isnan(column).all():
                    msg = f"optional column {name!r} is missing in every training row."
                    raise ValueError(msg)
                self.fill_values[name] = float(np.nanmedian(column))
        log.info("imputation values (training medians): %s", self.fill_values)
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Features with missing objects imputed, followed by the indicators.

        Parameters
        ----------
        frame
            Events of any split, holding the feature columns.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, len(output_names))``, float32, no NaN.

        Raises
        ------
        RuntimeError
            If called before :meth:`fit`.
        """
        if not self.fill_values and self.optional:
            msg = "call fit() on the training split before transform()."
            raise RuntimeError(msg)
        x = self._columns(frame)
        indicators = []
        for cols in self.optional.values():
            idx = [self.features.index(c) for c in cols]
            absent = np.isnan(x[:, idx]).any(axis=1)
            for name, j in zip(cols, idx, strict=True):
                x[absent, j] = self.fill_values[name]
            indicators.append((~absent).astype(np.float64))
        out = np.column_stack([x, *indicators]) if indicators else x
        return out.astype(np.float32)


def class_balanced_weights(labels: ArrayLike, weight_pb: ArrayLike) -> np.ndarray:
    """Training weights: physics weights within a class, equal total per class.

    Within the background the processes keep their cross-section proportions (a
    W+jets event counts as much as it does in data); the signal as a whole gets
    the same total weight as the background, so the loss does not ignore the rare
    class. The result has mean 1 over all events.

    Parameters
    ----------
    labels
        Class of each event (0 background, 1 signal, or more classes), shape
        ``(n,)``.
    weight_pb
        Cross section per event [pb], shape ``(n,)``, non-negative.

    Returns
    -------
    numpy.ndarray
        Weights, shape ``(n,)``, float32.

    Examples
    --------
    >>> class_balanced_weights([0, 0, 1], [3.0, 1.0, 0.01]).tolist()
    [1.125, 0.375, 1.5]
    """
    y = np.asarray(labels)
    w = np.asarray(weight_pb, dtype=np.float64)
    if y.shape != w.shape or y.ndim != 1:
        msg = f"labels and weights need equal 1-d shapes; got {y.shape}, {w.shape}."
        raise ValueError(msg)
    if (w < 0).any() or not np.isfinite(w).all():
        msg = "weights must be finite and non-negative."
        raise ValueError(msg)
    classes = np.unique(y)
    out = np.empty_like(w)
    for c in classes:
        sel = y == c
        if w[sel].sum() <= 0:
            msg = f"class {c} has zero total weight."
            raise ValueError(msg)
        out[sel] = w[sel] / w[sel].sum() * len(y) / len(classes)
    return out.astype(np.float32)


class Standardiser(nn.Module):
    """Zero mean, unit variance per column, with the statistics as buffers.

    Parameters
    ----------
    mean, std
        Per-column statistics, shapes ``(n_features,)``.
    """

    def __init__(self, mean: Tensor, std: Tensor) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))

    @classmethod
    def fit(cls, x_train: ArrayLike | Tensor) -> Standardiser:
        """Statistics of the training inputs (constant columns keep std 1).

        Parameters
        ----------
        x_train
            Training inputs, shape ``(n, n_features)``, no NaN.

        Returns
        -------
        Standardiser
            The fitted module.
        """
        x = torch.as_tensor(np.asarray(x_train), dtype=torch.float64)
        if x.ndim != 2 or not torch.isfinite(x).all():
            msg = "x_train must be a finite 2-d array (impute missing values first)."
            raise ValueError(msg)
        std = x.std(dim=0, unbiased=False)
        std = torch.where(std > 1e-12, std, torch.ones_like(std))
        return cls(x.mean(dim=0).float(), std.float())

    def forward(self, x: Tensor) -> Tensor:
        """Scaled inputs, shape ``(n, n_features)``."""
        return (x - self.mean) / self.std


def _mlp(sizes: Sequence[int], dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class MLPClassifier(nn.Module):
    """Fully connected binary classifier on flat event features.

    Parameters
    ----------
    scaler
        Standardiser fitted on the training inputs.
    hidden
        Widths of the hidden layers.
    dropout
        Dropout probability after each hidden layer.
    """

    def __init__(
        self,
        scaler: Standardiser,
        hidden: Sequence[int] = (64, 64),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.scaler = scaler
        self.net = _mlp([len(scaler.mean), *hidden, 1], dropout)

    def forward(self, x: Tensor) -> Tensor:
        """Logits, shape ``(n,)``, for inputs of shape ``(n, n_features)``."""
        return self.net(self.scaler(x)).squeeze(-1)


class TabularAutoencoder(nn.Module):
    """Autoencoder of standardised event features through a narrow bottleneck.

    Trained on background only, it reconstructs background-like events well; the
    reconstruction error (:meth:`anomaly_score`) is large for events unlike the
    training sample. It flags any departure from the background, including
    badly simulated background tails, not specifically a signal.

    Parameters
    ----------
    scaler
        Standardiser fitted on the training inputs.
    hidden
        Widths of the encoder's hidden layers (the decoder mirrors them).
    latent
        Width of the bottleneck.
    """

    def __init__(
        self, scaler: Standardiser, hidden: Sequence[int] = (32,), latent: int = 3
    ) -> None:
        super().__init__()
        n = len(scaler.mean)
        if not 0 < latent < n:
            msg = f"latent must lie between 1 and n_features - 1 = {n - 1}."
            raise ValueError(msg)
        self.scaler = scaler
        self.encoder = _mlp([n, *hidden, latent], 0.0)
        self.decoder = _mlp([latent, *reversed(hidden), n], 0.0)

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruction in standardised units, shape ``(n, n_features)``."""
        return self.decoder(self.encoder(self.scaler(x)))

    def anomaly_score(self, x: Tensor) -> Tensor:
        """Mean squared reconstruction error per event (standardised), ``(n,)``."""
        return ((self(x) - self.scaler(x)) ** 2).mean(dim=-1)


def weighted_bce_loss(model: nn.Module, x: Tensor, y: Tensor, w: Tensor) -> Tensor:
    """Weighted binary cross-entropy of a logit model, for ``training.fit``.

    Parameters
    ----------
    model
        Returns logits of shape ``(n,)``.
    x, y, w
        Inputs ``(n, n_features)``, labels 0/1 ``(n,)`` and weights ``(n,)``.

    Returns
    -------
    Tensor
        Scalar: sum of weighted losses over the sum of weights.
    """
    losses = F.binary_cross_entropy_with_logits(model(x), y, reduction="none")
    return (w * losses).sum() / w.sum()


def weighted_reconstruction_loss(
    model: TabularAutoencoder, x: Tensor, w: Tensor
) -> Tensor:
    """Weighted mean reconstruction error of an autoencoder, for ``training.fit``.

    Parameters
    ----------
    model
        The autoencoder.
    x, w
        Inputs ``(n, n_features)`` and weights ``(n,)``.

    Returns
    -------
    Tensor
        Scalar loss.
    """
    return (w * model.anomaly_score(x)).sum() / w.sum()
