"""Physics sanity of the shipped jet datasets ``boosted_jets`` and ``flavour_tagging``.

These tests read ``data/*.root`` (committed with the repository, so they run in CI)
and need no generator; each skips, saying why, only when its file is absent.
"""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from lessons_code.data import load, storage
from lessons_code.data.loading import DATA_DIR


def _numpy(arrays: ak.Array, field: str) -> np.ndarray:
    return ak.to_numpy(arrays[field])


def _shipped(name: str) -> ak.Array:
    if not (DATA_DIR / f"{name}.root").exists():
        pytest.skip(f"data/{name}.root is not present")
    return load(name, "test", fast=False)


def _peak(values: np.ndarray, lo: float, hi: float, width: float = 4.0) -> float:
    counts, edges = np.histogram(values, bins=np.arange(lo, hi + width, width))
    return float(edges[np.argmax(counts)] + width / 2)


@pytest.fixture(scope="module")
def boosted():
    return _shipped("boosted_jets")


@pytest.fixture(scope="module")
def flavour():
    return _shipped("flavour_tagging")


def test_top_and_w_mass_peaks(boosted):
    mass, label = _numpy(boosted, "jet_mass"), _numpy(boosted, "label")
    assert abs(_peak(mass[label == 1], 100, 260) - 173) < 15
    assert abs(_peak(mass[label == 2], 40, 140) - 80.4) < 10
    assert np.median(mass[label == 0]) < np.median(mass[label == 2])


def test_prong_observables_separate_classes(boosted):
    label = _numpy(boosted, "label")
    tau21, tau32 = _numpy(boosted, "tau21"), _numpy(boosted, "tau32")
    assert np.mean(tau32[label == 1]) < np.mean(tau32[label == 0]) - 0.1
    assert np.mean(tau21[label == 2]) < np.mean(tau21[label == 0]) - 0.1
    # With exclusive-kt axes tau_N can exceed tau_(N-1) when the N axes split one
    # narrow core (see the boosted_jets docstring); this must stay rare.
    assert np.all(tau21 >= 0) and np.all(tau32 >= 0)
    assert np.mean(tau21 > 1) < 0.05 and np.mean(tau32 > 1) < 0.1


def test_boosted_counts_match_the_issue(boosted):
    entries = storage.read_manifest(DATA_DIR)["boosted_jets"]
    counts = {k: v["entries"] for k, v in entries["processes"].items()}
    assert (
        counts["qcd"] >= 30_000 and counts["ttbar"] >= 15_000 and counts["ww"] >= 15_000
    )


def test_d0_significance_orders_flavours(flavour):
    label = _numpy(flavour, "label")
    first = ak.to_numpy(ak.fill_none(ak.firsts(flavour.tracks.d0_sig), 0.0))
    means = [np.mean(ak.to_numpy(ak.flatten(flavour.tracks.d0_sig[label == k])))
             for k in range(3)]  # fmt: skip
    light, charm, bottom = means
    assert bottom > charm > light
    assert abs(light) < 1.0
    assert np.median(first[label == 2]) > np.median(first[label == 0])


def test_track_origins_match_labels(flavour):
    label = _numpy(flavour, "label")
    origin = flavour.tracks.origin

    def share(k: int, o: int) -> float:
        return float(np.mean(ak.to_numpy(ak.flatten(origin[label == k])) == o))

    assert share(2, 1) > 0.3 and share(2, 1) > 5 * share(0, 1)
    assert share(1, 2) > 0.15 and share(1, 2) > 5 * share(0, 2)
    assert share(0, 0) > 0.8
    decay = _numpy(flavour, "hadron_decay_length_mm")
    assert np.all(decay[label == 0] == 0) and np.median(decay[label == 2]) > 1.0


def test_flavour_counts_and_tracks(flavour):
    manifest = storage.read_manifest(DATA_DIR)["flavour_tagging"]
    assert manifest["entries"] >= 120_000
    assert ak.max(ak.num(flavour.tracks)) <= 15
    pt = _numpy(flavour, "jet_pt")
    # stored with 12 mantissa bits: a cut value itself may appear after rounding
    assert pt.min() >= 20 and np.abs(_numpy(flavour, "jet_eta")).max() <= 2.5
    sig = flavour.tracks.d0_sig
    assert ak.all(sig[:, :-1] >= sig[:, 1:])


@pytest.mark.parametrize("name", ["boosted_jets", "flavour_tagging"])
def test_shipped_file_matches_the_manifest(name):
    if not (DATA_DIR / f"{name}.root").exists():
        pytest.skip(f"data/{name}.root is not present")
    entry = storage.read_manifest(DATA_DIR)[name]
    path = DATA_DIR / entry["file"]
    assert path.stat().st_size == entry["size_bytes"]
    assert storage.file_sha256(path) == entry["sha256"]
    counts = sum(p["entries"] for p in entry["processes"].values())
    assert counts == entry["entries"]


def test_shipped_sizes_within_budget():
    budgets_mb = {"boosted_jets": 35, "flavour_tagging": 30}
    manifest = storage.read_manifest(DATA_DIR)
    present = [name for name in budgets_mb if name in manifest]
    if not present:
        pytest.skip("no jet dataset is listed in data/manifest.json")
    for name in present:
        assert manifest[name]["size_bytes"] <= budgets_mb[name] * 1e6, name
    total = sum(p.stat().st_size for p in DATA_DIR.glob("*.root"))
    assert total < 80e6, "all shipped datasets together must stay under 80 MB"


def test_boosted_jets_in_the_window(boosted):
    pt, eta = _numpy(boosted, "jet_pt"), _numpy(boosted, "jet_eta")
    # stored with 12 mantissa bits: a cut value itself may appear after rounding
    assert pt.min() >= 500 and pt.max() <= 700 and np.abs(eta).max() <= 2
    n_stored = ak.to_numpy(ak.num(boosted.constituents))
    assert np.all(n_stored == np.minimum(_numpy(boosted, "n_constituents"), 100))
