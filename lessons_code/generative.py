"""Autoencoders, variational autoencoders and a coupling flow, for teaching.

Small torch models for the lecture on unsupervised learning: an autoencoder whose
reconstruction error serves as an anomaly score, a variational autoencoder (VAE)
trained on the evidence lower bound (ELBO), and a RealNVP-style normalising flow
for density estimation. Inputs have shape ``(n, d)`` in standardised
(dimensionless) feature units. They train in seconds on a CPU at the sizes of the
lecture; they are not tuned for real data.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

log = logging.getLogger(__name__)


def mlp(n_in: int, n_out: int, hidden: int = 64, depth: int = 2) -> nn.Sequential:
    """Build a fully connected network with SiLU activations.

    Parameters
    ----------
    n_in, n_out
        Input and output widths.
    hidden
        Width of each hidden layer.
    depth
        Number of hidden layers.

    Returns
    -------
    nn.Sequential
        The network.
    """
    layers: list[nn.Module] = []
    width = n_in
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.SiLU()]
        width = hidden
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """Compress to ``n_latent`` numbers and reconstruct.

    Parameters
    ----------
    n_in
        Number of input features.
    n_latent
        Width of the bottleneck.
    hidden
        Width of the hidden layers.

    Examples
    --------
    >>> ae = Autoencoder(8, 2)
    >>> ae(torch.randn(5, 8)).shape
    torch.Size([5, 8])
    """

    def __init__(self, n_in: int, n_latent: int, hidden: int = 64) -> None:
        super().__init__()
        self.encoder = mlp(n_in, n_latent, hidden)
        self.decoder = mlp(n_latent, n_in, hidden)

    def forward(self, x: Tensor) -> Tensor:
        """Return the reconstruction, shape ``(n, n_in)``."""
        return self.decoder(self.encoder(x))

    def loss(self, x: Tensor) -> Tensor:
        """Mean squared reconstruction error over the batch (scalar)."""
        return ((self(x) - x) ** 2).sum(1).mean()

    @torch.no_grad()
    def anomaly_score(self, x: Tensor) -> Tensor:
        """Squared reconstruction error of each example, shape ``(n,)``."""
        return ((self(x) - x) ** 2).sum(1)


class VAE(nn.Module):
    """A variational autoencoder with a Gaussian encoder and decoder.

    The encoder outputs the mean and log-variance of ``q(z|x)``; the decoder the
    mean of ``p(x|z) = N(x | mu(z), sigma_x^2 I)`` with a fixed ``sigma_x``. The
    prior is ``p(z) = N(0, I)``.

    Parameters
    ----------
    n_in
        Number of input features.
    n_latent
        Latent dimension.
    hidden
        Width of the hidden layers.
    sigma_x
        Standard deviation of the decoder, in feature units.

    Examples
    --------
    >>> vae = VAE(8, 2)
    >>> vae.negative_elbo(torch.randn(5, 8)).shape
    torch.Size([5])
    """

    def __init__(
        self, n_in: int, n_latent: int, hidden: int = 64, sigma_x: float = 0.1
    ) -> None:
        super().__init__()
        self.n_latent = n_latent
        self.sigma_x = sigma_x
        self.encoder = mlp(n_in, 2 * n_latent, hidden)
        self.decoder = mlp(n_latent, n_in, hidden)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Return the mean and log-variance of ``q(z|x)``, each ``(n, n_latent)``."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def elbo_terms(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Return the two terms of the negative ELBO, per example.

        Parameters
        ----------
        x
            Shape ``(n, n_in)``.

        Returns
        -------
        reconstruction : Tensor
            ``-log p(x|z)`` for one sample ``z ~ q(z|x)`` drawn with the
            reparameterisation ``z = mu + sigma * eps``, shape ``(n,)``, nats.
        kl : Tensor
            ``KL(q(z|x) || p(z))`` in closed form, shape ``(n,)``, nats.
        """
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        resid = (self.decoder(z) - x) / self.sigma_x
        d = x.shape[1]
        rec = 0.5 * (resid**2).sum(1) + d * math.log(
            self.sigma_x * math.sqrt(2 * math.pi)
        )
        kl = 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(1)
        return rec, kl

    def negative_elbo(self, x: Tensor) -> Tensor:
        """Return ``-ELBO`` per example, ``(n,)``: an upper bound on ``-log p(x)``."""
        rec, kl = self.elbo_terms(x)
        return rec + kl

    def loss(self, x: Tensor) -> Tensor:
        """Mean negative ELBO over the batch (scalar, nats)."""
        return self.negative_elbo(x).mean()

    @torch.no_grad()
    def sample(self, n: int) -> Tensor:
        """Draw ``n`` decoder means from latent points of the prior, ``(n, n_in)``."""
        return self.decoder(torch.randn(n, self.n_latent))


class AffineCoupling(nn.Module):
    """One RealNVP coupling layer.

    The features where ``mask`` is 1 pass unchanged and set a scale ``s`` and a
    shift ``t`` for the others: ``y = x_a`` and ``y_b = x_b * exp(s(x_a)) +
    t(x_a)``. The Jacobian is triangular, so ``log|det J| = sum s``.

    Parameters
    ----------
    mask
        Shape ``(d,)`` of zeros and ones.
    hidden
        Width of the networks giving ``s`` and ``t``.
    """

    def __init__(self, mask: Tensor, hidden: int = 64) -> None:
        super().__init__()
        self.register_buffer("mask", mask.float())
        d = mask.numel()
        self.net = mlp(d, 2 * d, hidden)

    def _scale_shift(self, x_fixed: Tensor) -> tuple[Tensor, Tensor]:
        s, t = self.net(x_fixed).chunk(2, dim=1)
        free = 1 - self.mask
        return torch.tanh(s) * free, t * free  # tanh keeps the scales tame

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Map data towards the base space; return ``(y, log|det dy/dx|)``."""
        s, t = self._scale_shift(x * self.mask)
        return x * torch.exp(s) + t, s.sum(1)

    def inverse(self, y: Tensor) -> Tensor:
        """Map base-space points back to data space."""
        s, t = self._scale_shift(y * self.mask)
        return (y - t) * torch.exp(-s)


class CouplingFlow(nn.Module):
    """A stack of affine couplings with alternating masks and a Gaussian base.

    ``log p(x) = log N(f(x) | 0, I) + log|det df/dx|`` (change of variables).

    Parameters
    ----------
    dim
        Data dimension (at least 2).
    n_layers
        Number of coupling layers.
    hidden
        Width of each coupling network.

    Raises
    ------
    ValueError
        If ``dim`` is below 2: a coupling needs features on both sides.

    Examples
    --------
    >>> flow = CouplingFlow(2, n_layers=4)
    >>> x = torch.randn(3, 2)
    >>> torch.allclose(flow.inverse(flow.forward(x)[0]), x, atol=1e-5)
    True
    """

    def __init__(self, dim: int, n_layers: int = 6, hidden: int = 64) -> None:
        super().__init__()
        if dim < 2:
            msg = f"a coupling flow needs dim >= 2; got dim={dim}."
            raise ValueError(msg)
        self.dim = dim
        first = (torch.arange(dim) % 2).float()
        masks = [first if i % 2 == 0 else 1 - first for i in range(n_layers)]
        self.layers = nn.ModuleList(AffineCoupling(m, hidden) for m in masks)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Return ``(z, log|det dz/dx|)`` with shapes ``(n, dim)`` and ``(n,)``."""
        log_det = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return x, log_det

    def inverse(self, z: Tensor) -> Tensor:
        """Map base-space points ``(n, dim)`` to data space."""
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z

    def log_prob(self, x: Tensor) -> Tensor:
        """Return ``log p(x)`` per example, shape ``(n,)``, nats."""
        z, log_det = self(x)
        base = -0.5 * (z**2).sum(1) - 0.5 * self.dim * math.log(2 * math.pi)
        return base + log_det

    def loss(self, x: Tensor) -> Tensor:
        """Mean negative log-likelihood over the batch (scalar, nats)."""
        return -self.log_prob(x).mean()

    @torch.no_grad()
    def sample(self, n: int) -> Tensor:
        """Draw ``n`` points from the model, shape ``(n, dim)``."""
        return self.inverse(torch.randn(n, self.dim))


def fit(
    model: nn.Module,
    x: Tensor,
    n_steps: int,
    batch_size: int = 256,
    lr: float = 3e-3,
    seed: int = 0,
    loss_fn: Callable[[Tensor], Tensor] | None = None,
) -> list[float]:
    """Minimise a model's loss with Adam on shuffled mini-batches.

    The rows are visited in a seeded random permutation, ``batch_size`` at a
    time, and reshuffled after each pass. The loop runs a fixed number of steps
    with no validation split and no early stopping: the lecture demonstrations
    are short and judged by eye. Trainings that must generalise (the exercises)
    use :func:`lessons_code.training.fit` instead.

    Parameters
    ----------
    model
        A module with a ``loss(x)`` method (all models of this module have one).
    x
        Training data, shape ``(n, d)``.
    n_steps
        Number of optimiser steps.
    batch_size
        Examples per step.
    lr
        Adam learning rate.
    seed
        Seed of the batch sampling and of the random draws inside the loss.
    loss_fn
        Loss to use instead of ``model.loss``.

    Returns
    -------
    list of float
        The training loss at every step.

    Raises
    ------
    ValueError
        If ``n_steps`` is not positive.
    """
    if n_steps < 1:
        msg = f"n_steps must be at least 1; got {n_steps}."
        raise ValueError(msg)
    loss_fn = loss_fn or model.loss
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    batch_size = min(batch_size, len(x))
    order, start = torch.randperm(len(x), generator=gen), 0
    for step in range(n_steps):
        if start + batch_size > len(x):  # pass complete: reshuffle
            order, start = torch.randperm(len(x), generator=gen), 0
        idx = order[start : start + batch_size]
        start += batch_size
        loss = loss_fn(x[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.item())
        if step % max(1, n_steps // 5) == 0:
            log.info("step %d: loss %.4f", step, history[-1])
    return history
