"""Storage, manifest, loading and its error paths, array helpers, detector model.

These tests need no generator: they write small files of random values with the
declared fields of a real sample.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from lessons_code.data import (
    ChecksumError,
    available,
    balance_classes,
    describe,
    detector,
    jet_images,
    load,
    loading,
    padded_constituents,
    samples,
    storage,
    to_dataframe,
    to_padded,
    verify,
)
from lessons_code.data.cli import main as cli_main
from lessons_code.data.samples import get_sample

NAME = "boosted_jets"


def fake_arrays(name: str, n: int, seed: int = 0) -> ak.Array:
    """Random values in the declared fields of sample ``name``."""
    sample = get_sample(name)
    rng = np.random.default_rng(seed)
    out: dict[str, object] = {}
    counts = {g: rng.integers(0, 6, n) for g in sample.groups()}
    for f in sample.all_fields():
        size = n if f.group is None else int(counts[f.group].sum())
        values = (
            rng.normal(size=size) * 10
            if "float" in f.dtype
            else rng.integers(0, 3, size)
        )
        values = values.astype(f.dtype)
        if f.group is None:
            out[f.name] = values
        else:
            out.setdefault(f.group, {})[f.name] = values
    for group in sample.groups():
        out[group] = ak.unflatten(ak.zip(out[group]), counts[group])
    return ak.zip(out, depth_limit=1)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder with one small file and its manifest entry."""
    sample = get_sample(NAME)
    arrays = fake_arrays(NAME, 500)
    path = tmp_path / f"{NAME}.root"
    storage.write_root(path, sample, arrays)
    entry = {
        "file": path.name,
        "sha256": storage.file_sha256(path),
        "size_bytes": path.stat().st_size,
        "entries": len(arrays),
        "seed": 3,
    }
    storage.update_manifest(tmp_path, NAME, entry)
    return tmp_path


def test_available_lists_the_jet_samples():
    assert {"boosted_jets", "flavour_tagging"} <= set(available())


def test_roundtrip_keeps_values_to_the_declared_precision(tmp_path):
    sample = get_sample(NAME)
    arrays = fake_arrays(NAME, 200, seed=1)
    path = tmp_path / "x.root"
    storage.write_root(path, sample, arrays)
    back = storage.read_root(path, sample)
    assert set(back.fields) == set(arrays.fields)
    rel = np.abs(ak.to_numpy(back.jet_pt) / ak.to_numpy(arrays.jet_pt) - 1)
    assert rel.max() <= 2.0 ** -(12 + 1) * 1.0001
    assert ak.all(ak.num(back.constituents) == ak.num(arrays.constituents))
    assert np.array_equal(ak.to_numpy(back.label), ak.to_numpy(arrays.label))


@pytest.mark.parametrize("bits", [4, 8, 10, 16])
def test_round_mantissa_error_bound(bits):
    x = np.random.default_rng(0).lognormal(size=10_000).astype(np.float32)
    rel = np.abs(storage.round_mantissa(x, bits) / x - 1)
    assert rel.max() <= 2.0 ** -(bits + 1) * 1.0001
    assert rel.max() > 2.0 ** -(bits + 3)  # it really rounds


def test_manifest_is_merged_not_overwritten(tmp_path):
    storage.update_manifest(tmp_path, "a", {"sha256": "1"})
    storage.update_manifest(tmp_path, "b", {"sha256": "2"})
    storage.update_manifest(tmp_path, "a", {"sha256": "3"})
    assert storage.read_manifest(tmp_path) == {
        "a": {"sha256": "3"},
        "b": {"sha256": "2"},
    }


def test_splits_are_disjoint_and_cover_the_file(data_dir):
    parts = [
        load(NAME, s, data_dir=data_dir, fast=False) for s in ("train", "valid", "test")
    ]
    assert [len(p) for p in parts] == [300, 100, 100]
    whole = storage.read_root(data_dir / f"{NAME}.root", get_sample(NAME))
    joined = ak.concatenate(parts)
    assert np.array_equal(ak.to_numpy(joined.jet_pt), ak.to_numpy(whole.jet_pt))


def test_fast_mode_returns_the_documented_subset(data_dir, monkeypatch):
    small = dataclasses.replace(get_sample(NAME), fast_entries=50)
    monkeypatch.setitem(samples._registry(), NAME, small)
    fast = load(NAME, "train", data_dir=data_dir, fast=True)
    assert len(fast) == 50
    assert len(load(NAME, "test", data_dir=data_dir, fast=True)) == 50
    full = load(NAME, "train", data_dir=data_dir, fast=False)
    assert np.array_equal(
        ak.to_numpy(fast.jet_pt), ak.to_numpy(full.jet_pt[: len(fast)])
    )


def test_fields_selection(data_dir):
    jets = load(NAME, "valid", data_dir=data_dir, fields=["jet_pt", "constituents"])
    assert jets.fields == ["jet_pt", "constituents"]


def test_unknown_dataset_lists_available():
    with pytest.raises(KeyError, match="Available datasets: .*boosted_jets"):
        load("no_such_sample")


def test_unknown_split(data_dir):
    with pytest.raises(ValueError, match="train, valid, test"):
        load(NAME, "training", data_dir=data_dir)


def test_corrupt_file_names_file_and_fix(data_dir):
    path = data_dir / f"{NAME}.root"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ChecksumError, match=rf"{NAME}\.root.*git checkout.*generate"):
        load(NAME, data_dir=data_dir)
    assert verify(data_dir) == {NAME: "mismatch"}
    assert cli_main(["verify", "--data-dir", str(data_dir)]) == 1


def test_missing_file_without_download_names_regenerate_command(data_dir):
    (data_dir / f"{NAME}.root").unlink()
    with pytest.raises(FileNotFoundError, match="python -m lessons_code.data generate"):
        load(NAME, data_dir=data_dir, download=False)
    assert verify(data_dir) == {NAME: "missing"}


def test_missing_file_when_download_fails(data_dir, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(loading.pooch, "retrieve", refuse)
    (data_dir / f"{NAME}.root").unlink()
    with pytest.raises(FileNotFoundError, match="could not be downloaded"):
        load(NAME, data_dir=data_dir)


def test_missing_file_is_downloaded_from_the_configured_url(
    data_dir, monkeypatch, tmp_path
):
    stash = tmp_path / "stash.root"
    shutil.move(data_dir / f"{NAME}.root", stash)
    seen = {}

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        seen["url"], seen["hash"] = url, known_hash
        return str(stash)

    monkeypatch.setattr(loading.pooch, "retrieve", fake_retrieve)
    jets = load(NAME, "test", data_dir=data_dir)
    assert len(jets) == 100
    url, branch = loading.repository()
    assert seen["url"].endswith(f"/{branch}/data/{NAME}.root")
    assert seen["hash"] == "sha256:" + storage.file_sha256(stash)


def test_no_manifest_entry(tmp_path):
    with pytest.raises(FileNotFoundError, match="no entry.*generate boosted_jets"):
        load(NAME, data_dir=tmp_path)


def test_invalid_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a valid manifest"):
        load(NAME, data_dir=tmp_path)


def test_dataset_url_follows_config():
    url, branch = loading.repository()
    owner_repo = url.removeprefix("https://github.com/")
    assert loading.dataset_url("flavour_tagging") == (
        f"https://raw.githubusercontent.com/{owner_repo}/{branch}/data/flavour_tagging.root"
    )


def test_verify_ok_and_cli(data_dir, capsys):
    assert verify(data_dir) == {NAME: "ok"}
    assert cli_main(["verify", "--data-dir", str(data_dir)]) == 0
    assert cli_main(["info", NAME, "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "constituents.pt" in out and "[GeV]" in out
    assert cli_main(["info", NAME, "--json", "--data-dir", str(data_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == 500


def test_to_padded_numbers_and_records():
    x, m = to_padded(ak.Array([[1.0, 2.0, 3.0], [], [4.0]]), 2)
    assert x.shape == (3, 2) and m.tolist() == [
        [True, True],
        [False, False],
        [True, False],
    ]
    assert x[0].tolist() == [1.0, 2.0] and x[1].tolist() == [0.0, 0.0]
    rec = ak.Array(
        [[{"a": 1.0, "b": 2.0}], [{"a": 3.0, "b": 4.0}, {"a": 5.0, "b": 6.0}]]
    )
    values, mask = to_padded(rec, 3, ["b", "a"])
    assert values.shape == (2, 3, 2) and values[1, 1].tolist() == [6.0, 5.0]
    assert mask.sum() == 3


def test_to_dataframe_keeps_only_scalars(data_dir):
    jets = load(NAME, "valid", data_dir=data_dir)
    frame = to_dataframe(jets)
    assert "constituents" not in frame.columns
    assert len(frame) == len(jets) and "jet_mass" in frame.columns


def test_balance_classes_equalises_counts_and_spectra():
    rng = np.random.default_rng(0)
    n = 20_000
    label = rng.integers(0, 3, n)
    pt = rng.exponential(50 * (1 + label))  # classes differ in pT
    arrays = ak.zip({"label": label, "pt": pt})
    out = balance_classes(arrays, "label", ["pt"], np.random.default_rng(1), bins=8)
    counts = np.bincount(ak.to_numpy(out.label))
    assert counts[0] == counts[1] == counts[2] > 0
    medians = [np.median(ak.to_numpy(out.pt[out.label == k])) for k in range(3)]
    assert max(medians) / min(medians) < 1.3


def _constituents(n_jets: int, seed: int) -> ak.Array:
    rng = np.random.default_rng(seed)
    counts = rng.integers(5, 40, n_jets)
    total = counts.sum()
    return ak.unflatten(
        ak.zip(
            {
                "pt": rng.exponential(10, total),
                "deta": rng.normal(0, 0.2, total),
                "dphi": rng.normal(0, 0.1, total),
                "e": rng.exponential(20, total),
            }
        ),
        counts,
    )


def test_jet_images_sum_to_one_and_are_centred():
    cons = _constituents(50, 0)
    images = jet_images(cons, n_pixels=32, half_width=1.5)
    assert images.shape == (50, 32, 32)
    assert np.allclose(images.sum(axis=(1, 2)), 1.0, atol=1e-5)
    centres = (np.arange(32) + 0.5) / 32 * 3.0 - 1.5
    x_mean = (images.sum(axis=2) * centres).sum(axis=1)
    y_mean = (images.sum(axis=1) * centres).sum(axis=1)
    pixel = 3.0 / 32
    assert np.abs(x_mean).max() < pixel and np.abs(y_mean).max() < pixel


def test_jet_images_rotation():
    cons = _constituents(20, 1)
    turned = ak.zip({"pt": cons.pt, "deta": -cons.dphi, "dphi": cons.deta, "e": cons.e})
    plain = jet_images(cons, rotate=False, flip=False)
    plain_turned = jet_images(turned, rotate=False, flip=False)
    assert np.allclose(plain_turned, np.rot90(plain, k=1, axes=(1, 2)))
    angle = 0.7
    c, s = np.cos(angle), np.sin(angle)
    rotated = ak.zip(
        {
            "pt": cons.pt,
            "deta": c * cons.deta - s * cons.dphi,
            "dphi": s * cons.deta + c * cons.dphi,
            "e": cons.e,
        }
    )
    assert np.allclose(jet_images(rotated), jet_images(cons), atol=1e-6)
    assert not np.allclose(
        jet_images(rotated, rotate=False), jet_images(cons, rotate=False)
    )


def test_padded_constituents_shape_and_order():
    cons = _constituents(10, 2)
    values, mask = padded_constituents(cons, 16)
    assert values.shape == (10, 16, 4) and mask.shape == (10, 16)
    assert np.array_equal(mask.sum(axis=1), np.minimum(ak.to_numpy(ak.num(cons)), 16))


def test_detector_is_deterministic_given_the_generator():
    pt = np.linspace(1, 200, 1000)
    eta = np.linspace(-3, 3, 1000)
    pid = np.where(np.arange(1000) % 3 == 0, 22, 211)
    charge = np.where(pid == 22, 0.0, 1.0)
    first = detector.smear_particles(pt, eta, pid, charge, np.random.default_rng(5))
    second = detector.smear_particles(pt, eta, pid, charge, np.random.default_rng(5))
    other = detector.smear_particles(pt, eta, pid, charge, np.random.default_rng(6))
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    assert not first[2][np.abs(eta) > detector.TRACKER_ETA_MAX].any()


def test_impact_parameter_resolution_falls_with_pt():
    pt = np.array([1.0, 10.0, 100.0])
    d0 = detector.d0_resolution_mm(pt, np.zeros(3))
    z0 = detector.z0_resolution_mm(pt, np.zeros(3))
    assert np.all(np.diff(d0) < 0) and np.all(np.diff(z0) < 0)
    assert d0[-1] == pytest.approx(detector.D0_RES_CONST_MM, rel=0.05)
    assert np.all(detector.z0_resolution_mm(pt, np.ones(3)) > z0)


def test_impact_parameters_of_a_prompt_track_vanish():
    d0, z0 = detector.impact_parameters_mm(
        np.zeros(2), np.zeros(2), np.zeros(2), np.ones(2), np.ones(2), np.ones(2)
    )
    assert np.all(d0 == 0) and np.all(z0 == 0)


def test_detector_table_reads_the_model_constants():
    table = describe.detector_table()
    assert len(table) == len(describe.DETECTOR_ROWS)
    for row, (_, _, constant, _, _) in zip(
        table.itertuples(), describe.DETECTOR_ROWS, strict=True
    ):
        assert row.value == getattr(detector, constant)
        assert "arXiv:" in row.source


def test_manifest_tables(data_dir):
    entry = storage.read_manifest(data_dir)[NAME]
    entry["processes"] = {
        "qcd": {
            "entries": 500,
            "events_generated": 800,
            "cpu_time_s": 10.0,
            "events_per_s_per_core": 80.0,
            "outside_pythia_fraction": 0.2,
            "settings": ["Beams:idA = 2212", "HardQCD:all = on"],
            "branching_fraction": 1.0,
            "sigma_pb": 1234.5678,
            "sigma_err_pb": 12.0,
        }
    }
    entry["machine"] = {"cpu": "test cpu", "cores": 2, "workers": 2}
    storage.update_manifest(data_dir, NAME, entry)
    files = describe.files_table(data_dir)
    assert files.loc[NAME, "entries"] == 500
    perf = describe.generation_table(data_dir)
    assert perf.loc[0, "outside Pythia [%]"] == 20.0
    settings = describe.settings_table(NAME, data_dir)
    assert settings.loc["qcd", "settings"] == "HardQCD:all = on"
    assert settings.loc["qcd", "sigma [pb]"] == 1235.0
    assert describe.machine_table(data_dir).loc[NAME, "cpu"] == "test cpu"
    with pytest.raises(KeyError):
        describe.settings_table("flavour_tagging", data_dir)


def test_files_are_written_in_baskets_that_read_back_whole(tmp_path, monkeypatch):
    import uproot

    monkeypatch.setattr(storage, "BASKET_ENTRIES", 120)
    sample = get_sample(NAME)
    arrays = fake_arrays(NAME, 500, seed=2)
    path = tmp_path / "x.root"
    storage.write_root(path, sample, arrays)
    with uproot.open(path) as handle:
        assert handle[storage.tree_name(sample)]["jet_pt"].num_baskets == 5
    back = storage.read_root(path, sample, 100, 300)
    expected = arrays.constituents.pt[100:300]
    assert ak.all(ak.num(back.constituents) == ak.num(expected))
    rel = np.abs(ak.to_numpy(ak.flatten(back.constituents.pt / expected)) - 1)
    assert rel.max() <= 2.0 ** -(8 + 1) * 1.0001  # constituents keep 8 bits
    assert ak.array_equal(back.label, arrays.label[100:300])
