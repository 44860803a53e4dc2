"""Models and scores for the exercise on the substructure of boosted jets.

Jet images (:func:`lessons_code.data.jet_images`, shape ``(n, P, P)``, each image
summing to one) feed three small dense networks on the flattened pixels (dense
rather than convolutional layers keep the trainings within seconds on a laptop
CPU; convolutions would use the locality of the pixels better):

* :class:`ImageAutoencoder`: compresses an image to a few numbers and back; its
  reconstruction error is an anomaly score (arXiv:1808.08992, arXiv:1808.08979);
* :class:`ImageVAE`: a variational autoencoder (arXiv:1312.6114) whose anomaly
  scores are the reconstruction error, the KL term and their sum;
* :class:`ImageClassifier`: a supervised classifier with one logit per class, the
  upper bound the unsupervised methods are compared with.

The pixel intensities are divided by ``pixel_scale`` inside every model (a
buffer, saved with the weights), so that the networks see numbers of order one.
:class:`ObservableClassifier` is a small network on jet observables for the
weak-supervision task (classification without labels, arXiv:1708.02949).
The remaining helpers turn outputs into scores and scores into the figures of
merit of the exercise (cluster purity, mass correlation, AUC and rejections).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike
from scipy.stats import spearmanr
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.cluster import contingency_matrix
from torch import Tensor, nn

from lessons_code import metrics
from lessons_code.generative import mlp

log = logging.getLogger(__name__)


@dataclass
class ImageModelConfig:
    """Shape of the jet-image networks."""

    n_pixels: int = 16  # pixels per image side
    hidden: int = 128  # width of the hidden layers
    depth: int = 2  # hidden layers in the encoder (and in the decoder)
    n_latent: int = 8  # bottleneck width (autoencoders; unused by the classifier)
    pixel_scale: float = 0.01  # intensities are divided by this (dimensionless)

    def __post_init__(self) -> None:
        if self.n_pixels < 2 or self.hidden < 1 or self.n_latent < 1:
            msg = (
                f"need n_pixels >= 2, hidden >= 1 and n_latent >= 1; got "
                f"{self.n_pixels}, {self.hidden}, {self.n_latent}."
            )
            raise ValueError(msg)
        if self.pixel_scale <= 0:
            msg = f"pixel_scale must be positive; got {self.pixel_scale}."
            raise ValueError(msg)

    @property
    def n_inputs(self) -> int:
        """Pixels per image."""
        return self.n_pixels * self.n_pixels


def pixel_scale(images: ArrayLike) -> float:
    """Root mean square pixel intensity, the natural ``pixel_scale`` of a sample.

    Parameters
    ----------
    images
        Jet images, shape ``(n, P, P)``, dimensionless.

    Returns
    -------
    float
        ``sqrt(mean(images**2))``; dividing by it gives intensities of order one.
    """
    x = np.asarray(images, dtype=np.float64)
    value = float(np.sqrt(np.mean(x**2)))
    if not value > 0:
        msg = "All images are empty: check that the jets have constituents."
        raise ValueError(msg)
    return value


def _check_images(x: Tensor, n_pixels: int) -> None:
    if x.ndim != 3 or x.shape[1:] != (n_pixels, n_pixels):
        msg = (
            f"expected images of shape (n, {n_pixels}, {n_pixels}); got "
            f"{tuple(x.shape)}. Make them with jet_images(..., n_pixels={n_pixels})."
        )
        raise ValueError(msg)


class _ScaledImages(nn.Module):
    def __init__(self, config: ImageModelConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("pixel_scale", torch.tensor(float(config.pixel_scale)))

    def scaled(self, x: Tensor) -> Tensor:
        _check_images(x, self.config.n_pixels)
        return x / self.pixel_scale


class ImageAutoencoder(_ScaledImages):
    """Dense autoencoder of jet images.

    Parameters
    ----------
    config
        Network shape and pixel scale.

    Examples
    --------
    >>> ae = ImageAutoencoder(ImageModelConfig(n_pixels=16))
    >>> ae(torch.rand(3, 16, 16)).shape
    torch.Size([3, 16, 16])
    """

    def __init__(self, config: ImageModelConfig) -> None:
        super().__init__(config)
        c = config
        self.encoder = mlp(c.n_inputs, c.n_latent, c.hidden, c.depth)
        self.decoder = mlp(c.n_latent, c.n_inputs, c.hidden, c.depth)

    def forward(self, x: Tensor) -> Tensor:
        """Return the reconstruction of images ``(n, P, P)``, in image units."""
        code = self.encoder(self.scaled(x).flatten(1))  # (n, n_latent)
        return self.decoder(code).view_as(x) * self.pixel_scale

    def reconstruction_error(self, x: Tensor) -> Tensor:
        """Mean squared error per jet in units of ``pixel_scale**2``, shape ``(n,)``."""
        resid = (self(x) - x) / self.pixel_scale
        return (resid**2).mean(dim=(1, 2))


class ImageVAE(_ScaledImages):
    """Dense variational autoencoder of jet images.

    The decoder is a Gaussian of fixed width ``sigma`` (in scaled pixel units)
    around its output, the prior ``N(0, I)``; the loss is the negative evidence
    lower bound, reconstruction term plus ``beta`` times the KL divergence.

    Parameters
    ----------
    config
        Network shape and pixel scale.
    sigma
        Decoder width in scaled pixel units; smaller values weigh the
        reconstruction more against the KL term.
    beta
        Weight of the KL term in the loss (1 is the true ELBO).

    Examples
    --------
    >>> vae = ImageVAE(ImageModelConfig(n_pixels=16))
    >>> sorted(vae.scores(torch.rand(3, 16, 16)))
    ['kl', 'reconstruction', 'total']
    """

    def __init__(
        self, config: ImageModelConfig, sigma: float = 1.0, beta: float = 1.0
    ) -> None:
        super().__init__(config)
        if sigma <= 0 or beta < 0:
            msg = f"need sigma > 0 and beta >= 0; got sigma={sigma}, beta={beta}."
            raise ValueError(msg)
        self.sigma, self.beta = sigma, beta
        c = config
        self.encoder = mlp(c.n_inputs, 2 * c.n_latent, c.hidden, c.depth)
        self.decoder = mlp(c.n_latent, c.n_inputs, c.hidden, c.depth)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and log-variance of ``q(z|x)``, each ``(n, n_latent)``."""
        mu, logvar = self.encoder(self.scaled(x).flatten(1)).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    def terms(self, x: Tensor, sample: bool = True) -> tuple[Tensor, Tensor]:
        """Reconstruction and KL terms of the negative ELBO per jet [nats].

        Parameters
        ----------
        x
            Images, shape ``(n, P, P)``.
        sample
            Decode one draw ``z ~ q(z|x)`` (training) or the mean of ``q``
            (deterministic scores).

        Returns
        -------
        reconstruction, kl
            Shapes ``(n,)``; the reconstruction term omits the constant
            normalisation of the Gaussian.
        """
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if sample else mu
        resid = (self.decoder(z) - self.scaled(x).flatten(1)) / self.sigma
        rec = 0.5 * (resid**2).sum(dim=1)
        kl = 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(dim=1)
        return rec, kl

    def loss(self, x: Tensor) -> Tensor:
        """Mean of reconstruction plus ``beta`` times KL over the batch (scalar)."""
        rec, kl = self.terms(x)
        return (rec + self.beta * kl).mean()

    @torch.no_grad()
    def scores(self, x: Tensor) -> dict[str, Tensor]:
        """Three anomaly scores per jet, each ``(n,)``: reconstruction, KL, total."""
        rec, kl = self.terms(x, sample=False)
        return {"reconstruction": rec, "kl": kl, "total": rec + self.beta * kl}


class ImageClassifier(_ScaledImages):
    """Dense classifier of jet images with one logit per class.

    Parameters
    ----------
    config
        Network shape and pixel scale (``n_latent`` is not used).
    n_classes
        Number of classes (3 for ``boosted_jets``: QCD, top, W).

    Examples
    --------
    >>> ImageClassifier(ImageModelConfig(n_pixels=16))(torch.rand(2, 16, 16)).shape
    torch.Size([2, 3])
    """

    def __init__(self, config: ImageModelConfig, n_classes: int = 3) -> None:
        super().__init__(config)
        self.net = mlp(config.n_inputs, n_classes, config.hidden, config.depth)

    def forward(self, x: Tensor) -> Tensor:
        """Return logits, shape ``(n, n_classes)``."""
        return self.net(self.scaled(x).flatten(1))


class ObservableClassifier(nn.Module):
    """Dense binary classifier on a few jet observables, standardised inside.

    Parameters
    ----------
    mean, std
        Per-feature mean and standard deviation of the training inputs, shape
        ``(d,)``, in the units of the features; stored as buffers.
    hidden
        Width of the two hidden layers.

    Examples
    --------
    >>> net = ObservableClassifier(torch.zeros(4), torch.ones(4))
    >>> net(torch.randn(5, 4)).shape
    torch.Size([5])
    """

    def __init__(self, mean: Tensor, std: Tensor, hidden: int = 32) -> None:
        super().__init__()
        if mean.shape != std.shape or mean.ndim != 1 or not (std > 0).all():
            msg = "mean and std must be 1-d of equal length, with std > 0."
            raise ValueError(msg)
        self.register_buffer("mean", mean.float())
        self.register_buffer("std", std.float())
        d = len(mean)
        self.net = nn.Sequential(
            nn.Linear(d, hidden),
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.SiLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Return one logit per jet, shape ``(n,)``, from features ``(n, d)``."""
        return self.net((x - self.mean) / self.std).squeeze(1)


def reconstruction_loss(model: ImageAutoencoder, x: Tensor) -> Tensor:
    """Batch loss of an autoencoder for :func:`lessons_code.training.fit`."""
    return model.reconstruction_error(x).mean()


def vae_loss(model: ImageVAE, x: Tensor) -> Tensor:
    """Batch loss of a VAE (negative ELBO) for :func:`lessons_code.training.fit`."""
    return model.loss(x)


def classifier_loss(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    """Cross-entropy of a multi-class classifier; ``y`` holds class indices."""
    return F.cross_entropy(model(x), y.long())


def binary_loss(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    """Binary cross-entropy of a one-logit classifier; ``y`` holds 0 or 1."""
    return F.binary_cross_entropy_with_logits(model(x), y.float())


def pair_score(logits: ArrayLike, signal: int, background: int) -> np.ndarray:
    """Score of ``signal`` against ``background`` from multi-class logits.

    The difference of two logits is the logarithm of ``p(signal|x) /
    p(background|x)``, which does not depend on the other classes: the
    likelihood-ratio score of the two-class problem.

    Parameters
    ----------
    logits
        Shape ``(n, n_classes)``.
    signal, background
        Class indices.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``; higher means more signal-like.
    """
    z = np.asarray(logits, dtype=np.float64)
    return z[:, signal] - z[:, background]


def window_cut_score(
    mass: ArrayLike, tau: ArrayLike, window: tuple[float, float]
) -> np.ndarray:
    """Score of the cut ``mass in window and tau < t``, scanned over ``t``.

    Jets inside the mass window score ``2 - tau`` (at least 1 for tau up to 1),
    jets outside score ``-tau`` (below 0), so every threshold on the score between
    1 and 2 is a cut on the N-subjettiness ratio inside the window.

    Parameters
    ----------
    mass
        Jet masses [GeV], shape ``(n,)``.
    tau
        N-subjettiness ratio in [0, 1] (``tau32`` for tops, ``tau21`` for W).
    window
        Lower and upper mass edges [GeV].

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``.

    Examples
    --------
    >>> window_cut_score([80.0, 20.0], [0.3, 0.3], (65.0, 95.0)).tolist()
    [1.7, -0.3]
    """
    m, t = np.asarray(mass, dtype=np.float64), np.asarray(tau, dtype=np.float64)
    low, high = window
    if not low < high:
        msg = f"the mass window must be (low, high) with low < high; got {window}."
        raise ValueError(msg)
    inside = (m > low) & (m < high)
    return np.where(inside, 2.0 - t, -t)


def cluster_purity(truth: ArrayLike, clusters: ArrayLike) -> float:
    """Fraction of jets whose cluster's majority class is their own class.

    Parameters
    ----------
    truth
        True class of each jet, shape ``(n,)``.
    clusters
        Cluster index of each jet, shape ``(n,)``.

    Returns
    -------
    float
        In (0, 1]; 1 when every cluster holds one class only. It rises with the
        number of clusters, so compare it only at equal numbers.

    Examples
    --------
    >>> cluster_purity([0, 0, 1, 1], [5, 5, 5, 7])
    0.75
    """
    table = contingency_matrix(np.asarray(truth), np.asarray(clusters))
    return float(table.max(axis=0).sum() / table.sum())


def clustering_scores(truth: ArrayLike, clusters: ArrayLike) -> dict[str, float]:
    """Purity and adjusted Rand index of a clustering against the true classes.

    Parameters
    ----------
    truth, clusters
        As for :func:`cluster_purity`.

    Returns
    -------
    dict
        ``{"purity": ..., "adjusted_rand": ...}``; the adjusted Rand index is 0
        for a random assignment and 1 for a perfect one.
    """
    return {
        "purity": cluster_purity(truth, clusters),
        "adjusted_rand": float(adjusted_rand_score(truth, clusters)),
    }


def mass_correlation(score: ArrayLike, mass: ArrayLike) -> float:
    """Spearman rank correlation between an anomaly score and the jet mass.

    Parameters
    ----------
    score
        Anomaly score, shape ``(n,)``.
    mass
        Jet mass [GeV], shape ``(n,)``.

    Returns
    -------
    float
        In [-1, 1]; near 0 for a score that does not sculpt the mass.
    """
    return float(spearmanr(np.asarray(score), np.asarray(mass)).statistic)


def performance(
    labels: ArrayLike,
    scores: ArrayLike,
    efficiencies: tuple[float, ...] = (0.3, 0.5),
) -> dict[str, float]:
    """AUC and background rejections of a score at given signal efficiencies.

    Parameters
    ----------
    labels
        1 for signal, 0 for background, shape ``(n,)``.
    scores
        Higher means more signal-like, shape ``(n,)``.
    efficiencies
        Signal efficiencies at which to quote the rejection.

    Returns
    -------
    dict
        ``{"AUC": ..., "R30": ..., "R50": ...}`` (keys ``R`` plus the efficiency
        in percent).
    """
    out = {"AUC": metrics.auc(labels, scores)}
    rejections = np.atleast_1d(metrics.rejection_at(list(efficiencies), labels, scores))
    for eff, rej in zip(efficiencies, rejections, strict=True):
        out[f"R{round(100 * eff)}"] = float(rej)
    return out


def mixed_samples(
    labels: ArrayLike,
    signal: int,
    background: int,
    fractions: tuple[float, float],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Split jets into two mixed samples with different signal fractions.

    The largest two disjoint samples of equal size are drawn whose signal
    fractions are ``fractions``; a classifier trained to tell sample 1 from
    sample 2 learns a monotonic function of the signal-to-background likelihood
    ratio (arXiv:1708.02949), without using the labels.

    Parameters
    ----------
    labels
        Class of each jet, shape ``(n,)``.
    signal, background
        Classes used (all others are ignored).
    fractions
        Signal fractions of sample 1 and sample 2, each in [0, 1], different.
    rng
        Random generator of the draw.

    Returns
    -------
    index, sample
        Row indices into ``labels`` and the sample (1 or 0) of each, shape
        ``(m,)`` each, shuffled.
    """
    f1, f2 = fractions
    if not (0 <= f1 <= 1 and 0 <= f2 <= 1) or f1 == f2:
        msg = f"fractions must be two different numbers in [0, 1]; got {fractions}."
        raise ValueError(msg)
    y = np.asarray(labels)
    sig = rng.permutation(np.flatnonzero(y == signal))
    bkg = rng.permutation(np.flatnonzero(y == background))
    # Each sample holds m jets: m * (f1 + f2) signal and m * (2 - f1 - f2) bkg.
    m = int(min(len(sig) / max(f1 + f2, 1e-12), len(bkg) / max(2 - f1 - f2, 1e-12)))
    if m < 2:
        msg = "too few jets of one class for these fractions."
        raise ValueError(msg)
    n1, n2 = round(m * f1), round(m * f2)
    s1, s2 = sig[:n1], sig[n1 : n1 + n2]
    b1, b2 = bkg[: m - n1], bkg[m - n1 : 2 * m - n1 - n2]
    index = np.concatenate([s1, b1, s2, b2])
    sample = np.r_[np.ones(m, dtype=np.int64), np.zeros(m, dtype=np.int64)]
    order = rng.permutation(len(index))
    log.info("mixed samples: %d jets each, signal fractions %.2f, %.2f", m, f1, f2)
    return index[order], sample[order]
