"""``boosted_jets``: large-radius jets from QCD, hadronic tops and hadronic W bosons.

One entry is one anti-kt R = 0.8 jet (arXiv:0802.1189) with 500 < pT < 700 GeV and
|eta| < 2, clustered with FastJet (arXiv:1111.6097) from the particles after the
detector model. Top jets come from tt-bar events with both W bosons forced to
decay to quarks, W jets from WW events with both W bosons forced to quarks, QCD
jets from 2 -> 2 QCD events; all three use a generator-level cut pT-hat > 450 GeV.
A top (W) jet is kept only when the b quark and both W-decay quarks (both quarks)
of one decay lie within Delta R < 0.8 of the jet axis; QCD jets are the two
leading jets of the event that fall in the window. N-subjettiness (arXiv:1011.2268)
uses beta = 1 and exclusive-kt axes; these axes are not the ones that minimise
tau_N, so for a very narrow jet, whose N axes split one hard core, tau_N can come
out slightly larger than tau_(N-1), and tau21 or tau32 above 1 (a few per cent of
QCD jets). At most :data:`MAX_CONSTITUENTS` constituents
are stored per jet (the highest-pT ones); ``n_constituents`` counts all of them.

Weights: Pythia's cross section already includes the branching fractions of the
forced W decays (at 13.6 TeV, tt-bar gives 568 pb with all W decays open and 259 pb
with both W bosons forced to quarks: a ratio 0.456, BR(W -> hadrons) squared), so
no branching fraction is multiplied in here. The shipped ``boosted_jets.root`` was
written before this was corrected: its ``weight_pb`` of top and W jets is low by
BR(W -> hadrons)**2 = 0.454 (its manifest records that factor as
``branching_fraction``); divide by it for absolute rates. No exercise uses the
absolute boosted-jet rates.
"""

from __future__ import annotations

import logging
import warnings

import awkward as ak
import numpy as np

from lessons_code.data.chunks import (
    Particles,
    generate_entries,
    particle_table,
    visible_momenta,
)
from lessons_code.data.jets import delta_phi, nsubjettiness
from lessons_code.data.pythia_setup import make_pythia, require_generator
from lessons_code.data.samples import ChunkResult, Field, Process, Sample

log = logging.getLogger(__name__)

#: Jet radius.
RADIUS = 0.8
#: Jet pT window [GeV].
PT_MIN_GEV, PT_MAX_GEV = 500.0, 700.0
#: Jet |eta| acceptance.
ETA_MAX = 2.0
#: Constituents stored per jet at most (highest pT first).
MAX_CONSTITUENTS = 100
#: Generator-level cut on the hard-process transverse momentum [GeV].
PTHAT_MIN_GEV = 450.0
#: Branching fraction W -> hadrons, PDG 2024 (Phys. Rev. D 110, 030001): 67.41 %.
BR_W_HADRONS = 0.6741
#: Class labels.
LABELS = {"qcd": 0, "top": 1, "w": 2}

_W_TO_QUARKS = ("24:onMode = off", "24:onIfAny = 1 2 3 4 5")


def _truth(table: Particles, label: int) -> ak.Array:
    """Parton-level decay products per event, one record per top or W."""
    n_events = len(table.offsets) - 1
    mother = table.mother1
    quark = (np.abs(table.pid) <= 5) & (np.abs(table.pid) >= 1)
    from_w = quark & (np.abs(table.pid[mother]) == 24)
    rows = np.flatnonzero(from_w)
    rows = rows[np.argsort(mother[rows], kind="stable")]
    w_of = mother[rows]
    first = np.r_[True, w_of[1:] != w_of[:-1]]
    starts = np.flatnonzero(first)
    pairs = starts[np.diff(np.r_[starts, len(rows)]) == 2]
    q1, q2 = rows[pairs], rows[pairs + 1]
    event = table.event[q1]
    eta, phi = table.eta, table.phi
    record = {"eta1": eta[q1], "phi1": phi[q1], "eta2": eta[q2], "phi2": phi[q2]}
    if label == LABELS["top"]:
        b_rows = np.flatnonzero(
            (np.abs(table.pid) == 5) & (np.abs(table.pid[mother]) == 6)
        )
        key_b = table.event[b_rows] * 2 + (table.pid[b_rows] > 0)
        key_w = event * 2 + (table.pid[mother[q1]] > 0)
        lookup = dict(zip(key_b.tolist(), b_rows.tolist(), strict=True))
        b_of_w = np.array([lookup.get(k, -1) for k in key_w.tolist()], dtype=np.int64)
        ok = b_of_w >= 0
        record = {k: v[ok] for k, v in record.items()}
        event, b_of_w = event[ok], b_of_w[ok]
        record["eta3"], record["phi3"] = eta[b_of_w], phi[b_of_w]
    else:
        record["eta3"], record["phi3"] = record["eta1"], record["phi1"]
    counts = np.bincount(event, minlength=n_events)
    return ak.unflatten(ak.zip(record), counts)


def _matched(jets: ak.Array, truth: ak.Array) -> ak.Array:
    """Whether each jet contains every decay product of one truth object."""
    pairs = ak.cartesian({"j": jets, "t": truth}, nested=True)
    j, t = pairs.j, pairs.t
    worst = np.maximum(
        np.maximum(
            np.hypot(j.eta - t.eta1, delta_phi(j.phi - t.phi1, 0.0)),
            np.hypot(j.eta - t.eta2, delta_phi(j.phi - t.phi2, 0.0)),
        ),
        np.hypot(j.eta - t.eta3, delta_phi(j.phi - t.phi3, 0.0)),
    )
    return ak.fill_none(ak.min(worst, axis=-1), np.inf) < RADIUS


def _kinematics(px: ak.Array, py: ak.Array, pz: ak.Array, e: ak.Array) -> dict:
    pt = np.hypot(px, py)
    return {
        "pt": pt,
        "eta": np.arcsinh(pz / pt),
        "phi": np.arctan2(py, px),
        "mass": np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0)),
    }


def _taus(cons: ak.Array, fastjet: object) -> dict[str, np.ndarray]:
    """N-subjettiness tau_1..3 with exclusive-kt axes, for all jets at once."""
    kt = fastjet.JetDefinition(fastjet.kt_algorithm, 10.0)
    sequence = fastjet.ClusterSequence(cons[["px", "py", "pz", "E"]], kt)
    out = {}
    for n in (1, 2, 3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            axes = sequence.exclusive_jets(n_jets=n)
        ax = _kinematics(axes.px, axes.py, axes.pz, axes.E)
        out[f"tau{n}"] = nsubjettiness(
            cons.pt, cons.eta, cons.phi, ax["eta"], ax["phi"], RADIUS
        )
    return out


def _process_batch(
    batch: ak.Array, rng: np.random.Generator, pythia: object, label: int
) -> tuple[dict, np.ndarray]:
    _, fastjet = require_generator()
    table = particle_table(batch, pythia)
    parts = visible_momenta(table, rng)[0]
    sequence = fastjet.ClusterSequence(
        parts, fastjet.JetDefinition(fastjet.antikt_algorithm, RADIUS)
    )
    jets = sequence.inclusive_jets(min_pt=PT_MIN_GEV)
    index = sequence.constituent_index(min_pt=PT_MIN_GEV)
    kin = _kinematics(jets.px, jets.py, jets.pz, jets.E)
    order = ak.argsort(kin["pt"], axis=1, ascending=False)
    kin = {k: v[order] for k, v in kin.items()}
    index = index[order]
    keep = (kin["pt"] < PT_MAX_GEV) & (np.abs(kin["eta"]) < ETA_MAX)
    if label == LABELS["qcd"]:
        keep = keep & (ak.local_index(kin["pt"]) < 2)
    else:
        keep = keep & _matched(ak.zip(kin), _truth(table, label))
    event_of_jet = ak.broadcast_arrays(ak.Array(np.arange(len(keep))), keep)[0]
    event = ak.to_numpy(ak.flatten(event_of_jet[keep]))
    kin = {k: ak.to_numpy(ak.flatten(v[keep])) for k, v in kin.items()}
    offsets = np.cumsum(np.r_[0, ak.to_numpy(ak.num(parts))])[:-1]
    rows = ak.flatten((index + offsets)[keep], axis=1)
    flat_rows = ak.to_numpy(ak.flatten(rows))
    n_per_jet = ak.to_numpy(ak.num(rows))
    flat_parts = ak.flatten(parts)
    four = {k: ak.to_numpy(flat_parts[k])[flat_rows] for k in ("px", "py", "pz", "E")}
    ckin = _kinematics(four["px"], four["py"], four["pz"], four["E"])
    cons = ak.unflatten(ak.zip({**four, **ckin}), n_per_jet)
    cons = cons[ak.argsort(cons.pt, axis=1, ascending=False)]
    taus = _taus(cons, fastjet)
    stored = cons[:, :MAX_CONSTITUENTS]
    arrays = {
        "jet_pt": kin["pt"],
        "jet_eta": kin["eta"],
        "jet_phi": kin["phi"],
        "jet_mass": kin["mass"],
        **taus,
        "tau21": taus["tau2"] / np.maximum(taus["tau1"], 1e-12),
        "tau32": taus["tau3"] / np.maximum(taus["tau2"], 1e-12),
        "n_constituents": ak.to_numpy(ak.num(cons)),
        "label": np.full(len(event), label, dtype=np.int8),
        "constituents": ak.zip(
            {
                "pt": stored.pt,
                "deta": stored.eta - kin["eta"],
                "dphi": delta_phi(stored.phi, kin["phi"]),
                "e": stored.E,
            }
        ),
    }
    return arrays, event


def chunk(process: Process, n_keep: int, seed: int) -> ChunkResult:
    """Generate ``n_keep`` jets of one process (see the module docstring).

    Parameters
    ----------
    process
        One of :data:`SAMPLE`'s processes.
    n_keep
        Jets to keep.
    seed
        Pythia seed (the detector model uses the same seed).

    Returns
    -------
    ChunkResult
        The jets and the generator bookkeeping.

    Examples
    --------
    >>> # chunk(SAMPLE.processes[0], 20, 1)
    """
    pythia = make_pythia(process.settings, seed)
    label = int(process.options["label"])
    return generate_entries(
        pythia,
        n_keep,
        seed,
        lambda batch, rng: _process_batch(batch, rng, pythia, label),
        first_batch=min(200, 2 * n_keep + 5),
    )


_PTHAT = f"PhaseSpace:pTHatMin = {PTHAT_MIN_GEV:.0f}"

_FIELDS = (
    Field("jet_pt", "GeV", "float32", "Jet transverse momentum.", bits=12),
    Field("jet_eta", "", "float32", "Jet pseudorapidity.", bits=12),
    Field("jet_phi", "rad", "float32", "Jet azimuth.", bits=12),
    Field("jet_mass", "GeV", "float32", "Jet invariant mass.", bits=12),
    Field("tau1", "", "float32", "N-subjettiness tau_1 (beta = 1, kt axes).", bits=10),
    Field("tau2", "", "float32", "N-subjettiness tau_2.", bits=10),
    Field("tau3", "", "float32", "N-subjettiness tau_3.", bits=10),
    Field("tau21", "", "float32", "tau_2 / tau_1 (low for two-prong jets).", bits=10),
    Field("tau32", "", "float32", "tau_3 / tau_2 (low for three-prong jets).", bits=10),
    Field("n_constituents", "", "int16", "Number of constituents (before the cap)."),
    Field("label", "", "int8", "Class: 0 QCD, 1 top, 2 W."),
    Field("pt", "GeV", "float32", "Constituent pT.", group="constituents", bits=8),
    Field(
        "deta",
        "",
        "float32",
        "Constituent eta minus jet eta.",
        group="constituents",
        bits=8,
    ),
    Field(
        "dphi",
        "rad",
        "float32",
        "Constituent phi minus jet phi (wrapped).",
        group="constituents",
        bits=8,
    ),
    Field("e", "GeV", "float32", "Constituent energy.", group="constituents", bits=8),
)

SAMPLE = Sample(
    name="boosted_jets",
    description=(
        "Anti-kt R = 0.8 jets with 500 < pT < 700 GeV and |eta| < 2 from QCD "
        "dijets (label 0), hadronic top quarks (1) and hadronic W bosons (2), "
        "with up to 100 constituents and N-subjettiness observables."
    ),
    entry="jet",
    processes=(
        Process(
            "qcd",
            "QCD 2 -> 2, pT-hat > 450 GeV; the two leading jets in the window.",
            ("HardQCD:all = on", _PTHAT),
            share=0.5,
            options={"label": 0},
        ),
        Process(
            "ttbar",
            "tt-bar, pT-hat > 450 GeV, both W -> quarks; jets with a whole top decay.",
            ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", _PTHAT, *_W_TO_QUARKS),
            share=0.25,
            options={"label": 1},
        ),
        Process(
            "ww",
            "WW, pT-hat > 450 GeV, both W -> quarks; jets containing a whole W decay.",
            ("WeakDoubleBoson:ffbar2WW = on", _PTHAT, *_W_TO_QUARKS),
            share=0.25,
            options={"label": 2},
        ),
    ),
    fields=_FIELDS,
    chunk=chunk,
    chunk_size=1500,
    fast_entries=2000,
    default_entries=70_000,
)
