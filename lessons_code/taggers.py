"""Jet flavour taggers from tracks: inputs, Deep Sets, a transformer, evaluation.

The models read a jet as a set of at most ``N`` tracks, padded to a fixed length,
with a boolean mask that is True for real tracks (the convention of
:func:`lessons_code.data.to_padded`), plus the jet's kinematics as conditioning:

- ``tracks``: float tensor, shape ``(B, N, F)``, the features of
  :data:`TRACK_FEATURES`;
- ``mask``: bool tensor, shape ``(B, N)``, True for real tracks;
- ``jet``: float tensor, shape ``(B, 2)``, the features of :data:`JET_FEATURES`.

Every model returns logits of shape ``(B, 3)`` in the order of the dataset's labels
(0 light, 1 c, 2 b). Outputs do not depend on the order of the tracks, on padded
tracks, or on the other jets of a batch; a jet without any track gets a finite
output from its kinematics alone.

The transformer uses :class:`torch.nn.TransformerEncoderLayer` and
:class:`torch.nn.MultiheadAttention` rather than :mod:`lessons_code.attention`:
the torch layers compute the same thing with fused kernels, several times faster
on a CPU, which decides what fits in the exercise's time budget. The lecture's
module is the readable reference for what they compute.

The evaluation follows the convention of the LHC b-taggers (arXiv:2211.16345): the
discriminant :func:`b_discriminant` combines the three class probabilities into
one score, and :func:`rejection` quotes light- and c-jet rejection at fixed b-jet
efficiencies.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import awkward as ak
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike
from torch import Tensor, nn

from lessons_code import metrics
from lessons_code.training import LossFunction, predict

log = logging.getLogger(__name__)

#: Per-track model inputs; significances go through ``sign(s) * log(1 + |s|)``.
TRACK_FEATURES: tuple[str, ...] = (
    "log_d0_sig",  # signed transverse impact-parameter significance, log-compressed
    "log_z0_sig",  # signed longitudinal significance, log-compressed
    "log_ptfrac",  # ln(track pT / jet pT)
    "deta",  # track eta - jet eta
    "dphi",  # track phi - jet phi [rad]
    "delta_r",  # distance to the jet axis in (eta, phi)
)
#: Per-jet conditioning inputs.
JET_FEATURES: tuple[str, ...] = ("log_pt", "eta")  # ln(pT / GeV), pseudorapidity
#: Hand-made jet features of the pre-deep-learning baseline.
HIGH_LEVEL_FEATURES: tuple[str, ...] = (
    "d0_sig_1",  # largest signed d0 significance (NaN without tracks)
    "d0_sig_2",  # second largest (NaN with fewer than two tracks)
    "d0_sig_3",  # third largest
    "z0_sig_1",  # signed z0 significance of the track with the largest d0 one
    "n_sig_2",  # tracks with signed d0 significance above 2
    "n_sig_4",  # tracks with signed d0 significance above 4
    "ptfrac_sig_2",  # summed pT fraction of the tracks above 2
    "n_tracks",  # tracks in the jet (before the storage cap)
    "log_pt",  # ln(jet pT / GeV)
    "eta",  # jet pseudorapidity
)
#: Class names in label order.
CLASSES: tuple[str, ...] = ("light", "c", "b")
#: Track origin classes in label order (see the dataset's ``origin`` field).
ORIGINS: tuple[str, ...] = ("primary", "b", "c", "other secondary")


def _signed_log(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


@dataclass
class TaggerInputs:
    """Padded model inputs and targets of a set of jets.

    Attributes
    ----------
    tracks
        Track features, shape ``(n, N, len(TRACK_FEATURES))``, zero for padding.
    mask
        Shape ``(n, N)``, True for real tracks.
    jet
        Jet features, shape ``(n, len(JET_FEATURES))``.
    label
        Flavour, shape ``(n,)``: 0 light, 1 c, 2 b.
    origin
        Track origin, shape ``(n, N)``, -1 for padding (see :data:`ORIGINS`).
    """

    tracks: Tensor
    mask: Tensor
    jet: Tensor
    label: Tensor
    origin: Tensor

    def tensors(self) -> tuple[Tensor, ...]:
        """``(tracks, mask, jet, label, origin)``, the order :func:`make_loss` takes."""
        return self.tracks, self.mask, self.jet, self.label, self.origin

    def __len__(self) -> int:
        return len(self.label)


def tagger_inputs(jets: ak.Array, max_tracks: int = 15) -> TaggerInputs:
    """Turn loaded ``flavour_tagging`` jets into padded tensors.

    Parameters
    ----------
    jets
        Jets as returned by ``load("flavour_tagging", ...)``, with the fields
        ``jet_pt`` [GeV], ``jet_eta``, ``label`` and the ``tracks`` group.
    max_tracks
        Padded length ``N``; the stored tracks are sorted by decreasing signed d0
        significance, so a shorter length keeps the most displaced ones.

    Returns
    -------
    TaggerInputs
        Float32 features, bool mask, int64 labels and origins.

    Examples
    --------
    >>> # x = tagger_inputs(load("flavour_tagging", "valid"))
    """
    from lessons_code.data import to_padded

    raw, mask = to_padded(
        jets.tracks, max_tracks, ["d0_sig", "z0_sig", "ptfrac", "deta", "dphi"]
    )
    d0, z0, ptfrac, deta, dphi = np.moveaxis(raw, -1, 0)
    features = np.stack(
        [
            _signed_log(d0),
            _signed_log(z0),
            np.log(np.where(mask, ptfrac, 1.0)),
            deta,
            dphi,
            np.hypot(deta, dphi),
        ],
        axis=-1,
    )
    features = np.where(mask[..., None], features, 0.0).astype(np.float32)
    origin, _ = to_padded(jets.tracks.origin, max_tracks, fill=-1)
    jet = np.stack(
        [np.log(ak.to_numpy(jets.jet_pt)), ak.to_numpy(jets.jet_eta)], axis=-1
    ).astype(np.float32)
    return TaggerInputs(
        tracks=torch.from_numpy(features),
        mask=torch.from_numpy(mask),
        jet=torch.from_numpy(jet),
        label=torch.from_numpy(ak.to_numpy(jets.label).astype(np.int64)),
        origin=torch.from_numpy(origin.astype(np.int64)),
    )


def high_level_features(jets: ak.Array) -> pd.DataFrame:
    """Hand-made jet features in the spirit of impact-parameter taggers.

    Parameters
    ----------
    jets
        Loaded ``flavour_tagging`` jets (tracks sorted by decreasing signed d0
        significance, as stored).

    Returns
    -------
    pandas.DataFrame
        One row per jet, the columns of :data:`HIGH_LEVEL_FEATURES`. Leading
        significances of absent tracks are NaN, which gradient-boosted trees of
        scikit-learn handle natively; fill them before feeding a network.
    """
    from lessons_code.data import to_padded

    raw, mask = to_padded(jets.tracks, 3, ["d0_sig", "z0_sig"], fill=np.nan)
    d0_sig = jets.tracks.d0_sig
    above_2 = d0_sig > 2
    columns = {
        "d0_sig_1": raw[:, 0, 0],
        "d0_sig_2": raw[:, 1, 0],
        "d0_sig_3": raw[:, 2, 0],
        "z0_sig_1": raw[:, 0, 1],
        "n_sig_2": ak.to_numpy(ak.sum(above_2, axis=1)),
        "n_sig_4": ak.to_numpy(ak.sum(d0_sig > 4, axis=1)),
        "ptfrac_sig_2": ak.to_numpy(ak.sum(jets.tracks.ptfrac[above_2], axis=1)),
        "n_tracks": ak.to_numpy(jets.n_tracks),
        "log_pt": np.log(ak.to_numpy(jets.jet_pt)),
        "eta": ak.to_numpy(jets.jet_eta),
    }
    return pd.DataFrame(
        {k: np.asarray(v, dtype=np.float32) for k, v in columns.items()}
    )


class Standardise(nn.Module):
    """Shift and scale features with statistics stored as buffers.

    The statistics travel with the model's ``state_dict``, so a saved tagger
    carries its own input scaling.

    Parameters
    ----------
    n_features
        Size of the last axis.
    """

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))

    @torch.no_grad()
    def fit(self, x: Tensor, mask: Tensor | None = None) -> Standardise:
        """Set the statistics from ``x`` (shape ``(..., F)``), real entries only.

        Parameters
        ----------
        x
            Features, shape ``(..., F)``.
        mask
            Bool, shape ``x.shape[:-1]``; True for entries to use (all if None).

        Returns
        -------
        Standardise
            ``self``.
        """
        rows = x.reshape(-1, x.shape[-1])
        if mask is not None:
            rows = rows[mask.reshape(-1)]
        if len(rows) < 2:
            msg = "Standardise.fit needs at least two real entries."
            raise ValueError(msg)
        self.mean.copy_(rows.mean(0))
        self.std.copy_(rows.std(0).clamp_min(1e-6))
        return self

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std


def _mlp(n_in: int, width: int, n_out: int, depth: int = 2) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth - 1):
        layers += [nn.Linear(n_in if i == 0 else width, width), nn.ReLU()]
    layers.append(nn.Linear(width if depth > 1 else n_in, n_out))
    return nn.Sequential(*layers)


def _check_inputs(tracks: Tensor, mask: Tensor, jet: Tensor) -> None:
    if tracks.ndim != 3 or mask.shape != tracks.shape[:2] or mask.dtype != torch.bool:
        msg = (
            f"expected tracks (B, N, F) and a bool mask (B, N); got tracks "
            f"{tuple(tracks.shape)} and mask {tuple(mask.shape)} ({mask.dtype})."
        )
        raise ValueError(msg)
    if jet.ndim != 2 or len(jet) != len(tracks):
        msg = f"expected jet features (B, J) with B={len(tracks)}; got {jet.shape}."
        raise ValueError(msg)


class DeepSetsTagger(nn.Module):
    """Deep Sets tagger: a per-track network, a masked sum, a jet network.

    ``logits = rho([sum_i phi(track_i), jet])`` over real tracks only, which is
    invariant under permutations of the tracks (arXiv:1703.06114). The sum, unlike
    a mean, keeps the number of tracks visible to ``rho``.

    Parameters
    ----------
    n_track_features, n_jet_features
        Input widths ``F`` and ``J``.
    width
        Hidden width of both networks and of the pooled representation.
    n_classes
        Output classes.
    """

    def __init__(
        self,
        n_track_features: int = len(TRACK_FEATURES),
        n_jet_features: int = len(JET_FEATURES),
        width: int = 64,
        n_classes: int = len(CLASSES),
    ) -> None:
        super().__init__()
        self.track_norm = Standardise(n_track_features)
        self.jet_norm = Standardise(n_jet_features)
        self.phi = _mlp(n_track_features, width, width, depth=3)
        self.rho = _mlp(width + n_jet_features, width, n_classes, depth=3)

    def fit_scaling(self, inputs: TaggerInputs) -> DeepSetsTagger:
        """Set the input scaling from training inputs; returns ``self``."""
        self.track_norm.fit(inputs.tracks, inputs.mask)
        self.jet_norm.fit(inputs.jet)
        return self

    def forward(self, tracks: Tensor, mask: Tensor, jet: Tensor) -> Tensor:
        """Class logits.

        Parameters
        ----------
        tracks
            Shape ``(B, N, F)``.
        mask
            Bool, shape ``(B, N)``, True for real tracks.
        jet
            Shape ``(B, J)``.

        Returns
        -------
        Tensor
            Logits, shape ``(B, n_classes)``.
        """
        _check_inputs(tracks, mask, jet)
        h = self.phi(self.track_norm(tracks)) * mask.unsqueeze(-1)  # (B, N, W)
        pooled = h.sum(dim=1)  # (B, W)
        return self.rho(torch.cat([pooled, self.jet_norm(jet)], dim=-1))


@dataclass
class TransformerConfig:
    """Sizes of :class:`TransformerTagger`."""

    n_track_features: int = len(TRACK_FEATURES)  # F, per-track inputs
    n_jet_features: int = len(JET_FEATURES)  # J, conditioning inputs
    embed_dim: int = 32  # D, width of every track representation
    num_heads: int = 4  # attention heads; must divide embed_dim
    num_layers: int = 2  # transformer encoder layers
    ffn_factor: int = 2  # feed-forward width = ffn_factor * embed_dim
    n_classes: int = len(CLASSES)  # jet classes of the main head
    n_origins: int = len(ORIGINS)  # track classes of the auxiliary head; 0: none
    multiplicity: bool = True  # give the head ln(1 + number of real tracks)


@dataclass
class TaggerOutput:
    """Everything :meth:`TransformerTagger.forward_all` computes.

    Attributes
    ----------
    jet_logits
        Shape ``(B, n_classes)``.
    track_logits
        Shape ``(B, N, n_origins)`` (meaningless at padded positions), or None
        without an auxiliary head.
    pool_weights
        Attention-pooling weights, shape ``(B, N)``: zero on padding, summing to
        one over the real tracks of a jet (all zero for a jet without tracks).
    """

    jet_logits: Tensor
    track_logits: Tensor | None
    pool_weights: Tensor


class TransformerTagger(nn.Module):
    """Transformer tagger: track embedding, self-attention, attention pooling.

    Each track's features, concatenated with the jet's (pT, eta), are embedded by
    a small network; pre-norm transformer encoder layers (``batch_first=True``)
    let every track attend to every other real track, with a key padding mask so
    that padded tracks are never attended to; a learned query pools the tracks
    into one vector (attention pooling, arXiv:1810.00825), and a network on that
    vector, the jet features and the logarithm of the number of tracks (a
    weighted mean alone cannot count) gives the three class logits. The optional
    auxiliary head classifies each track's origin from its final representation
    and the pooled jet vector, in the manner of arXiv:2505.19689. Without
    positional encodings, the output is invariant under permutations of tracks.

    Parameters
    ----------
    config
        Sizes; defaults if None.
    """

    def __init__(self, config: TransformerConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or TransformerConfig()
        if c.embed_dim % c.num_heads:
            msg = (
                f"embed_dim {c.embed_dim} is not divisible by num_heads "
                f"{c.num_heads}: choose a multiple."
            )
            raise ValueError(msg)
        self.track_norm = Standardise(c.n_track_features)
        self.jet_norm = Standardise(c.n_jet_features)
        n_in = c.n_track_features + c.n_jet_features
        self.embed = _mlp(n_in, c.embed_dim, c.embed_dim, depth=2)
        layer = nn.TransformerEncoderLayer(
            c.embed_dim,
            c.num_heads,
            dim_feedforward=c.ffn_factor * c.embed_dim,
            dropout=0.0,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer,
            c.num_layers,
            norm=nn.LayerNorm(c.embed_dim),
            enable_nested_tensor=False,
        )
        self.query = nn.Parameter(torch.randn(1, 1, c.embed_dim) / c.embed_dim**0.5)
        self.pool = nn.MultiheadAttention(c.embed_dim, c.num_heads, batch_first=True)
        n_head = c.embed_dim + c.n_jet_features + int(c.multiplicity)
        self.head = _mlp(n_head, c.embed_dim, c.n_classes, 3)
        self.track_head = (
            _mlp(2 * c.embed_dim, c.embed_dim, c.n_origins, 2) if c.n_origins else None
        )

    def fit_scaling(self, inputs: TaggerInputs) -> TransformerTagger:
        """Set the input scaling from training inputs; returns ``self``."""
        self.track_norm.fit(inputs.tracks, inputs.mask)
        self.jet_norm.fit(inputs.jet)
        return self

    def forward_all(self, tracks: Tensor, mask: Tensor, jet: Tensor) -> TaggerOutput:
        """Jet logits, track-origin logits and pooling weights.

        Parameters
        ----------
        tracks
            Shape ``(B, N, F)``; values at padded positions are ignored.
        mask
            Bool, shape ``(B, N)``, True for real tracks.
        jet
            Shape ``(B, J)``: the jet's ln(pT / GeV) and eta.

        Returns
        -------
        TaggerOutput
            See its attributes.
        """
        _check_inputs(tracks, mask, jet)
        if tracks.shape[1] == 0:  # no track slot at all: add one padded slot
            tracks = tracks.new_zeros(len(tracks), 1, tracks.shape[2])
            mask = mask.new_zeros(len(mask), 1)
        jet_n = self.jet_norm(jet)  # (B, J)
        x = torch.where(mask.unsqueeze(-1), self.track_norm(tracks), 0.0)
        x = torch.cat([x, jet_n.unsqueeze(1).expand(-1, x.shape[1], -1)], dim=-1)
        x = self.embed(x)  # (B, N, D)
        # A jet without tracks attends to its first (empty) slot instead of to
        # nothing, which would give NaN; its pooled vector is zeroed below.
        has_tracks = mask.any(dim=1)  # (B,)
        first = torch.zeros_like(mask)
        first[:, 0] = True
        attend = mask | (first & ~has_tracks.unsqueeze(1))
        x = self.encoder(x, src_key_padding_mask=~attend)  # (B, N, D)
        query = self.query.expand(len(x), -1, -1)  # (B, 1, D)
        pooled, weights = self.pool(query, x, x, key_padding_mask=~attend)
        pooled = pooled.squeeze(1) * has_tracks.unsqueeze(1)  # (B, D)
        weights = weights.squeeze(1) * mask  # (B, N)
        head_in = [pooled, jet_n]
        if self.config.multiplicity:  # a weighted mean cannot count tracks
            head_in.append(torch.log1p(mask.sum(dim=1, keepdim=True).to(x.dtype)))
        logits = self.head(torch.cat(head_in, dim=-1))
        track_logits = None
        if self.track_head is not None:
            context = pooled.unsqueeze(1).expand(-1, x.shape[1], -1)
            track_logits = self.track_head(torch.cat([x, context], dim=-1))
        return TaggerOutput(logits, track_logits, weights)

    def forward(self, tracks: Tensor, mask: Tensor, jet: Tensor) -> Tensor:
        """Class logits, shape ``(B, n_classes)``; arguments as :meth:`forward_all`."""
        return self.forward_all(tracks, mask, jet).jet_logits


def make_loss(aux_weight: float = 0.0) -> LossFunction:
    """Loss function for :func:`lessons_code.training.fit` on :class:`TaggerInputs`.

    Parameters
    ----------
    aux_weight
        Weight of the mean track-origin cross-entropy added to the jet-flavour
        cross-entropy; 0 trains the flavour head alone (and works for any model).

    Returns
    -------
    callable
        ``loss_fn(model, tracks, mask, jet, label, origin) -> Tensor``, a scalar.

    Raises
    ------
    ValueError
        A negative ``aux_weight``.
    """
    if aux_weight < 0:
        msg = f"aux_weight must be non-negative; got {aux_weight}."
        raise ValueError(msg)

    def loss_fn(
        model: nn.Module,
        tracks: Tensor,
        mask: Tensor,
        jet: Tensor,
        label: Tensor,
        origin: Tensor,
    ) -> Tensor:
        if aux_weight == 0:
            return F.cross_entropy(model(tracks, mask, jet), label)
        out = model.forward_all(tracks, mask, jet)
        loss = F.cross_entropy(out.jet_logits, label)
        if out.track_logits is None:
            msg = "aux_weight > 0 needs a model with a track head (n_origins > 0)."
            raise ValueError(msg)
        real = origin >= 0
        if real.any():
            aux = F.cross_entropy(out.track_logits[real], origin[real])
            loss = loss + aux_weight * aux
        return loss

    return loss_fn


@torch.no_grad()
def predict_proba(model: nn.Module, inputs: TaggerInputs) -> np.ndarray:
    """Class probabilities of a trained tagger, shape ``(n, 3)`` (light, c, b)."""
    logits = predict(model, (inputs.tracks, inputs.mask, inputs.jet))
    return torch.softmax(logits.double(), dim=-1).numpy()


def b_discriminant(probs: ArrayLike, f_c: float = 0.05) -> np.ndarray:
    """The b-tagging discriminant ``ln[p_b / (f_c p_c + (1 - f_c) p_light)]``.

    Parameters
    ----------
    probs
        Class probabilities, shape ``(n, 3)``, columns (light, c, b).
    f_c
        Weight of the c-jet probability in the background hypothesis, in [0, 1]:
        larger values trade light-jet rejection for c-jet rejection.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``; higher is more b-like. Probabilities are clipped at
        1e-12 so that a confident model gives large, finite values.

    Examples
    --------
    >>> b_discriminant([[0.25, 0.25, 0.5]]).round(3)
    array([0.693])
    """
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)
    if p.ndim != 2 or p.shape[1] != len(CLASSES):
        msg = f"probs must have shape (n, 3) with columns (light, c, b); got {p.shape}."
        raise ValueError(msg)
    if not 0 <= f_c <= 1:
        msg = f"f_c must lie in [0, 1]; got {f_c}."
        raise ValueError(msg)
    return np.log(p[:, 2] / (f_c * p[:, 1] + (1 - f_c) * p[:, 0]))


def rejection(
    b_efficiency: float | ArrayLike,
    discriminant: ArrayLike,
    labels: ArrayLike,
    background: str,
) -> np.ndarray | float:
    """Rejection (1 / efficiency) of light or c jets at given b-jet efficiencies.

    Parameters
    ----------
    b_efficiency
        b-jet efficiency (or several) of the cut on the discriminant, in (0, 1].
    discriminant
        Shape ``(n,)``, e.g. from :func:`b_discriminant`.
    labels
        Flavour labels, shape ``(n,)``: 0 light, 1 c, 2 b.
    background
        ``"light"`` or ``"c"``.

    Returns
    -------
    float or numpy.ndarray
        The rejection; ``inf`` where no background jet passes.
    """
    if background not in ("light", "c"):
        msg = f"background must be 'light' or 'c'; got {background!r}."
        raise ValueError(msg)
    y = np.asarray(labels)
    d = np.asarray(discriminant)
    keep = (y == 2) | (y == CLASSES.index(background))
    return metrics.rejection_at(b_efficiency, (y[keep] == 2).astype(int), d[keep])


def rejection_table(
    discriminants: dict[str, ArrayLike],
    labels: ArrayLike,
    b_efficiencies: tuple[float, ...] = (0.70, 0.77),
) -> pd.DataFrame:
    """Light and c rejection of several taggers at fixed b-jet efficiencies.

    Parameters
    ----------
    discriminants
        Tagger name to discriminant values, each shape ``(n,)``.
    labels
        Flavour labels, shape ``(n,)``.
    b_efficiencies
        Working points.

    Returns
    -------
    pandas.DataFrame
        One row per tagger; columns ``light rej. @ 70%``, ``c rej. @ 70%``, ...
    """
    rows = {}
    for name, disc in discriminants.items():
        row = {}
        for eff in b_efficiencies:
            for bkg in ("light", "c"):
                row[f"{bkg} rej. @ {eff:.0%}"] = rejection(eff, disc, labels, bkg)
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def bootstrap_rejection_ratio(
    discriminant_a: ArrayLike,
    discriminant_b: ArrayLike,
    labels: ArrayLike,
    b_efficiency: float,
    background: str,
    n_resamples: int = 200,
    seed: int = 0,
) -> np.ndarray:
    """Rejection of tagger a over tagger b on resampled copies of the test set.

    Both taggers see the same resampled jets, so the spread measures how much the
    ratio moves with the finite test sample alone. It says nothing about the
    spread between trainings with different seeds, which is often larger.

    Parameters
    ----------
    discriminant_a, discriminant_b
        Discriminants of the two taggers on the same jets, shape ``(n,)``.
    labels
        Flavour labels, shape ``(n,)``.
    b_efficiency
        Working point, in (0, 1].
    background
        ``"light"`` or ``"c"``.
    n_resamples
        Number of bootstrap resamplings (jets drawn with replacement).
    seed
        Seed of the resampling.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_resamples,)``; ``inf`` or ``nan`` where a resample leaves no
        background jet passing for b (tiny test samples only).
    """
    a, b = np.asarray(discriminant_a), np.asarray(discriminant_b)
    y = np.asarray(labels)
    if not a.shape == b.shape == y.shape:
        msg = "the two discriminants and the labels need one value per jet each."
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    ratios = np.empty(n_resamples)
    for i in range(n_resamples):
        idx = rng.integers(0, len(y), len(y))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios[i] = rejection(b_efficiency, a[idx], y[idx], background) / (
                rejection(b_efficiency, b[idx], y[idx], background)
            )
    return ratios


@torch.no_grad()
def pooling_weights(model: TransformerTagger, inputs: TaggerInputs) -> np.ndarray:
    """Attention-pooling weights of each track, shape ``(n, N)``, zero on padding."""
    model.eval()
    device = next(model.parameters()).device
    tensors = (t.to(device) for t in (inputs.tracks, inputs.mask, inputs.jet))
    return model.forward_all(*tensors).pool_weights.cpu().numpy()
