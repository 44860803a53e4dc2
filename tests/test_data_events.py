"""The event-level samples ``stop4body`` and ``tth``.

Detector functions and reconstruction helpers are tested on constructed inputs;
tiny generations of every process (tens of events) check the fields, the weights
and determinism; the physics checks run on the shipped files and skip, saying
why, when a file is absent.
"""

from __future__ import annotations

import importlib.util

import awkward as ak
import numpy as np
import pytest

from lessons_code.data import detector, events, storage
from lessons_code.data.chunks import Particles
from lessons_code.data.loading import DATA_DIR, load, verify
from lessons_code.data.samples import ChunkResult, Process, get_sample
from lessons_code.data.samples.stop4body import slha_text

needs_generator = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("pythia8mc", "fastjet")),
    reason="generation needs the generate extra: pip install -e '.[generate]'",
)


def _shipped(name: str) -> ak.Array:
    if not (DATA_DIR / f"{name}.root").exists():
        pytest.skip(f"data/{name}.root is not in this checkout (generate it first)")
    parts = [load(name, split, fast=False) for split in ("train", "valid", "test")]
    return ak.concatenate(parts)


# --- detector model ---------------------------------------------------------


def test_btag_score_reproduces_working_point_efficiencies():
    rng = np.random.default_rng(3)
    n = 200_000
    for label, effs in detector.BTAG_EFFICIENCIES.items():
        score = detector.btag_score(np.full(n, label), np.zeros(n), rng)
        assert np.all((score >= 0) & (score <= 1))
        for threshold, eff in zip(detector.BTAG_THRESHOLDS, effs, strict=True):
            assert (score > threshold).mean() == pytest.approx(eff, abs=0.005)
    outside = detector.btag_score(np.full(10, 2), np.full(10, 3.0), rng)
    assert np.all(outside == 0)


def test_lepton_efficiency_zero_outside_acceptance():
    pt = np.array([2.0, 4.0, 50.0, 50.0, 4.0])
    eta = np.array([0.0, 0.0, 2.45, 2.45, 0.0])
    pid = np.array([13, 11, 13, 11, 13])
    eff = detector.lepton_efficiency(pt, eta, pid)
    assert eff.tolist() == [0.0, 0.0, 0.0, detector.ELECTRON_EFF_PLATEAU,
                            detector.MUON_EFF_LOW]  # fmt: skip


def test_isolation_switches_from_absolute_to_relative():
    iso = np.array([4.9, 5.1, 5.9, 6.1])
    pt = np.array([10.0, 10.0, 30.0, 30.0])
    assert detector.is_isolated(iso, pt).tolist() == [True, False, True, False]


def test_missing_pt_balances_the_visible_sum():
    rng = np.random.default_rng(1)
    px, py = rng.normal(size=50), rng.normal(size=50)
    event = np.repeat(np.arange(5), 10)
    met, phi = detector.missing_pt(px, py, event, 5)
    sx = np.bincount(event, px, 5)
    sy = np.bincount(event, py, 5)
    assert np.allclose(met, np.hypot(sx, sy))
    assert np.allclose(met * np.cos(phi), -sx)


# --- reconstruction helpers -------------------------------------------------


def test_pairs_in_event_matches_brute_force():
    rng = np.random.default_rng(2)
    a = np.sort(rng.integers(0, 6, 15))
    b = np.sort(rng.integers(0, 6, 20))
    ia, ib = events.pairs_in_event(a, b)
    found = set(zip(ia.tolist(), ib.tolist(), strict=True))
    expected = {(i, j) for i in range(15) for j in range(20) if a[i] == b[j]}
    assert found == expected


def test_transverse_mass_is_rotation_invariant_and_bounded():
    rng = np.random.default_rng(4)
    pt1, pt2 = rng.uniform(5, 100, 20), rng.uniform(5, 100, 20)
    phi1, phi2 = rng.uniform(-np.pi, np.pi, (2, 20))
    mt = events.transverse_mass(pt1, phi1, pt2, phi2)
    assert np.allclose(mt, events.transverse_mass(pt1, phi1 + 1.0, pt2, phi2 + 1.0))
    assert np.all(mt <= 2 * np.sqrt(pt1 * pt2) + 1e-9)


def _toy_table() -> Particles:
    counts = np.array([3, 2, 4])
    offsets = np.concatenate([[0], np.cumsum(counts)])
    event = np.repeat(np.arange(3), counts)
    n = offsets[-1]
    local_mother = np.array([0, 0, 1, 0, 0, 0, 0, 1, 2])
    cols = {k: np.arange(n, dtype=float) for k in
            ("px", "py", "pz", "e", "mass", "tau_mm", "x_mm", "y_mm", "z_mm",
             "charge")}  # fmt: skip
    return Particles(
        event=event,
        offsets=offsets,
        pid=np.arange(n) + 100,
        status=np.ones(n, dtype=int),
        mother1=local_mother + offsets[event],
        daughter1=local_mother + offsets[event],
        **cols,
    )


def test_subset_events_renumbers_events_and_mothers():
    table = _toy_table()
    small = events.subset_events(table, np.array([0, 2]))
    assert small.event.tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert small.pid.tolist() == [100, 101, 102, 105, 106, 107, 108]
    # Each mother keeps pointing at the same particle as before.
    assert small.pid[small.mother1].tolist() == [100, 100, 101, 105, 105, 106, 107]


def test_first_by_picks_the_smallest_key_earliest_on_ties():
    from lessons_code.data.chunks import first_by

    group = np.array([2, 0, 2, 0, 2])
    key = np.array([1.0, 4.0, 1.0, 3.0, 0.5])
    assert first_by(group, key, 4).tolist() == [3, -1, 4, -1]
    assert first_by(group, np.zeros(5), 3).tolist() == [1, -1, 0]
    assert first_by(group[:0], key[:0], 2).tolist() == [-1, -1]


def test_momenta_per_event_scales_and_keeps_empty_events():
    from lessons_code.data.chunks import momenta_per_event

    table = _toy_table()
    parts = momenta_per_event(table, np.array([0, 2, 5]), np.array([1.0, 2.0, 3.0]))
    assert ak.num(parts).tolist() == [2, 0, 1]
    assert parts.px.tolist() == [[0.0, 4.0], [], [15.0]]
    assert parts.E.tolist() == parts.pz.tolist()


def _hadron_table(rng: np.random.Generator, n_events: int) -> Particles:
    """Events of a gluon followed by weakly decaying b and c hadrons."""
    pids, event, mother = [], [], []
    for ev in range(n_events):
        first = len(pids)
        pids.append(21)
        event.append(ev)
        mother.append(first)
        for _ in range(rng.integers(0, 5)):
            pids.append(int(rng.choice([521, 511, 421, 411, 211])))
            event.append(ev)
            mother.append(first)
    n = len(pids)
    event = np.array(event)
    offsets = np.searchsorted(event, np.arange(n_events + 1))
    pt = rng.uniform(2.0, 60.0, n)
    phi = rng.uniform(-0.6, 0.6, n)
    eta = rng.uniform(-0.6, 0.6, n)
    return Particles(
        event=event, offsets=offsets, pid=np.array(pids), status=np.ones(n, int),
        mother1=np.array(mother), daughter1=np.array(mother),
        px=pt * np.cos(phi), py=pt * np.sin(phi), pz=pt * np.sinh(eta),
        e=pt * np.cosh(eta) + 5.0, mass=np.full(n, 5.0),
        tau_mm=rng.uniform(0.1, 0.5, n), x_mm=np.zeros(n), y_mm=np.zeros(n),
        z_mm=np.zeros(n), charge=np.zeros(n),
    )  # fmt: skip


def test_jet_labels_match_a_brute_force_nearest_hadron_search():
    from lessons_code.data.samples import flavour_tagging as ft

    rng = np.random.default_rng(4)
    table = _hadron_table(rng, 40)
    jet_event = np.sort(rng.integers(0, 40, 120))
    jet_eta, jet_phi = rng.uniform(-0.6, 0.6, 120), rng.uniform(-0.6, 0.6, 120)
    label, length = ft._jet_labels(table, jet_event, jet_eta, jet_phi)
    flavour = np.array([5 if abs(p) in (521, 511) else 4 if abs(p) in (421, 411)
                        else 0 for p in table.pid])  # fmt: skip
    for j in range(120):
        expected, expected_length = 0, 0.0
        for f, name in ((4, "c"), (5, "b")):
            best, best_dr = None, ft.HADRON_DR_MAX
            for h in np.flatnonzero((table.event == jet_event[j]) & (flavour == f)):
                dr = float(events.delta_r(jet_eta[j], jet_phi[j], table.eta[h],
                                          table.phi[h]))  # fmt: skip
                if table.pt[h] > ft.HADRON_PT_MIN_GEV and dr < best_dr:
                    best, best_dr = h, dr
            if best is not None:
                p = np.sqrt(table.px[best] ** 2 + table.py[best] ** 2
                            + table.pz[best] ** 2)  # fmt: skip
                expected = ft.LABELS[name]
                expected_length = table.tau_mm[best] * p / table.mass[best]
        assert label[j] == expected
        assert length[j] == pytest.approx(expected_length)
    assert {0, ft.LABELS["b"], ft.LABELS["c"]} <= set(label.tolist())


@needs_generator
def test_particle_charges_come_from_the_particle_data():
    from lessons_code.data.chunks import _charges
    from lessons_code.data.pythia_setup import make_pythia

    pythia = make_pythia(["SoftQCD:elastic = on"], seed=3)
    pid = np.array([11, -11, 2212, 211, -211, 22, 2, -1, 1000022, 521, 11, -13])
    charges = _charges(pythia, pid)
    expected = [pythia.particleData.charge(int(c)) for c in pid]
    assert charges.tolist() == pytest.approx(expected)
    assert charges[:2].tolist() == [-1.0, 1.0]


def _result(sigma: float, n_gen: int, n_keep: int, tag: int) -> ChunkResult:
    return ChunkResult(
        arrays={"x": np.full(n_keep, tag)},
        n_generated=n_gen,
        sum_weights=float(n_gen),
        entry_weights=np.ones(n_keep),
        sigma_pb=sigma,
        sigma_err_pb=0.0,
        time_pythia_s=1.0,
        time_total_s=2.0,
    )


def test_combined_setups_weight_each_by_its_own_cross_section():
    parts = [_result(3.0, 100, 10, 0), _result(1.0, 400, 10, 1)]
    combined = events._combine(parts)
    # The infrastructure's weight: entry weight x sigma / sum of weights.
    weights = combined.entry_weights * combined.sigma_pb / combined.sum_weights
    first, second = weights[:10].sum(), weights[10:].sum()
    assert first == pytest.approx(3.0 * 10 / 100)
    assert second == pytest.approx(1.0 * 10 / 400)
    assert combined.n_generated == 500


def test_generate_split_needs_one_entry_per_setup():
    process = Process("p", "", (), 1.0, options={"decay_configs": ((), ())})
    with pytest.raises(ValueError, match="at least 2 entries"):
        events.generate_split(process, 1, 1, lambda *a: ({}, np.zeros(0)))


def test_slha_spectrum_has_the_requested_masses():
    text = slha_text(500.0, 420.0)
    assert "1000006  500.0" in text
    assert "1000022  420.0" in text
    assert "3   5   24   1000022" in text


# --- tiny generations -------------------------------------------------------

TINY = {("stop4body", i): 2 for i in range(4)} | {("tth", i): 6 for i in range(2)}


@pytest.fixture(scope="module", params=sorted(TINY))
def tiny(request):
    name, index = request.param
    sample = get_sample(name)
    process = sample.processes[index]
    return name, process, sample.chunk(process, TINY[request.param], 29)


@needs_generator
def test_tiny_generation_fields_and_weights(tiny):
    name, process, result = tiny
    sample = get_sample(name)
    assert len(result.entry_weights) == TINY[(name, sample.processes.index(process))]
    assert np.all(result.entry_weights > 0)
    assert result.sigma_pb > 0
    assert result.n_generated >= len(result.entry_weights)
    declared = {f.group or f.name for f in sample.fields}
    assert set(result.arrays) == declared
    assert set(np.unique(result.arrays["lep_flavour"])) <= {11, 13}
    assert set(np.unique(result.arrays["lep_charge"])) <= {-1, 1}
    if name == "stop4body":
        assert np.all(result.arrays["met"] > 200)
        is_signal = "m_stop" in process.options
        assert np.all((result.arrays["m_stop"] == 500) == is_signal)
    else:
        jets = result.arrays["jets"]
        assert np.all(ak.num(jets) >= 4)
        assert np.all(ak.num(jets) <= 10)
        assert set(np.unique(ak.flatten(jets.truth))) <= {0, 1, 2, 3, 4}
        higgs = result.arrays["higgs_pt"]
        assert np.all(np.isnan(higgs) == (process.name == "ttbar"))


@needs_generator
def test_tiny_generation_is_deterministic():
    sample = get_sample("tth")
    first = sample.chunk(sample.processes[1], 4, 5)
    again = sample.chunk(sample.processes[1], 4, 5)
    for key, value in first.arrays.items():
        if isinstance(value, ak.Array):
            assert ak.array_equal(value, again.arrays[key])
        else:
            assert np.array_equal(value, again.arrays[key], equal_nan=True)


# --- shipped files ----------------------------------------------------------


def test_stop_signal_leptons_softer_than_wjets():
    data = _shipped("stop4body")
    process = ak.to_numpy(data.process)
    lep_pt = ak.to_numpy(data.lep_pt)
    assert np.median(lep_pt[process == 2]) < 0.5 * np.median(lep_pt[process == 0])
    # Stored with 12 mantissa bits: 200 GeV can round down by up to 0.03 GeV.
    assert np.all(ak.to_numpy(data.met) > 200 * (1 - 2.0**-12))
    assert not np.any(np.isnan(ak.to_numpy(data.bjet_score)))


def test_tth_has_more_btags_than_ttbar_and_a_higgs_peak():
    data = _shipped("tth")
    process = ak.to_numpy(data.process)
    n_btags = ak.to_numpy(data.n_btags)
    assert n_btags[process == 1].mean() > n_btags[process == 0].mean() + 0.2
    m = ak.to_numpy(data.m_higgs_jets)[process == 1]
    m = m[~np.isnan(m)]
    assert len(m) > 100
    assert 90 < np.median(m) < 130
    assert np.all(np.isnan(ak.to_numpy(data.higgs_pt)[process == 0]))


def test_shipped_stop4body_has_the_design_size():
    stop = ak.to_numpy(_shipped("stop4body").process)
    assert (stop >= 2).sum() >= 30_000  # the two stop signals
    assert (stop < 2).sum() >= 60_000  # W+jets and tt-bar


def test_shipped_tth_has_the_design_size():
    tth = ak.to_numpy(_shipped("tth").process)
    assert np.bincount(tth).min() >= 40_000


@pytest.mark.parametrize("name", ["stop4body", "tth"])
def test_shipped_weights_sum_to_the_selected_cross_section(name):
    data = _shipped(name)
    manifest = storage.read_manifest(DATA_DIR)[name]
    weights = ak.to_numpy(data.weight_pb)
    assert np.all(weights > 0)
    for index, process in enumerate(get_sample(name).processes):
        stats = manifest["processes"][process.name]
        total = weights[ak.to_numpy(data.process) == index].sum()
        # sigma x BR x efficiency, the efficiency from the generated counts.
        naive = stats["sigma_pb"] * stats["branching_fraction"]
        naive *= stats["entries"] / stats["events_generated"]
        # The two forced-decay set-ups are weighted by their own efficiencies, so
        # the naive estimate agrees only approximately.
        assert total == pytest.approx(naive, rel=0.5)


@pytest.mark.parametrize("name", ["stop4body", "tth"])
def test_shipped_file_matches_its_manifest_entry(name):
    _shipped(name)
    assert verify()[name] == "ok"
    manifest = storage.read_manifest(DATA_DIR)[name]
    assert manifest["entries"] == get_sample(name).default_entries
    for stats in manifest["processes"].values():
        assert stats["events_generated"] >= stats["entries"]


def test_loader_rejects_unknown_split_and_name():
    with pytest.raises(KeyError, match="Available datasets"):
        load("stop4body_typo")
    if not (DATA_DIR / "tth.root").exists():
        pytest.skip("data/tth.root is not in this checkout")
    with pytest.raises(ValueError):
        load("tth", split="training")
