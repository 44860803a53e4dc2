"""Jet images: centring, rotation, reflection and normalisation.

The images of :func:`lessons_code.data.jet_images` must not depend on where the
jet sits in (eta, phi), on its overall pT scale, or (with ``rotate``) on the
orientation of its radiation pattern; without the rotation, turning the input
by 90 degrees must turn the image by 90 degrees.
"""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from lessons_code.data import jet_images


def _jets(rng: np.random.Generator, n_jets: int = 20, n_cons: int = 30) -> dict:
    """Random two-prong jets: a hard core and a softer subjet, plus soft spray."""
    pt = rng.exponential(10.0, (n_jets, n_cons))
    pt[:, 0] += 200.0
    pt[:, 1] += 80.0
    x = rng.normal(0.0, 0.08, (n_jets, n_cons))
    y = rng.normal(0.0, 0.08, (n_jets, n_cons))
    x[:, 1] += 0.3
    y[:, 1] += 0.15
    return {"pt": pt, "deta": x, "dphi": y}


def _to_ak(jets: dict) -> ak.Array:
    return ak.zip({k: ak.Array(v.tolist()) for k, v in jets.items()})


def _rotated(jets: dict, angle: float) -> dict:
    c, s = np.cos(angle), np.sin(angle)
    x, y = jets["deta"], jets["dphi"]
    return {"pt": jets["pt"], "deta": c * x - s * y, "dphi": s * x + c * y}


def _pixel_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of the pT in the same pixel (1 when identical)."""
    return float(np.minimum(a, b).sum() / a.sum())


@pytest.fixture()
def jets() -> dict:
    return _jets(np.random.default_rng(3))


def test_each_image_sums_to_one_whatever_the_pt_scale(jets: dict) -> None:
    images = jet_images(_to_ak(jets), n_pixels=16)
    assert images.shape == (20, 16, 16)
    assert images.dtype == np.float32
    np.testing.assert_allclose(images.sum(axis=(1, 2)), 1.0, rtol=1e-5)
    assert (images >= 0).all()
    scaled = dict(jets, pt=jets["pt"] * 7.5)
    np.testing.assert_allclose(jet_images(_to_ak(scaled), n_pixels=16), images)


def test_jet_without_constituents_gives_an_empty_image() -> None:
    cons = ak.Array([[{"pt": 1.0, "deta": 0.0, "dphi": 0.0}], []])
    images = jet_images(cons, n_pixels=8)
    assert images[0].sum() == pytest.approx(1.0)
    assert images[1].sum() == 0.0


def test_image_is_centred_on_the_pt_weighted_centroid(jets: dict) -> None:
    shifted = dict(jets, deta=jets["deta"] + 0.21, dphi=jets["dphi"] - 0.13)
    a = jet_images(_to_ak(jets), rotate=False, flip=False)
    b = jet_images(_to_ak(shifted), rotate=False, flip=False)
    for i in range(len(a)):
        assert _pixel_agreement(a[i], b[i]) > 0.97
    # The pT-weighted centroid of every image lies in its central 2 x 2 pixels.
    n = a.shape[1]
    centres = (np.arange(n) + 0.5) - n / 2  # pixel centres in pixel units
    mean_x = np.einsum("jxy,x->j", a, centres)
    mean_y = np.einsum("jxy,y->j", a, centres)
    assert np.abs(mean_x).max() < 1.0 and np.abs(mean_y).max() < 1.0


def test_rotating_the_input_by_90_degrees_rotates_the_image(jets: dict) -> None:
    a = jet_images(_to_ak(jets), n_pixels=32, rotate=False, flip=False)
    b = jet_images(_to_ak(_rotated(jets, np.pi / 2)), 32, rotate=False, flip=False)
    # (x, y) -> (-y, x) maps pixel (i, j) to (P - 1 - j, i): numpy's rot90.
    np.testing.assert_allclose(b, np.rot90(a, k=1, axes=(1, 2)), atol=1e-6)


@pytest.mark.parametrize("angle", [0.4, 1.3, 2.9, -2.0])
def test_rotation_and_flip_make_the_image_orientation_free(
    jets: dict, angle: float
) -> None:
    a = jet_images(_to_ak(jets), n_pixels=16)
    b = jet_images(_to_ak(_rotated(jets, angle)), n_pixels=16)
    agreement = [_pixel_agreement(a[i], b[i]) for i in range(len(a))]
    assert min(agreement) > 0.95


def test_rotation_puts_the_principal_axis_horizontal(jets: dict) -> None:
    turned = _to_ak(_rotated(jets, 0.7))
    images = jet_images(turned, n_pixels=16)
    n = images.shape[1]
    centres = (np.arange(n) + 0.5) - n / 2
    sxx = np.einsum("jxy,x->j", images, centres**2)
    syy = np.einsum("jxy,y->j", images, centres**2)
    assert (sxx > syy).all()
    # The flip puts the harder side (the second prong) at positive x.
    left = images[:, : n // 2].sum(axis=(1, 2))
    assert (images.sum(axis=(1, 2)) - left > left).all()
