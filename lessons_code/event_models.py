"""Event classifiers for ttH (H -> bb) against tt with different inductive biases.

One selected event (one lepton, at least four jets, at least two b-tags, as stored
in the ``tth`` dataset) is a short list of objects: up to ten jets, the lepton and
the missing transverse momentum (MET). This module turns loaded events into
tensors and offers networks that see the same event in different ways:

``HighLevelDense``
    A dense network on a handful of physicist-designed variables (``ht``,
    ``m_bb_min_dr``, ...).
``ObjectDense``
    A dense network on the flattened, pT-ordered object list: generic, it has to
    learn every symmetry from the data. :func:`augment_objects` can supply the
    symmetries instead (random global rotations in phi, reflections in eta).
``PhiCircularCNN``
    A convolutional network on an eta-phi image of the event with one channel per
    object type; phi is padded circularly because it is periodic, and the features
    are pooled over phi, so the output does not change when the image is rolled
    in phi (:func:`event_images`, :func:`pad_phi_circular`).
``DeepSets``
    A per-object network, a masked sum and an event network: the output does not
    depend on the order of the objects nor on extra padding (arXiv:1703.06114).
    With ``aux=True`` it also predicts, for each object, whether it is a b jet
    from the Higgs boson; :func:`make_loss` adds that auxiliary target.

The feature order of an object is :data:`OBJECT_FEATURES`; an absent object (a
padding slot) is all zeros. Models take their inputs unscaled and carry their own
:class:`~lessons_code.taggers.Standardise` layers, fitted with ``fit_scaling``.
:func:`sample_efficiency` trains every model at several training-set sizes and
seeds and returns the test AUCs, the measurement of the exercise page.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import awkward as ak
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lessons_code.metrics import auc
from lessons_code.progress import progress_bar
from lessons_code.taggers import Standardise
from lessons_code.training import LossFunction, TrainResult, fit, predict

log = logging.getLogger(__name__)

#: Features of one object, in this order (pt and mass in GeV before the log).
OBJECT_FEATURES: tuple[str, ...] = (
    "log_pt",  # log(pT / 1 GeV)
    "eta",
    "cos_phi",
    "sin_phi",
    "log_mass",  # log(1 + m / 1 GeV); 0 for the lepton and MET
    "btag",  # b-tagging score in [0, 1]; 0 for the lepton and MET
    "is_btagged",
    "is_jet",
    "is_lepton",
    "is_met",
)
#: Column of each feature in :data:`OBJECT_FEATURES`.
COLUMN = {name: i for i, name in enumerate(OBJECT_FEATURES)}
#: Jet fields read from the ``jets`` group of the ``tth`` dataset.
JET_FIELDS: tuple[str, ...] = (
    "pt",
    "eta",
    "phi",
    "mass",
    "btag",
    "is_btagged",
    "truth",
)
#: Event-level variables of the high-level baseline (GeV where dimensionful).
HIGH_LEVEL: tuple[str, ...] = (
    "ht",
    "n_jets",
    "n_btags",
    "m_bb_min_dr",
    "dr_bb_min",
    "dr_bb_mean",
    "m_bb_max_pt",
    "m_lep_b_min",
    "met",
    "lep_pt",
)
#: Image channels of :func:`event_images`.
IMAGE_CHANNELS: tuple[str, ...] = ("jets", "b-tagged jets", "lepton", "MET")
#: Truth code of a jet matched to a b quark from the Higgs boson.
HIGGS_B = 1
#: Default image size of :func:`event_images`: pixels in eta and in phi.
N_ETA, N_PHI = 8, 12
#: pT scale of the image pixels [GeV]: a pixel holds sum(pT) / PIXEL_PT_GEV.
PIXEL_PT_GEV = 100.0


@dataclass
class EventInputs:
    """Tensors of a set of events.

    Attributes
    ----------
    objects
        Object features, shape ``(n, N, len(OBJECT_FEATURES))``; jets first in
        decreasing pT, then the lepton, then MET; zeros in padding slots.
    mask
        Bool, shape ``(n, N)``, True for real objects.
    high_level
        Shape ``(n, len(HIGH_LEVEL))``, GeV where dimensionful.
    label
        Shape ``(n,)``, 1.0 for ttH and 0.0 for tt.
    weight
        Training weights, shape ``(n,)``: ``weight_pb`` normalised so that each
        class has mean weight one (both classes count equally in the loss).
    weight_pb
        Cross section per event [pb], shape ``(n,)``, for the metrics.
    higgs
        Shape ``(n, N)``, 1.0 for jets matched to a b quark from the Higgs boson.
    """

    objects: Tensor
    mask: Tensor
    high_level: Tensor
    label: Tensor
    weight: Tensor
    weight_pb: Tensor
    higgs: Tensor

    def __len__(self) -> int:
        return len(self.label)

    def subset(self, index: Tensor | np.ndarray | slice) -> EventInputs:
        """Return the events selected by ``index`` (any tensor row index)."""
        return EventInputs(
            *(getattr(self, f)[index] for f in self.__dataclass_fields__)
        )


def _class_balanced(weight: np.ndarray, label: np.ndarray) -> np.ndarray:
    out = np.asarray(weight, dtype=np.float64).copy()
    for value in (0, 1):
        sel = label == value
        if sel.any():
            out[sel] /= out[sel].mean()
    return out


def event_inputs(events: ak.Array, max_jets: int = 10) -> EventInputs:
    """Turn loaded ``tth`` events into tensors.

    Parameters
    ----------
    events
        Events as returned by ``load("tth", split)``: the ``jets`` group (``pt``
        [GeV], ``eta``, ``phi``, ``mass`` [GeV], ``btag``, ``is_btagged``,
        ``truth``), the lepton (``lep_pt`` [GeV], ``lep_eta``, ``lep_phi``), ``met``
        [GeV], ``met_phi``, the :data:`HIGH_LEVEL` variables, ``process`` and
        ``weight_pb``.
    max_jets
        Jet slots; the stored jets are pT-ordered, so extra jets beyond this are
        the softest ones and are dropped.

    Returns
    -------
    EventInputs
        ``N = max_jets + 2`` object slots: the jets, then the lepton, then MET
        (MET has no measured eta; it is placed at eta = 0).

    Raises
    ------
    ValueError
        If a needed field is missing (the message lists them).
    """
    from lessons_code.data import to_padded

    needed = {"jets", "lep_pt", "lep_eta", "lep_phi", "met", "met_phi", "process"}
    needed |= {"weight_pb", *HIGH_LEVEL}
    missing = sorted(needed - set(events.fields))
    if missing:
        msg = f"events lack the fields {missing}: pass events of the tth dataset."
        raise ValueError(msg)
    jets, jet_mask = to_padded(events.jets, max_jets, list(JET_FIELDS))
    n, n_obj = len(events), max_jets + 2
    obj = np.zeros((n, n_obj, len(OBJECT_FEATURES)), dtype=np.float32)
    pt, eta, phi, mass, btag, tagged, truth = np.moveaxis(jets, -1, 0)
    m = jet_mask
    j = slice(0, max_jets)
    obj[:, j, COLUMN["log_pt"]] = np.where(m, np.log(np.maximum(pt, 1e-3)), 0.0)
    obj[:, j, COLUMN["eta"]] = np.where(m, eta, 0.0)
    obj[:, j, COLUMN["cos_phi"]] = np.where(m, np.cos(phi), 0.0)
    obj[:, j, COLUMN["sin_phi"]] = np.where(m, np.sin(phi), 0.0)
    obj[:, j, COLUMN["log_mass"]] = np.where(m, np.log1p(np.maximum(mass, 0.0)), 0.0)
    obj[:, j, COLUMN["btag"]] = np.where(m, btag, 0.0)
    obj[:, j, COLUMN["is_btagged"]] = np.where(m, tagged, 0.0)
    obj[:, j, COLUMN["is_jet"]] = m
    others = (
        ("is_lepton", events["lep_pt"], events["lep_eta"], events["lep_phi"]),
        ("is_met", events["met"], np.zeros(n), events["met_phi"]),
    )
    for slot, (kind, pt_o, eta_o, phi_o) in enumerate(others, start=max_jets):
        pt_o, eta_o, phi_o = (np.asarray(ak.to_numpy(a)) for a in (pt_o, eta_o, phi_o))
        obj[:, slot, COLUMN["log_pt"]] = np.log(np.maximum(pt_o, 1e-3))
        obj[:, slot, COLUMN["eta"]] = eta_o
        obj[:, slot, COLUMN["cos_phi"]] = np.cos(phi_o)
        obj[:, slot, COLUMN["sin_phi"]] = np.sin(phi_o)
        obj[:, slot, COLUMN[kind]] = 1.0
    mask = np.concatenate([jet_mask, np.ones((n, 2), dtype=bool)], axis=1)
    higgs = np.zeros((n, n_obj), dtype=np.float32)
    higgs[:, j] = (m & (truth == HIGGS_B)).astype(np.float32)
    high = np.stack(
        [ak.to_numpy(events[name]).astype(np.float64) for name in HIGH_LEVEL], axis=1
    )
    bad = ~np.isfinite(high)
    if bad.any():
        log.warning(
            "%d high-level values are NaN or infinite; they are set to 0",
            int(bad.sum()),
        )
        high[bad] = 0.0
    label = (ak.to_numpy(events["process"]) == 1).astype(np.float32)
    weight_pb = ak.to_numpy(events["weight_pb"]).astype(np.float64)
    return EventInputs(
        objects=torch.from_numpy(obj),
        mask=torch.from_numpy(mask),
        high_level=torch.from_numpy(high.astype(np.float32)),
        label=torch.from_numpy(label),
        weight=torch.from_numpy(_class_balanced(weight_pb, label).astype(np.float32)),
        weight_pb=torch.from_numpy(weight_pb.astype(np.float32)),
        higgs=torch.from_numpy(higgs),
    )


# --------------------------------------------------------------------------------
# Symmetry transformations and the event image


def rotate_phi(objects: Tensor, angle: Tensor) -> Tensor:
    """Rotate every object of each event by the same azimuthal angle.

    Parameters
    ----------
    objects
        Shape ``(B, N, len(OBJECT_FEATURES))``.
    angle
        Rotation per event [rad], shape ``(B,)``.

    Returns
    -------
    Tensor
        A rotated copy; padding slots (cos = sin = 0) stay zero.

    Examples
    --------
    >>> x = torch.zeros(1, 1, len(OBJECT_FEATURES))
    >>> x[0, 0, COLUMN["cos_phi"]] = 1.0  # phi = 0
    >>> y = rotate_phi(x, torch.tensor([math.pi / 2]))
    >>> round(float(y[0, 0, COLUMN["sin_phi"]]), 6)
    1.0
    """
    c, s = COLUMN["cos_phi"], COLUMN["sin_phi"]
    cos_a, sin_a = torch.cos(angle)[:, None], torch.sin(angle)[:, None]
    out = objects.clone()
    out[..., c] = objects[..., c] * cos_a - objects[..., s] * sin_a
    out[..., s] = objects[..., s] * cos_a + objects[..., c] * sin_a
    return out


def reflect_eta(objects: Tensor, flip: Tensor) -> Tensor:
    """Reflect eta -> -eta in the events where ``flip`` is True.

    Parameters
    ----------
    objects
        Shape ``(B, N, len(OBJECT_FEATURES))``.
    flip
        Bool, shape ``(B,)``.

    Returns
    -------
    Tensor
        A copy with the sign of eta changed in the flipped events.
    """
    out = objects.clone()
    sign = 1.0 - 2.0 * flip.to(objects.dtype)
    out[..., COLUMN["eta"]] = objects[..., COLUMN["eta"]] * sign[:, None]
    return out


def augment_objects(
    objects: Tensor, generator: torch.Generator | None = None
) -> Tensor:
    """Apply a random global phi rotation and a random eta reflection per event.

    Both are symmetries of the collisions at the LHC (the beams are unpolarised
    and the detector is, to a good approximation, symmetric in phi and under
    z -> -z), so the label of an event does not change.

    Parameters
    ----------
    objects
        Shape ``(B, N, len(OBJECT_FEATURES))``.
    generator
        Random generator; torch's global one if None.

    Returns
    -------
    Tensor
        Transformed copy, same shape.
    """
    b = objects.shape[0]
    angle = (torch.rand(b, generator=generator) * 2.0 - 1.0) * math.pi
    flip = torch.rand(b, generator=generator) < 0.5
    return reflect_eta(rotate_phi(objects, angle.to(objects)), flip.to(objects.device))


def event_images(
    objects: Tensor,
    mask: Tensor,
    n_eta: int = N_ETA,
    n_phi: int = N_PHI,
    eta_max: float = 2.5,
) -> Tensor:
    """Draw each event as an eta-phi image with one channel per object type.

    Parameters
    ----------
    objects
        Object features, shape ``(n, N, len(OBJECT_FEATURES))``.
    mask
        Bool, shape ``(n, N)``.
    n_eta, n_phi
        Pixels in eta (over ``[-eta_max, eta_max]``, objects beyond go into the
        edge rows) and in phi (over ``[-pi, pi)``).
    eta_max
        Half-width of the eta range.

    Returns
    -------
    Tensor
        Shape ``(n, 4, n_eta, n_phi)``: summed pT / :data:`PIXEL_PT_GEV` of the
        jets that are not b-tagged, the b-tagged jets, the lepton, and MET (MET
        has no eta, so its pT fills its whole phi column, in every eta row).

    Examples
    --------
    >>> x = torch.zeros(1, 1, len(OBJECT_FEATURES))
    >>> x[0, 0, COLUMN["log_pt"]] = math.log(50.0)  # a 50 GeV jet at eta = phi = 0
    >>> x[0, 0, COLUMN["cos_phi"]] = 1.0
    >>> x[0, 0, COLUMN["is_jet"]] = 1.0
    >>> image = event_images(x, torch.ones(1, 1, dtype=torch.bool))
    >>> image.shape, round(float(image.sum()), 6)
    (torch.Size([1, 4, 8, 12]), 0.5)
    """
    n, n_obj, _ = objects.shape
    pt = torch.exp(objects[..., COLUMN["log_pt"]]) * mask / PIXEL_PT_GEV
    phi = torch.atan2(objects[..., COLUMN["sin_phi"]], objects[..., COLUMN["cos_phi"]])
    i_phi = torch.floor((phi + math.pi) / (2 * math.pi) * n_phi).long() % n_phi
    eta = objects[..., COLUMN["eta"]]
    i_eta = torch.floor((eta + eta_max) / (2 * eta_max) * n_eta).long()
    i_eta = i_eta.clamp(0, n_eta - 1)
    tagged = objects[..., COLUMN["is_btagged"]] > 0.5
    channel = torch.where(tagged, 1, 0)
    channel = torch.where(objects[..., COLUMN["is_lepton"]] > 0.5, 2, channel)
    is_met = objects[..., COLUMN["is_met"]] > 0.5
    channel = torch.where(is_met, 3, channel)
    event = torch.arange(n)[:, None].expand(n, n_obj)
    image = torch.zeros(n * 4 * n_eta * n_phi)
    rows = [i_eta.masked_fill(is_met, 0)]
    rows += [torch.full_like(i_eta, r) for r in range(1, n_eta)]
    for r, row in enumerate(rows):
        keep = mask & (is_met if r > 0 else torch.ones_like(mask))
        flat = ((event * 4 + channel) * n_eta + row) * n_phi + i_phi
        image.index_add_(0, flat[keep], pt[keep].float())
    return image.view(n, 4, n_eta, n_phi)


# --------------------------------------------------------------------------------
# Models


def _fit_norm(norm: Standardise, x: Tensor, mask: Tensor | None = None) -> None:
    """Fit ``norm`` and leave features that are constant in ``x`` unscaled.

    A feature that never varies in the training events (for example the
    ``is_jet`` flag of the tenth jet slot when no training event has ten jets)
    would otherwise be divided by a tiny width, and any later event where it
    differs would give an input of order 1e6.
    """
    norm.fit(x, mask)
    constant = norm.std < 1e-3
    norm.std[constant] = 1.0


def _mlp(n_in: int, width: int, n_out: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth - 1):
        layers += [nn.Linear(n_in if i == 0 else width, width), nn.ReLU()]
    layers.append(nn.Linear(width if depth > 1 else n_in, n_out))
    return nn.Sequential(*layers)


def _check_objects(objects: Tensor, mask: Tensor) -> None:
    if objects.ndim != 3 or mask.shape != objects.shape[:2] or mask.dtype != torch.bool:
        msg = (
            f"expected objects (B, N, F) and a bool mask (B, N); got objects "
            f"{tuple(objects.shape)} and mask {tuple(mask.shape)} ({mask.dtype})."
        )
        raise ValueError(msg)


class HighLevelDense(nn.Module):
    """Dense network on the :data:`HIGH_LEVEL` variables.

    Parameters
    ----------
    n_features
        Input width.
    width, depth
        Hidden width and number of linear layers.
    """

    def __init__(
        self, n_features: int = len(HIGH_LEVEL), width: int = 64, depth: int = 3
    ) -> None:
        super().__init__()
        self.norm = Standardise(n_features)
        self.net = _mlp(n_features, width, 1, depth)

    def fit_scaling(self, data: EventInputs) -> HighLevelDense:
        """Set the input scaling from training events; returns ``self``."""
        _fit_norm(self.norm, data.high_level)
        return self

    def forward(self, x: Tensor) -> Tensor:
        """Logit of ttH, shape ``(B,)``, from ``x`` of shape ``(B, n_features)``."""
        return self.net(self.norm(x)).squeeze(-1)


class ObjectDense(nn.Module):
    """Dense network on the flattened object list (a generic model).

    Parameters
    ----------
    n_objects, n_features
        Object slots ``N`` and features ``F``; the input width is ``N * F``.
    width, depth
        Hidden width and number of linear layers.
    """

    def __init__(
        self,
        n_objects: int = 12,
        n_features: int = len(OBJECT_FEATURES),
        width: int = 64,
        depth: int = 3,
    ) -> None:
        super().__init__()
        self.norm = Standardise(n_objects * n_features)
        self.net = _mlp(n_objects * n_features, width, 1, depth)

    def fit_scaling(self, data: EventInputs) -> ObjectDense:
        """Set the input scaling from training events; returns ``self``."""
        _fit_norm(self.norm, data.objects.flatten(1))
        return self

    def forward(self, objects: Tensor, mask: Tensor) -> Tensor:
        """Logit of ttH, shape ``(B,)``.

        Parameters
        ----------
        objects
            Shape ``(B, N, F)``; padding slots are zeros, so the mask is not used.
        mask
            Bool, shape ``(B, N)`` (accepted for a common interface).
        """
        _check_objects(objects, mask)
        return self.net(self.norm(objects.flatten(1))).squeeze(-1)


def pad_phi_circular(x: Tensor, pad: int) -> Tensor:
    """Pad an image circularly in phi (last axis) and with zeros in eta.

    Parameters
    ----------
    x
        Images, shape ``(B, C, n_eta, n_phi)``.
    pad
        Pixels added on each side of both axes.

    Returns
    -------
    Tensor
        Shape ``(B, C, n_eta + 2 pad, n_phi + 2 pad)``: the phi columns wrap
        around (column ``-1`` is the last one), the extra eta rows are zero.

    Examples
    --------
    >>> x = torch.arange(3.0).view(1, 1, 1, 3)
    >>> pad_phi_circular(x, 1)[0, 0, 1].tolist()
    [2.0, 0.0, 1.0, 2.0, 0.0]
    """
    x = F.pad(x, (pad, pad, 0, 0), mode="circular")
    return F.pad(x, (0, 0, pad, pad))


class PhiCircularCNN(nn.Module):
    """Convolutional network on event images, periodic in phi.

    Two 3x3 convolutions with circular padding in phi and zero padding in eta,
    then a maximum over phi for every eta row and channel, then a dense head. No
    step of it has a preferred phi, so rolling the image in phi leaves the
    output unchanged: the network is invariant under global rotations by whole
    pixels; rotations by a fraction of a pixel move objects across pixel edges and
    change it a little.

    Parameters
    ----------
    n_channels, n_eta, n_phi
        Image shape.
    channels
        Feature maps of both convolutions.
    width
        Hidden width of the head.
    """

    def __init__(
        self,
        n_channels: int = len(IMAGE_CHANNELS),
        n_eta: int = N_ETA,
        n_phi: int = N_PHI,
        channels: int = 8,
        width: int = 64,
    ) -> None:
        super().__init__()
        self.n_eta, self.n_phi = n_eta, n_phi
        self.conv1 = nn.Conv2d(n_channels, channels, 3)
        self.conv2 = nn.Conv2d(channels, channels, 3)
        self.head = _mlp(channels * n_eta, width, 1, depth=2)

    def fit_scaling(self, data: EventInputs) -> PhiCircularCNN:
        """Nothing to fit (pixels are already scaled); returns ``self``."""
        del data
        return self

    def features(self, image: Tensor) -> Tensor:
        """Feature maps before pooling, shape ``(B, channels, n_eta, n_phi)``."""
        if image.ndim != 4 or image.shape[2:] != (self.n_eta, self.n_phi):
            msg = (
                f"expected images (B, C, {self.n_eta}, {self.n_phi}); got "
                f"{tuple(image.shape)}: build them with event_images(n_eta=..., "
                "n_phi=...) matching the model."
            )
            raise ValueError(msg)
        h = F.relu(self.conv1(pad_phi_circular(image, 1)))
        return F.relu(self.conv2(pad_phi_circular(h, 1)))

    def forward(self, image: Tensor) -> Tensor:
        """Logit of ttH, shape ``(B,)``, from images ``(B, C, n_eta, n_phi)``."""
        pooled = self.features(image).amax(dim=-1)  # (B, channels, n_eta)
        return self.head(pooled.flatten(1)).squeeze(-1)


class DeepSets(nn.Module):
    """Permutation-invariant network on the object list (arXiv:1703.06114).

    ``logit = rho(sum_i phi(object_i))`` over real objects only. The output does
    not depend on the order of the objects nor on the number of padding slots.
    With ``aux=True`` a per-object head reads ``[phi(object_i), sum]`` and gives a
    logit for "this jet comes from the Higgs boson"; it is permutation
    equivariant (permuting the objects permutes its outputs).

    Parameters
    ----------
    n_features
        Object features ``F``.
    width
        Hidden width of both networks and of the pooled representation.
    aux
        Add the per-object Higgs-jet head.
    """

    def __init__(
        self, n_features: int = len(OBJECT_FEATURES), width: int = 48, aux: bool = False
    ) -> None:
        super().__init__()
        self.norm = Standardise(n_features)
        self.phi = _mlp(n_features, width, width, depth=3)
        self.rho = _mlp(width, width, 1, depth=3)
        self.object_head = _mlp(2 * width, width, 1, depth=2) if aux else None

    def fit_scaling(self, data: EventInputs) -> DeepSets:
        """Set the input scaling from the real objects of training events."""
        _fit_norm(self.norm, data.objects, data.mask)
        return self

    def forward_all(
        self, objects: Tensor, mask: Tensor
    ) -> tuple[Tensor, Tensor | None]:
        """Event logit and per-object logits.

        Parameters
        ----------
        objects
            Shape ``(B, N, F)``.
        mask
            Bool, shape ``(B, N)``, True for real objects.

        Returns
        -------
        event, objects
            Shapes ``(B,)`` and ``(B, N)`` (None without the auxiliary head).
        """
        _check_objects(objects, mask)
        h = self.phi(self.norm(objects)) * mask.unsqueeze(-1)  # (B, N, W)
        pooled = h.sum(dim=1)  # (B, W)
        event = self.rho(pooled).squeeze(-1)
        if self.object_head is None:
            return event, None
        context = pooled.unsqueeze(1).expand_as(h)
        per_object = self.object_head(torch.cat([h, context], -1)).squeeze(-1)
        return event, per_object

    def forward(self, objects: Tensor, mask: Tensor) -> Tensor:
        """Logit of ttH, shape ``(B,)``; arguments as :meth:`forward_all`."""
        return self.forward_all(objects, mask)[0]


# --------------------------------------------------------------------------------
# Loss and the sample-efficiency scan


def make_loss(*, augment: bool = False, aux_weight: float = 0.0) -> LossFunction:
    """Weighted binary cross-entropy for :func:`lessons_code.training.fit`.

    Parameters
    ----------
    augment
        Transform each training batch with :func:`augment_objects` (the first
        model input must be the object tensor). Only in training mode: the
        validation loss is computed on the events as they are.
    aux_weight
        Weight of the auxiliary loss: the binary cross-entropy of the per-object
        Higgs-jet logits of :class:`DeepSets` (``aux=True``) against
        :attr:`EventInputs.higgs`, averaged over real objects.

    Returns
    -------
    callable
        ``loss_fn(model, *inputs, label, weight)``, or with ``aux_weight > 0``
        ``loss_fn(model, objects, mask, label, weight, higgs)``; a scalar.

    Raises
    ------
    ValueError
        A negative ``aux_weight``.
    """
    if aux_weight < 0:
        msg = f"aux_weight must be non-negative; got {aux_weight}."
        raise ValueError(msg)

    def loss_fn(model: nn.Module, *batch: Tensor) -> Tensor:
        n_targets = 3 if aux_weight > 0 else 2
        inputs, targets = list(batch[:-n_targets]), batch[-n_targets:]
        label, weight = targets[0], targets[1]
        if augment and model.training:
            inputs[0] = augment_objects(inputs[0])
        if aux_weight == 0:
            logits = model(*inputs)
        else:
            logits, per_object = model.forward_all(*inputs)
            if per_object is None:
                msg = "aux_weight > 0 needs DeepSets(aux=True)."
                raise ValueError(msg)
        bce = F.binary_cross_entropy_with_logits(logits, label, reduction="none")
        loss = (weight * bce).sum() / weight.sum()
        if aux_weight > 0:
            mask = inputs[1]
            aux = F.binary_cross_entropy_with_logits(per_object[mask], targets[2][mask])
            loss = loss + aux_weight * aux
        return loss

    return loss_fn


@dataclass
class ModelSpec:
    """How to build, feed and train one model of the comparison.

    Attributes
    ----------
    name
        Label in tables and plots.
    build
        Returns a fresh, untrained model (called after seeding).
    inputs
        Maps :class:`EventInputs` to the model's input tensors.
    augment
        Train with :func:`augment_objects`.
    aux_weight
        Weight of the Higgs-jet target (see :func:`make_loss`).
    """

    name: str
    build: Callable[[], nn.Module]
    inputs: Callable[[EventInputs], tuple[Tensor, ...]]
    augment: bool = False
    aux_weight: float = 0.0

    def tensors(self, data: EventInputs) -> tuple[Tensor, ...]:
        """Inputs and targets in the order the loss expects."""
        extra = (data.higgs,) if self.aux_weight > 0 else ()
        return (*self.inputs(data), data.label, data.weight, *extra)


def high_level_inputs(data: EventInputs) -> tuple[Tensor, ...]:
    """``(high_level,)``, the input of :class:`HighLevelDense`."""
    return (data.high_level,)


def object_inputs(data: EventInputs) -> tuple[Tensor, ...]:
    """``(objects, mask)``, the input of :class:`ObjectDense` and :class:`DeepSets`."""
    return data.objects, data.mask


def image_inputs(data: EventInputs) -> tuple[Tensor, ...]:
    """``(images,)`` of :func:`event_images` at its default size (``N_ETA, N_PHI``)."""
    return (event_images(data.objects, data.mask),)


def train_model(
    spec: ModelSpec,
    train: EventInputs,
    valid: EventInputs,
    seed: int = 0,
    **fit_kwargs: object,
) -> tuple[nn.Module, TrainResult]:
    """Build, scale and train one model.

    Parameters
    ----------
    spec
        The model.
    train, valid
        Training and validation events.
    seed
        Seeds the initial weights and the batch order.
    **fit_kwargs
        Passed to :func:`lessons_code.training.fit` (``epochs``, ``lr``, ...).

    Returns
    -------
    model, result
        The trained model (best epoch, evaluation mode) and its history.
    """
    torch.manual_seed(seed)
    model = spec.build()
    model.fit_scaling(train)
    loss_fn = make_loss(augment=spec.augment, aux_weight=spec.aux_weight)
    fit_kwargs.setdefault("progress", False)
    fit_kwargs.setdefault("desc", spec.name)
    train_t, valid_t = spec.tensors(train), spec.tensors(valid)
    result = fit(model, train_t, valid_t, loss_fn, seed=seed, **fit_kwargs)
    return model, result


def evaluate_auc(model: nn.Module, spec: ModelSpec, test: EventInputs) -> float:
    """Weighted ROC AUC of a trained model on test events (``weight_pb``)."""
    scores = predict(model, spec.inputs(test)).numpy()
    return auc(test.label.numpy(), scores, test.weight_pb.numpy())


def sample_efficiency(
    specs: Sequence[ModelSpec],
    train: EventInputs,
    valid: EventInputs,
    test: EventInputs,
    sizes: Sequence[int],
    seeds: Sequence[int],
    **fit_kwargs: object,
) -> pd.DataFrame:
    """Test AUC of every model against the number of training events.

    For each seed, the training events of size ``n`` are the first ``n`` of one
    seeded permutation of ``train``, so larger sets contain the smaller ones and
    every model sees the same events. Validation and test sets are fixed.

    Parameters
    ----------
    specs
        The models.
    train, valid, test
        Event sets; ``max(sizes)`` must not exceed ``len(train)``.
    sizes
        Training-set sizes.
    seeds
        One run per seed (events, initial weights, batch order).
    **fit_kwargs
        Passed to :func:`lessons_code.training.fit`.

    Returns
    -------
    pandas.DataFrame
        One row per (model, size, seed): ``model``, ``n_train``, ``seed``,
        ``auc``, ``n_parameters``, ``epochs``, ``time_s`` (training wall time).

    Raises
    ------
    ValueError
        If a size exceeds the training events.
    """
    if max(sizes) > len(train):
        msg = (
            f"the largest training size {max(sizes)} exceeds the {len(train)} "
            "training events: lower the sizes or load more events."
        )
        raise ValueError(msg)
    rows = []
    total = len(specs) * len(sizes) * len(seeds)
    bar = progress_bar(total=total, desc="trainings", leave=False, mininterval=1.0)
    for seed in seeds:
        generator = torch.Generator().manual_seed(seed)
        order = torch.randperm(len(train), generator=generator)
        for n in sizes:
            subset = train.subset(order[:n])
            for spec in specs:
                start = time.perf_counter()
                model, result = train_model(spec, subset, valid, seed, **fit_kwargs)
                rows.append(
                    {
                        "model": spec.name,
                        "n_train": n,
                        "seed": seed,
                        "auc": evaluate_auc(model, spec, test),
                        "n_parameters": result.n_parameters,
                        "epochs": result.n_epochs,
                        "time_s": time.perf_counter() - start,
                    }
                )
                bar.update()
    bar.close()
    return pd.DataFrame(rows)


def summarise(scan: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard error of the AUC per model and training size.

    Parameters
    ----------
    scan
        Output of :func:`sample_efficiency`.

    Returns
    -------
    pandas.DataFrame
        Columns ``model``, ``n_train``, ``auc_mean``, ``auc_err`` (standard
        deviation over seeds divided by sqrt(number of seeds); 0 for one seed),
        ``time_s`` (mean training time [s]) and ``n_parameters``.
    """
    grouped = scan.groupby(["model", "n_train"], sort=False)
    out = grouped.agg(
        auc_mean=("auc", "mean"),
        auc_std=("auc", "std"),
        n_seeds=("auc", "size"),
        time_s=("time_s", "mean"),
        n_parameters=("n_parameters", "first"),
    ).reset_index()
    out["auc_err"] = (out["auc_std"] / np.sqrt(out["n_seeds"])).fillna(0.0)
    return out.drop(columns=["auc_std", "n_seeds"])
