"""``tth``: tt-bar H with H -> b b-bar against tt-bar, single-lepton channel.

One entry is one selected event. Processes (``process`` index): 0 ``ttbar``,
1 ``tth``.

Generation (Pythia 8, pp at 13.6 TeV, arXiv:2203.11601, m_H = 125 GeV): gg,
qq-bar -> t t-bar (H). Forced decays: H -> b b-bar, and exactly one W to e nu or
mu nu with the other to quarks; each chunk runs the two charge assignments
(:func:`lessons_code.data.events.generate_split`). Pythia's cross sections include
those branching fractions, so ``weight_pb`` sums to Pythia's leading-order
sigma x BR x efficiency. Additional jets come from the parton shower only (no
tt-bar + b b-bar matrix element), and W -> tau nu and dileptonic tt-bar are not
generated; both are documented limitations of the background model.

Selection: exactly one prompt, isolated electron or muon with pT > 25 GeV and no
other one above 15 GeV; at least 4 jets with pT > 25 GeV and |eta| < 2.5; at least
2 of them b-tagged at the medium working point
(:data:`lessons_code.data.detector.BTAG_THRESHOLDS`).

Truth: the quarks of the hard process after the resonance decays (before their
shower) are matched to the stored jets as mutual nearest neighbours within
Delta R < 0.4. Labels: 0 unmatched, 1 b from the Higgs, 2 b from the hadronic top,
3 b from the leptonic top, 4 quark from the hadronic W. ``higgs_pt`` and
``higgs_y`` are those of the Higgs boson that decays (after initial-state
radiation recoil), NaN for tt-bar.

Size: 80,000 events, 40,000 per process, the size the exercises and the data
challenge are designed for. ``python -m lessons_code.data generate tth --events
80000 --seed 1 --workers 2 --out data`` reproduces the shipped file; the CPU time
per process is in the manifest (``cpu_time_s``, ``events_per_s_per_core``).
"""

from __future__ import annotations

import logging

import awkward as ak
import numpy as np

from lessons_code.data import detector
from lessons_code.data.chunks import (
    Particles,
    count_per_event,
    first_by,
    first_per_event,
    pairs_in_event,
    particle_table,
)
from lessons_code.data.events import (
    Jets,
    delta_r,
    generate_split,
    reconstruct,
)
from lessons_code.data.pythia_setup import require_generator
from lessons_code.data.samples import ChunkResult, Field, Process, Sample

log = logging.getLogger(__name__)

#: Lepton selection [GeV]: the lepton, and the veto on any other.
LEPTON_PT_MIN_GEV, OTHER_LEPTON_PT_MAX_GEV = 25.0, 15.0
#: Jet selection [GeV] (|eta| < 2.5 comes from the reconstruction).
JET_PT_MIN_GEV = 25.0
#: Minimum numbers of jets and of b-tagged jets.
MIN_JETS, MIN_BTAGS = 4, 2
#: Jets stored per event at most (leading in pT).
MAX_JETS = 10
#: Parton-jet matching radius.
MATCH_DR = 0.4
#: Truth labels of the jets.
TRUTH = {"unmatched": 0, "higgs_b": 1, "hadronic_top_b": 2, "leptonic_top_b": 3,
         "w_quark": 4}  # fmt: skip

#: Two set-ups per chunk: (W+ -> e/mu nu, W- -> quarks) and the reverse.
ONE_LEPTON = (
    ("24:onMode = off", "24:onPosIfAny = 11 13", "24:onNegIfAny = 1 2 3 4 5"),
    ("24:onMode = off", "24:onPosIfAny = 1 2 3 4 5", "24:onNegIfAny = 11 13"),
)


def _partons(table: Particles) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the truth quarks and their labels (see the module docstring)."""
    mpid = table.pid[table.mother1]
    absid = np.abs(table.pid)
    n = len(table.offsets) - 1
    w_lep = (absid >= 11) & (absid <= 16) & (np.abs(mpid) == 24)
    plus_lep = count_per_event(table.event[w_lep & (mpid == 24)], n) > 0
    minus_lep = count_per_event(table.event[w_lep & (mpid == -24)], n) > 0
    higgs_b = (absid == 5) & (mpid == 25)
    top_b = (absid == 5) & (np.abs(mpid) == 6)
    w_quark = (absid <= 5) & (np.abs(mpid) == 24)
    leptonic = np.where(table.pid > 0, plus_lep[table.event], minus_lep[table.event])
    label = np.zeros(len(absid), dtype=np.int8)
    label[higgs_b] = TRUTH["higgs_b"]
    label[top_b & ~leptonic] = TRUTH["hadronic_top_b"]
    label[top_b & leptonic] = TRUTH["leptonic_top_b"]
    label[w_quark] = TRUTH["w_quark"]
    rows = np.flatnonzero(label > 0)
    return rows, label[rows]


def _match(
    p_event: np.ndarray,
    p_eta: np.ndarray,
    p_phi: np.ndarray,
    jets: Jets,
) -> tuple[np.ndarray, np.ndarray]:
    """Mutual nearest parton-jet pairs within :data:`MATCH_DR`: (parton, jet)."""
    ia, ib = pairs_in_event(p_event, jets.event)
    dr = delta_r(p_eta[ia], p_phi[ia], jets.eta[ib], jets.phi[ib])
    close = dr < MATCH_DR
    ia, ib, dr = ia[close], ib[close], dr[close]
    best_for_parton = first_by(ia, dr, len(p_event))
    best_for_jet = first_by(ib, dr, len(jets.event))
    pair = np.arange(len(ia))
    mutual = (best_for_parton[ia] == pair) & (best_for_jet[ib] == pair)
    return ia[mutual], ib[mutual]


def _pair_mass(px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray):
    return np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0))


def _bb_variables(tagged: Jets, lep: dict, n: int) -> dict:
    """High-level variables of the b-tagged jets of each selected event."""
    ia, ib = pairs_in_event(tagged.event, tagged.event)
    keep = ia < ib
    ia, ib = ia[keep], ib[keep]
    ev = tagged.event[ia]
    dr = delta_r(tagged.eta[ia], tagged.phi[ia], tagged.eta[ib], tagged.phi[ib])
    s = {
        c: getattr(tagged, c)[ia] + getattr(tagged, c)[ib] for c in "px py pz e".split()
    }
    mass = _pair_mass(s["px"], s["py"], s["pz"], s["e"])
    pair_pt = np.hypot(s["px"], s["py"])
    i_dr = first_by(ev, dr, n)
    i_pt = first_by(ev, -pair_pt, n)
    n_pairs = np.maximum(count_per_event(ev, n), 1)
    # Lepton (massless) + b-tagged jet masses.
    lx = lep["pt"][tagged.event] * np.cos(lep["phi"][tagged.event])
    ly = lep["pt"][tagged.event] * np.sin(lep["phi"][tagged.event])
    lz = lep["pt"][tagged.event] * np.sinh(lep["eta"][tagged.event])
    le = np.sqrt(lx**2 + ly**2 + lz**2)
    m_lb = _pair_mass(lx + tagged.px, ly + tagged.py, lz + tagged.pz, le + tagged.e)
    i_lb = first_by(tagged.event, m_lb, n)
    return {
        "m_bb_min_dr": mass[i_dr],
        "dr_bb_min": dr[i_dr],
        "dr_bb_mean": np.bincount(ev, dr, n) / n_pairs,
        "m_bb_max_pt": mass[i_pt],
        "m_lep_b_min": m_lb[i_lb],
    }


def _truth(
    table: Particles, events: np.ndarray, stored: Jets
) -> tuple[np.ndarray, dict]:
    """Jet truth labels and the Higgs truth of the selected events."""
    n = len(events)
    rows, labels = _partons(table)
    in_sel = np.isin(table.event[rows], events)
    rows, labels = rows[in_sel], labels[in_sel]
    p_event = np.searchsorted(events, table.event[rows])
    ip, ij = _match(p_event, table.eta[rows], table.phi[rows], stored)
    truth = np.zeros(len(stored.event), dtype=np.int8)
    truth[ij] = labels[ip]
    higgs_rows = table.mother1[rows[labels == TRUTH["higgs_b"]]]
    h_event = np.searchsorted(events, table.event[higgs_rows])
    higgs_pt = np.full(n, np.nan)
    higgs_y = np.full(n, np.nan)
    e, pz = table.e[higgs_rows], table.pz[higgs_rows]
    higgs_pt[h_event] = table.pt[higgs_rows]
    higgs_y[h_event] = 0.5 * np.log((e + pz) / (e - pz))
    hj = truth == TRUTH["higgs_b"]
    two = count_per_event(stored.event[hj], n) == 2
    sums = [np.bincount(stored.event[hj], getattr(stored, c)[hj], n)
            for c in ("px", "py", "pz", "e")]  # fmt: skip
    m_hj = np.where(two, _pair_mass(*sums), np.nan)
    return truth, {"higgs_pt": higgs_pt, "higgs_y": higgs_y, "m_higgs_jets": m_hj}


def _process_batch(
    batch: ak.Array, rng: np.random.Generator, pythia: object
) -> tuple[dict, np.ndarray]:
    _, fastjet = require_generator()
    table = particle_table(batch, pythia)
    reco = reconstruct(table, rng, fastjet)
    n, lep = reco.n_events, reco.leptons
    jets = reco.jets.select(reco.jets.pt > JET_PT_MIN_GEV)
    tagged = jets.btag > detector.BTAG_THRESHOLDS[1]
    n_lep = count_per_event(lep.event[lep.pt > LEPTON_PT_MIN_GEV], n)
    n_other = count_per_event(lep.event[lep.pt > OTHER_LEPTON_PT_MAX_GEV], n)
    n_jets = count_per_event(jets.event, n)
    n_btags = count_per_event(jets.event[tagged], n)
    selected = (n_lep == 1) & (n_other == 1) & (n_jets >= MIN_JETS)
    selected &= n_btags >= MIN_BTAGS
    events = np.flatnonzero(selected)
    ns = len(events)
    il = first_per_event(lep.event, n)[events]
    lepton = {"pt": lep.pt[il], "eta": lep.eta[il], "phi": lep.phi[il]}
    sel_jets = jets.select(selected[jets.event])
    sel_jets.event = np.searchsorted(events, sel_jets.event)
    sel_tagged = tagged[selected[jets.event]]
    rank = (
        np.arange(len(sel_jets.event))
        - first_per_event(sel_jets.event, ns)[sel_jets.event]
    )
    stored = sel_jets.select(rank < MAX_JETS)
    stored_tag = sel_tagged[rank < MAX_JETS]
    truth, higgs = _truth(table, events, stored)
    counts = count_per_event(stored.event, ns)
    jet_records = ak.unflatten(
        ak.zip(
            {
                "pt": stored.pt.astype(np.float32),
                "eta": stored.eta.astype(np.float32),
                "phi": stored.phi.astype(np.float32),
                "mass": stored.mass.astype(np.float32),
                "btag": stored.btag.astype(np.float32),
                "is_btagged": stored_tag.astype(np.int8),
                "truth": truth,
            }
        ),
        counts,
    )
    arrays = {
        "jets": jet_records,
        "lep_pt": lepton["pt"],
        "lep_eta": lepton["eta"],
        "lep_phi": lepton["phi"],
        "lep_charge": lep.charge[il],
        "lep_flavour": lep.flavour[il],
        "met": reco.met[events],
        "met_phi": reco.met_phi[events],
        "ht": np.bincount(sel_jets.event, sel_jets.pt, ns),
        "n_jets": n_jets[events].astype(np.int8),
        "n_btags": n_btags[events].astype(np.int8),
        **_bb_variables(sel_jets.select(sel_tagged), lepton, ns),
        **higgs,
    }
    return arrays, events


def chunk(process: Process, n_keep: int, seed: int) -> ChunkResult:
    """Generate ``n_keep`` selected events of one process.

    Parameters
    ----------
    process
        ``ttbar`` or ``tth`` of :data:`SAMPLE`.
    n_keep
        Events to keep (at least 2: one per charge assignment).
    seed
        Chunk seed (Pythia and the detector model).

    Returns
    -------
    ChunkResult
        The events and the generator bookkeeping.

    Examples
    --------
    >>> # chunk(SAMPLE.processes[1], 20, 1)
    """
    return generate_split(process, n_keep, seed, _process_batch)


_F = "float32"
_FIELDS = (
    Field("pt", "GeV", _F, "Jet transverse momentum.", group="jets", bits=11),
    Field("eta", "", _F, "Jet pseudorapidity.", group="jets", bits=11),
    Field("phi", "rad", _F, "Jet azimuth.", group="jets", bits=11),
    Field("mass", "GeV", _F, "Jet invariant mass.", group="jets", bits=9),
    Field("btag", "", _F, "b-tagging score in [0, 1].", group="jets", bits=10),
    Field("is_btagged", "", "int8", "1 if the jet passes the medium working point.",
          group="jets"),
    Field("truth", "", "int8", "0 unmatched, 1 b from H, 2 b from the hadronic top, "
          "3 b from the leptonic top, 4 quark from the hadronic W.", group="jets"),
    Field("lep_pt", "GeV", _F, "Lepton transverse momentum.", bits=12),
    Field("lep_eta", "", _F, "Lepton pseudorapidity.", bits=12),
    Field("lep_phi", "rad", _F, "Lepton azimuth.", bits=12),
    Field("lep_charge", "e", "int8", "Lepton charge, +1 or -1."),
    Field("lep_flavour", "", "int8", "Lepton flavour: 11 electron, 13 muon."),
    Field("met", "GeV", _F, "Missing transverse momentum.", bits=12),
    Field("met_phi", "rad", _F, "Azimuth of the missing transverse momentum.",
          bits=12),
    Field("ht", "GeV", _F, "Scalar sum of the pT of the selected jets.", bits=12),
    Field("n_jets", "", "int8", "Jets with pT > 25 GeV and |eta| < 2.5."),
    Field("n_btags", "", "int8", "Of those, b-tagged at the medium working point."),
    Field("m_bb_min_dr", "GeV", _F, "Mass of the b-tagged pair with the smallest "
          "Delta R.", bits=12),
    Field("dr_bb_min", "", _F, "Smallest Delta R of a b-tagged pair.", bits=12),
    Field("dr_bb_mean", "", _F, "Mean Delta R of the b-tagged pairs.", bits=12),
    Field("m_bb_max_pt", "GeV", _F, "Mass of the b-tagged pair with the largest "
          "vector pT.", bits=12),
    Field("m_lep_b_min", "GeV", _F, "Smallest mass of the lepton and a b-tagged "
          "jet.", bits=12),
    Field("higgs_pt", "GeV", _F, "Truth: Higgs transverse momentum (NaN for "
          "tt-bar).", bits=16),
    Field("higgs_y", "", _F, "Truth: Higgs rapidity (NaN for tt-bar).", bits=16),
    Field("m_higgs_jets", "GeV", _F, "Mass of the two jets with truth 1 when both "
          "exist, else NaN.", bits=12),
)  # fmt: skip

SAMPLE = Sample(
    name="tth",
    description=(
        "Single-lepton tt-bar H (H -> b b-bar) and tt-bar events with one lepton, "
        ">= 4 jets and >= 2 b-tags: up to 10 jets with b-tag scores and truth "
        "labels, the lepton, missing pT, high-level variables and the Higgs "
        "boson's true pT and rapidity."
    ),
    entry="event",
    processes=(
        Process(
            "ttbar",
            "tt-bar, one W -> e nu or mu nu, the other W -> quarks; no cut.",
            ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on"),
            share=0.5,
            options={"decay_configs": ONE_LEPTON},
        ),
        Process(
            "tth",
            "tt-bar H, m_H = 125 GeV, H -> b b-bar, one W -> e nu or mu nu, the "
            "other W -> quarks; no cut.",
            (
                "HiggsSM:gg2Httbar = on",
                "HiggsSM:qqbar2Httbar = on",
                "25:m0 = 125.0",
                "25:onMode = off",
                "25:onIfAny = 5",
            ),
            share=0.5,
            options={"decay_configs": ONE_LEPTON},
        ),
    ),
    fields=_FIELDS,
    chunk=chunk,
    chunk_size=1000,
    fast_entries=2000,
    default_entries=80_000,
)
