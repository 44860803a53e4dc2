"""One training loop for every network of the exercises.

The data stay in memory as tensors; an epoch walks through a seeded random
permutation of the rows in mini-batches, so there is no per-example Python call.
Each epoch ends with a validation loss; training stops when that loss has not
improved for ``patience`` epochs, and the weights of the best epoch are restored.
Progress is one compact bar per fit (epochs), never one line per batch.

The loss is a function of the model and one mini-batch, so the same loop trains a
classifier (inputs, labels, weights), an autoencoder (inputs only) or a model with
an auxiliary target::

    def loss_fn(model, x, y, w):
        return (w * F.binary_cross_entropy_with_logits(model(x), y, reduction="none"))
        .sum() / w.sum()

    result = fit(model, (x_tr, y_tr, w_tr), (x_va, y_va, w_va), loss_fn, epochs=30)
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from lessons_code.progress import progress_bar

log = logging.getLogger(__name__)

LossFunction = Callable[..., Tensor]


@dataclass
class TrainResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    train_loss, valid_loss
        Mean loss per epoch on the training split (averaged over its batches) and
        on the validation split (whole split, evaluation mode).
    best_epoch
        Index of the epoch whose weights were restored (lowest validation loss).
    stopped_early
        Whether the patience ran out before ``epochs``.
    time_s
        Wall time of the fit [s].
    n_parameters
        Trainable parameters of the model.
    """

    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False
    time_s: float = 0.0
    n_parameters: int = 0

    @property
    def n_epochs(self) -> int:
        """Number of epochs run."""
        return len(self.train_loss)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch's and numpy's global generators and return a torch generator.

    Parameters
    ----------
    seed
        Any non-negative integer.

    Returns
    -------
    torch.Generator
        A CPU generator seeded with ``seed``, for the batch permutations.
    """
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    return torch.Generator().manual_seed(seed)


def _check_tensors(tensors: Sequence[Tensor], name: str) -> int:
    if not isinstance(tensors, (tuple, list)) or not tensors:
        msg = f"{name} must be a non-empty tuple of tensors, e.g. (x, y, weights)."
        raise TypeError(msg)
    lengths = {len(t) for t in tensors}
    if len(lengths) != 1:
        msg = (
            f"{name}: all tensors need the same first dimension (one row per "
            f"example); got lengths {sorted(lengths)}."
        )
        raise ValueError(msg)
    n = lengths.pop()
    if n == 0:
        msg = f"{name} holds no examples."
        raise ValueError(msg)
    return n


def batches(
    tensors: Sequence[Tensor],
    batch_size: int,
    generator: torch.Generator | None = None,
    shuffle: bool = True,
) -> Iterator[tuple[Tensor, ...]]:
    """Yield mini-batches of rows of ``tensors``.

    Parameters
    ----------
    tensors
        Tensors with the same first dimension ``n``.
    batch_size
        Rows per batch; the last batch may be smaller.
    generator
        Generator of the permutation (for reproducible shuffling).
    shuffle
        Walk through a random permutation (True) or in order (False).

    Yields
    ------
    tuple of Tensor
        One slice of every tensor, shapes ``(b, ...)``.
    """
    n = _check_tensors(tensors, "tensors")
    if batch_size < 1:
        msg = f"batch_size must be at least 1; got {batch_size}."
        raise ValueError(msg)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield tuple(t[idx] for t in tensors)


def _to(tensors: Sequence[Tensor], device: str) -> tuple[Tensor, ...]:
    return tuple(t.to(device) for t in tensors)


@torch.no_grad()
def evaluate_loss(
    model: nn.Module,
    tensors: Sequence[Tensor],
    loss_fn: LossFunction,
    batch_size: int = 4096,
) -> float:
    """Loss over a whole split in evaluation mode, averaged over rows.

    Parameters
    ----------
    model
        The model.
    tensors
        The split's tensors, as passed to ``loss_fn``.
    loss_fn
        ``loss_fn(model, *batch)`` returning a scalar mean over the batch.
    batch_size
        Rows per evaluation batch (memory only; the result does not depend on it
        for losses that are means over rows).

    Returns
    -------
    float
        The row-weighted mean of the batch losses.
    """
    model.eval()
    n = _check_tensors(tensors, "tensors")
    total = 0.0
    for batch in batches(tensors, batch_size, shuffle=False):
        total += float(loss_fn(model, *batch)) * len(batch[0])
    return total / n


def fit(
    model: nn.Module,
    train: Sequence[Tensor],
    valid: Sequence[Tensor],
    loss_fn: LossFunction,
    *,
    epochs: int = 30,
    batch_size: int = 256,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    patience: int = 5,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
    desc: str = "training",
) -> TrainResult:
    """Train ``model`` with Adam, mini-batches, validation and early stopping.

    Parameters
    ----------
    model
        The network; moved to ``device``.
    train, valid
        Tuples of tensors with one row per example, e.g. ``(x, y, w)``; each
        batch is passed to ``loss_fn`` in this order.
    loss_fn
        ``loss_fn(model, *batch) -> Tensor``: scalar mean loss of the batch.
    epochs
        Maximum number of passes over the training split.
    batch_size
        Rows per optimiser step.
    lr, weight_decay
        Adam learning rate and decoupled weight decay (AdamW).
    patience
        Epochs without a lower validation loss before stopping.
    seed
        Seeds the initial state of torch and the batch order: the same seed, data
        and model give the same result on the same machine.
    device
        ``"cpu"`` or ``"cuda"`` (see :func:`lessons_code.config.torch_device`).
    progress
        Show one progress bar over the epochs with the current losses.
    desc
        Label of the progress bar.

    Returns
    -------
    TrainResult
        Loss history, best epoch, timing and parameter count; the model holds the
        weights of the best epoch, in evaluation mode.

    Raises
    ------
    ValueError
        For inconsistent tensors, non-positive ``epochs`` or ``patience``, or a
        loss that becomes NaN (the message says which epoch).
    """
    if epochs < 1 or patience < 1:
        msg = f"epochs and patience must be at least 1; got {epochs}, {patience}."
        raise ValueError(msg)
    _check_tensors(train, "train")
    _check_tensors(valid, "valid")
    generator = seed_everything(seed)
    model.to(device)
    train, valid = _to(train, device), _to(valid, device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    result = TrainResult(n_parameters=count_parameters(model))
    best_loss, best_state, since_best = float("inf"), None, 0
    start = time.perf_counter()
    bar = progress_bar(range(epochs), desc=desc, enabled=progress, leave=False)
    for epoch in bar:
        model.train()
        total, n_seen = 0.0, 0
        for batch in batches(train, batch_size, generator):
            loss = loss_fn(model, *batch)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(batch[0])
            n_seen += len(batch[0])
        valid_loss = evaluate_loss(model, valid, loss_fn)
        train_loss = total / n_seen
        if not (np.isfinite(train_loss) and np.isfinite(valid_loss)):
            msg = (
                f"The loss became {train_loss} (train), {valid_loss} (validation) "
                f"at epoch {epoch}: lower the learning rate or check the inputs "
                "for NaN or infinite values."
            )
            raise ValueError(msg)
        result.train_loss.append(train_loss)
        result.valid_loss.append(valid_loss)
        bar.set_postfix(train=f"{train_loss:.4f}", valid=f"{valid_loss:.4f}")
        if valid_loss < best_loss:
            best_loss, since_best, result.best_epoch = valid_loss, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            since_best += 1
            if since_best >= patience:
                result.stopped_early = True
                break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    result.time_s = time.perf_counter() - start
    log.info(
        "%s: %d epochs, best %d (validation loss %.4f), %.1f s",
        desc,
        result.n_epochs,
        result.best_epoch,
        best_loss,
        result.time_s,
    )
    return result


@torch.no_grad()
def predict(
    model: nn.Module,
    inputs: Sequence[Tensor],
    batch_size: int = 4096,
    fn: Callable[..., Tensor] | None = None,
) -> Tensor:
    """Model outputs over a whole split, in evaluation mode, on the CPU.

    Parameters
    ----------
    model
        The trained network.
    inputs
        Tensors passed to the model in this order, one row per example.
    batch_size
        Rows per forward pass.
    fn
        ``fn(model, *batch)`` to call instead of ``model(*batch)`` (for example a
        per-example reconstruction error).

    Returns
    -------
    Tensor
        The outputs of all batches, concatenated along the first dimension.
    """
    model.eval()
    device = next(model.parameters()).device
    call = fn or (lambda m, *b: m(*b))
    outs = [
        call(model, *_to(batch, str(device))).cpu()
        for batch in batches(inputs, batch_size, shuffle=False)
    ]
    return torch.cat(outs)
