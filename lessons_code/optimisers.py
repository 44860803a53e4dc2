"""Compare gradient-descent optimisers on one problem, from one starting point.

The lecture on supervised learning trains the same small network with full-batch
gradient descent, stochastic gradient descent, SGD with momentum and Adam, and
draws the training loss against the step. Everything else (data, network,
initial weights, number of steps) is shared, so the curves differ only by the
update rule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

log = logging.getLogger(__name__)

#: Update rules compared in the lecture, with their learning rates. Each was
#: picked from a coarse scan (0.01, 0.03, 0.1, 0.3, 1) as the largest that stays
#: stable on the Gaussian toy.
DEFAULT_OPTIMISERS: dict[
    str, Callable[[Sequence[nn.Parameter]], torch.optim.Optimizer]
] = {
    "GD (full batch)": lambda p: torch.optim.SGD(p, lr=0.3),
    "SGD (batch 32)": lambda p: torch.optim.SGD(p, lr=0.3),
    "SGD + momentum 0.9": lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.9),
    "Adam": lambda p: torch.optim.Adam(p, lr=0.01),
}


def small_mlp(n_in: int = 2, width: int = 16, seed: int = 0) -> nn.Module:
    """A two-hidden-layer tanh network with one logit output.

    Parameters
    ----------
    n_in
        Number of input features.
    width
        Width of each hidden layer.
    seed
        Seed of the weight initialisation.

    Returns
    -------
    torch.nn.Module
        Maps ``(N, n_in)`` to logits of shape ``(N, 1)``.
    """
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(n_in, width),
        nn.Tanh(),
        nn.Linear(width, width),
        nn.Tanh(),
        nn.Linear(width, 1),
    )


def compare_optimisers(
    x: np.ndarray,
    y: np.ndarray,
    n_steps: int = 300,
    batch_size: int = 32,
    optimisers: dict[str, Callable] | None = None,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Train the same network with each optimiser and record the training loss.

    Every optimiser starts from the same initial weights and takes ``n_steps``
    updates. Names that contain ``"full batch"`` use all of ``x`` at every step;
    the others draw a fresh mini-batch of ``batch_size`` each step (the same
    sequence of mini-batches for all of them). After every step the loss is
    evaluated on the full training set, so the curves are comparable.

    Parameters
    ----------
    x
        Features, shape ``(N, D)``.
    y
        Labels 0 or 1, shape ``(N,)``.
    n_steps
        Number of updates per optimiser.
    batch_size
        Mini-batch size of the stochastic optimisers.
    optimisers
        Map from a label to a function that builds a ``torch.optim`` optimiser
        from the parameters; :data:`DEFAULT_OPTIMISERS` when None.
    seed
        Seed of the initial weights and of the mini-batch sequence.

    Returns
    -------
    dict of str to numpy.ndarray
        For each label, the mean binary cross-entropy on the full training set
        before each step and after the last, shape ``(n_steps + 1,)``.

    Raises
    ------
    ValueError
        If ``x`` and ``y`` disagree in length or ``batch_size`` exceeds it.
    """
    if len(x) != len(y) or not 0 < batch_size <= len(x):
        msg = (
            f"need len(x) == len(y) >= batch_size > 0; got {len(x)}, {len(y)} "
            f"and batch_size={batch_size}."
        )
        raise ValueError(msg)
    optimisers = DEFAULT_OPTIMISERS if optimisers is None else optimisers
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
    gen = torch.Generator().manual_seed(seed)
    batches = [
        torch.randperm(len(x), generator=gen)[:batch_size] for _ in range(n_steps)
    ]
    loss_fn = nn.BCEWithLogitsLoss()
    curves: dict[str, np.ndarray] = {}
    for name, make in optimisers.items():
        model = small_mlp(x.shape[1], seed=seed)
        opt = make(list(model.parameters()))
        full = "full batch" in name
        history = []
        for step in range(n_steps + 1):
            with torch.no_grad():
                history.append(float(loss_fn(model(xt), yt)))
            if step == n_steps:
                break
            idx = slice(None) if full else batches[step]
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
        curves[name] = np.asarray(history)
        log.info("%s: final training loss %.4f", name, history[-1])
    return curves
