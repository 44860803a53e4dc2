"""The jet samples: small generations of each, determinism, the chunk plan.

These tests need the optional generator (pythia8mc, fastjet) and skip without it;
the physics checks of the shipped files are in ``test_data_jets_shipped.py``.
"""

from __future__ import annotations

import importlib.util

import awkward as ak
import numpy as np
import pytest

from lessons_code.data.chunks import hadron_flavour, has_ancestor
from lessons_code.data.generate import chunk_seed, plan_chunks, run_sample
from lessons_code.data.samples import get_sample

needs_generator = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("pythia8mc", "fastjet")),
    reason="generation needs the generate extra: pip install -e '.[generate]'",
)

SMALL = {"boosted_jets": 24, "flavour_tagging": 60}


@pytest.fixture(scope="module", params=sorted(SMALL))
def small(request):
    name = request.param
    return name, run_sample(name, SMALL[name], seed=17)


def _numpy(arrays: ak.Array, field: str) -> np.ndarray:
    return ak.to_numpy(arrays[field])


@needs_generator
def test_small_generation_has_declared_fields_and_sizes(small):
    name, arrays = small
    sample = get_sample(name)
    assert len(arrays) == SMALL[name]
    top = {f.group or f.name for f in sample.all_fields()}
    assert set(arrays.fields) == top
    for group in sample.groups():
        declared = {f.name for f in sample.fields if f.group == group}
        assert set(arrays[group].fields) == declared
    assert np.all(_numpy(arrays, "weight_pb") > 0)
    counts = np.bincount(_numpy(arrays, "process"), minlength=len(sample.processes))
    shares = np.array([p.share for p in sample.processes])
    assert np.allclose(counts / counts.sum(), shares / shares.sum(), atol=0.1)


@needs_generator
def test_same_seed_same_arrays_other_seed_other_arrays(small):
    name, arrays = small
    again = run_sample(name, SMALL[name], seed=17)
    assert ak.array_equal(arrays, again)
    other = run_sample(name, SMALL[name], seed=18)
    assert not np.array_equal(_numpy(arrays, "jet_pt"), _numpy(other, "jet_pt"))


@needs_generator
def test_small_boosted_jets_are_in_the_window():
    arrays = run_sample("boosted_jets", 12, seed=3)
    pt = _numpy(arrays, "jet_pt")
    assert np.all((pt > 500) & (pt < 700))
    assert np.all(np.abs(_numpy(arrays, "jet_eta")) < 2)
    n_stored = ak.to_numpy(ak.num(arrays.constituents))
    assert np.all(n_stored == np.minimum(_numpy(arrays, "n_constituents"), 100))
    pts = arrays.constituents.pt
    assert ak.all(pts[:, :-1] >= pts[:, 1:])


def test_chunk_plan_does_not_depend_on_workers():
    sample = get_sample("boosted_jets")
    tasks = plan_chunks(sample, 10_000, seed=4)
    assert sum(t.n_keep for t in tasks) == 10_000
    assert len({t.seed for t in tasks}) == len(tasks)
    assert chunk_seed(4, 1, 2) == chunk_seed(4, 1, 2) != chunk_seed(5, 1, 2)


def test_hadron_flavour_and_ancestry():
    assert hadron_flavour(np.array([521, 5232, 553, 411, 4122, 443, 21])).tolist() == [
        5,
        5,
        0,
        4,
        4,
        0,
        0,
    ]
    # 0 <- 1 (b-hadron) <- 2 <- 3, and 4 unrelated
    flag = np.array([False, True, False, False, False])
    mother = np.array([0, 0, 1, 2, 0])
    assert has_ancestor(flag, mother).tolist() == [False, False, True, True, False]


@needs_generator
def test_cli_generate_writes_a_verified_file(tmp_path, capsys):
    from lessons_code.data import load, storage, verify
    from lessons_code.data.cli import main as cli_main

    args = ["generate", "flavour_tagging", "--events", "20", "--seed", "5"]
    assert cli_main([*args, "--out", str(tmp_path)]) == 0
    assert "events/s" in capsys.readouterr().out
    entry = storage.read_manifest(tmp_path)["flavour_tagging"]
    assert entry["entries"] == 20 and entry["machine"]["cores"] >= 1
    assert entry["processes"]["ttbar"]["outside_pythia_fraction"] < 1
    assert verify(tmp_path) == {"flavour_tagging": "ok"}
    jets = load("flavour_tagging", "train", data_dir=tmp_path, fast=False)
    assert len(jets) == 12


@needs_generator
def test_dask_cluster_gives_the_same_arrays_as_the_local_pool():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        on_dask = run_sample("boosted_jets", 6, seed=9, scheduler=address)
    assert ak.array_equal(on_dask, run_sample("boosted_jets", 6, seed=9))
