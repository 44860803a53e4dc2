"""Overfitting made visible: training and validation loss of a network, by epoch.

A wide network trained on a small, noisy regression sample memorises the noise:
its training loss keeps falling while the validation loss turns up. The lecture
runs :func:`train_curves` with and without weight decay and reads off where
early stopping would have stopped.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch import nn

log = logging.getLogger(__name__)


def wide_regressor(width: int = 128, seed: int = 0) -> nn.Module:
    """A one-input, one-output network with two wide tanh hidden layers.

    Parameters
    ----------
    width
        Width of each hidden layer.
    seed
        Seed of the weight initialisation.

    Returns
    -------
    torch.nn.Module
        Maps ``(N, 1)`` to ``(N, 1)``.
    """
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(1, width),
        nn.Tanh(),
        nn.Linear(width, width),
        nn.Tanh(),
        nn.Linear(width, 1),
    )


def train_curves(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    n_epochs: int = 2000,
    weight_decay: float = 0.0,
    lr: float = 0.01,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Fit :func:`wide_regressor` by full-batch Adam on the mean squared error.

    Parameters
    ----------
    x_train, y_train
        Training inputs and targets, shape ``(N,)`` each.
    x_valid, y_valid
        Validation inputs and targets, shape ``(M,)`` each; never used for
        updates.
    n_epochs
        Number of full-batch updates.
    weight_decay
        Coefficient ``lambda`` of decoupled weight decay (AdamW): each step
        shrinks every weight by ``lr * lambda`` of itself, the gradient-descent
        image of an L2 penalty.
    lr
        Learning rate.
    seed
        Seed of the initial weights.

    Returns
    -------
    dict of str to numpy.ndarray
        ``"train"`` and ``"valid"``: mean squared error before each epoch,
        shape ``(n_epochs,)``; ``"best_epoch"``: the epoch of lowest
        validation loss (where early stopping with unlimited patience stops),
        shape ``()``; ``"grid"`` and ``"prediction"``: the final model on 200
        points spanning the inputs, shape ``(200,)`` each.

    Raises
    ------
    ValueError
        If ``n_epochs`` is not positive.
    """
    if n_epochs <= 0:
        msg = f"n_epochs must be positive, got {n_epochs}."
        raise ValueError(msg)

    def col(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a), dtype=torch.float32).reshape(-1, 1)

    xt, yt, xv, yv = col(x_train), col(y_train), col(x_valid), col(y_valid)
    model = wide_regressor(seed=seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.MSELoss()
    train, valid = np.empty(n_epochs), np.empty(n_epochs)
    for epoch in range(n_epochs):
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        with torch.no_grad():
            valid[epoch] = float(loss_fn(model(xv), yv))
        train[epoch] = loss.item()
        opt.step()
    lo = float(min(x_train.min(), x_valid.min()))
    hi = float(max(x_train.max(), x_valid.max()))
    grid = np.linspace(lo, hi, 200)
    with torch.no_grad():
        prediction = model(col(grid)).numpy().ravel()
    best = int(np.argmin(valid))
    log.info("best validation MSE %.4f at epoch %d", valid[best], best)
    return {
        "train": train,
        "valid": valid,
        "best_epoch": np.asarray(best),
        "grid": grid,
        "prediction": prediction,
    }
