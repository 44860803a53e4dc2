"""Jet physics on arrays: kinematics, N-subjettiness and jet images.

All functions work on whole batches of jets at once (numpy and awkward), never
one jet at a time.
"""

from __future__ import annotations

import logging

import awkward as ak
import numpy as np

log = logging.getLogger(__name__)


def delta_phi(phi1: np.ndarray, phi2: np.ndarray) -> np.ndarray:
    """Azimuthal difference wrapped to [-pi, pi).

    Parameters
    ----------
    phi1, phi2
        Azimuthal angles [rad], broadcastable (numpy or awkward).

    Returns
    -------
    array
        phi1 - phi2 wrapped [rad].

    Examples
    --------
    >>> float(delta_phi(np.array(3.0), np.array(-3.0)).round(4))
    -0.2832
    """
    return (phi1 - phi2 + np.pi) % (2 * np.pi) - np.pi


def nsubjettiness(
    pt: ak.Array,
    eta: ak.Array,
    phi: ak.Array,
    axes_eta: ak.Array,
    axes_phi: ak.Array,
    radius: float,
) -> np.ndarray:
    """N-subjettiness tau_N with beta = 1 for given axes (arXiv:1011.2268, eq. 1).

    tau_N = sum_k pT_k min_j dR(k, j) / (sum_k pT_k R0).

    Parameters
    ----------
    pt, eta, phi
        Constituents, jagged (n_jets, var) [GeV, -, rad].
    axes_eta, axes_phi
        The N axes per jet, jagged (n_jets, N).
    radius
        Jet radius R0.

    Returns
    -------
    numpy.ndarray
        tau_N, shape (n_jets,), dimensionless.

    Examples
    --------
    >>> one = ak.Array([[1.0, 1.0]])
    >>> float(nsubjettiness(one, ak.Array([[0.0, 0.4]]), ak.Array([[0.0, 0.0]]),
    ...                     ak.Array([[0.0]]), ak.Array([[0.0]]), 0.8)[0])
    0.25
    """
    pair = ak.cartesian({"c_eta": eta, "a_eta": axes_eta}, nested=True)
    pair_phi = ak.cartesian({"c_phi": phi, "a_phi": axes_phi}, nested=True)
    dr = np.hypot(pair.c_eta - pair.a_eta, delta_phi(pair_phi.c_phi, pair_phi.a_phi))
    dmin = ak.min(dr, axis=-1)
    num = ak.sum(pt * dmin, axis=-1)
    den = ak.sum(pt, axis=-1) * radius
    return ak.to_numpy(num / den).astype(np.float64)


def _jet_index(counts: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(counts)), counts)


def jet_images(
    constituents: ak.Array,
    n_pixels: int = 32,
    half_width: float = 0.8,
    rotate: bool = True,
    flip: bool = True,
) -> np.ndarray:
    """Centred, rotated, normalised jet images in the (eta, phi) plane.

    Each jet's constituents are translated so that their pT-weighted centroid is
    at the origin; with ``rotate`` the principal axis of the pT-weighted
    distribution is turned onto the horizontal axis; with ``flip`` the image is
    reflected so that the larger pT sits at positive x and positive y. The pT of
    the constituents is then histogrammed and each image normalised to sum 1.

    Parameters
    ----------
    constituents
        Jagged records with fields ``pt``, ``deta``, ``dphi`` (relative to the jet
        axis), shape (n_jets, var).
    n_pixels
        Pixels per side.
    half_width
        Half the side length of the image in (eta, phi) units.
    rotate, flip
        Apply the rotation and reflections described above.

    Returns
    -------
    numpy.ndarray
        Images, shape (n_jets, n_pixels, n_pixels), float32; axis 1 is the
        horizontal (eta-like) coordinate, axis 2 the vertical one.

    Examples
    --------
    >>> c = ak.Array([[{"pt": 1.0, "deta": 0.1, "dphi": 0.0}]])
    >>> float(jet_images(c).sum())
    1.0
    """
    counts = ak.to_numpy(ak.num(constituents))
    jet = _jet_index(counts)
    n_jets = len(counts)
    w = ak.to_numpy(ak.flatten(constituents.pt)).astype(np.float64)
    x = ak.to_numpy(ak.flatten(constituents.deta)).astype(np.float64)
    y = ak.to_numpy(ak.flatten(constituents.dphi)).astype(np.float64)
    wsum = np.bincount(jet, w, n_jets)
    wsum[wsum == 0] = 1.0
    x = x - (np.bincount(jet, w * x, n_jets) / wsum)[jet]
    y = y - (np.bincount(jet, w * y, n_jets) / wsum)[jet]
    if rotate:
        sxx = np.bincount(jet, w * x * x, n_jets)
        syy = np.bincount(jet, w * y * y, n_jets)
        sxy = np.bincount(jet, w * x * y, n_jets)
        angle = 0.5 * np.arctan2(2 * sxy, sxx - syy)[jet]
        cos, sin = np.cos(angle), np.sin(angle)
        x, y = cos * x + sin * y, -sin * x + cos * y
    if flip:
        # The pT-weighted mean is zero after centring: compare the pT on each side.
        x = x * np.where(np.bincount(jet, w * np.sign(x), n_jets) < 0, -1.0, 1.0)[jet]
        y = y * np.where(np.bincount(jet, w * np.sign(y), n_jets) < 0, -1.0, 1.0)[jet]
    scale = n_pixels / (2 * half_width)
    ix = np.floor((x + half_width) * scale).astype(np.int64)
    iy = np.floor((y + half_width) * scale).astype(np.int64)
    inside = (ix >= 0) & (ix < n_pixels) & (iy >= 0) & (iy < n_pixels)
    images = np.zeros((n_jets, n_pixels, n_pixels))
    np.add.at(images, (jet[inside], ix[inside], iy[inside]), w[inside])
    totals = images.sum(axis=(1, 2), keepdims=True)
    totals[totals == 0] = 1.0
    return (images / totals).astype(np.float32)


def padded_constituents(
    constituents: ak.Array,
    max_constituents: int = 100,
    fields: tuple[str, ...] = ("pt", "deta", "dphi", "e"),
) -> tuple[np.ndarray, np.ndarray]:
    """Constituents as a padded array with a mask, ready for a set or graph model.

    Parameters
    ----------
    constituents
        Jagged records (n_jets, var) as stored in ``boosted_jets``.
    max_constituents
        Length of the padded axis (the highest-pT constituents are kept).
    fields
        Fields stacked along the last axis.

    Returns
    -------
    values, mask
        Shapes (n_jets, max_constituents, len(fields)) and
        (n_jets, max_constituents).

    Examples
    --------
    >>> c = ak.Array([[{"pt": 1.0, "deta": 0.1, "dphi": 0.0, "e": 2.0}]])
    >>> padded_constituents(c, 2)[0].shape
    (1, 2, 4)
    """
    from lessons_code.data.arrays import to_padded

    return to_padded(constituents, max_constituents, fields)
