"""``stop4body``: a compressed top-squark search with one soft lepton.

One entry is one event that passes the preselection. Processes (``process``
index): 0 ``wjets``, 1 ``ttbar``, 2 ``stop_dm30`` (m(stop) = 500 GeV,
m(LSP) = 470 GeV), 3 ``stop_dm80`` (500 / 420 GeV).

Generation (Pythia 8, pp at 13.6 TeV, arXiv:2203.11601):

* signal: gg, qq-bar -> stop_1 stop_1* from a minimal SLHA spectrum
  (arXiv:hep-ph/0311123) in which every other sparticle sits at 5 TeV, the stop is
  purely left-handed and the LSP a pure bino. The stop decays as
  stop -> b W* LSP with an off-shell W (Pythia's ``SLHA:allowOnlyOffShell``), which
  is the four-body decay b f f' LSP with flat three-body phase space weighted by
  the W propagator rather than the full matrix element;
* W+jets: q q-bar -> W g and q g -> W q with pT-hat > 100 GeV;
* tt-bar: gg, qq-bar -> t t-bar (semi- and dileptonic).

Both backgrounds pass a generator-level filter right after the hard process: the
vector pT sum of its neutrinos must exceed 150 GeV
(:func:`lessons_code.data.events.invisible_pt_filter`), far cheaper than
simulating events that the offline cut of 200 GeV rejects. The threshold was
chosen with a run at 100 GeV (8,000 W+jets and 6,000 tt-bar events, 173 and 155
of them preselected): 97.7 % of the preselected W+jets and 98.7 % of the
preselected tt-bar events have a hard-process neutrino pT sum above 150 GeV,
against 28 % and 27 % of all generated ones. The filter therefore loses about 2 %
(+-1 %, statistical) of the preselected background, the events in which later
radiation lifts the missing pT, and needs 40 % fewer generated events than a
threshold of 130 GeV.

Forced decays spend the generated events where they count: W+jets has W -> l nu
(l = e, mu, tau); tt-bar and the stops run as two set-ups per chunk,
"W+ -> l nu, W- anything" and "W+ -> quarks, W- -> l nu", which together are every
event with at least one leptonic W (:func:`lessons_code.data.events.generate_split`).
Pythia's cross sections include the branching fractions of the open channels and
the pT-hat cuts, so ``weight_pb`` sums to the leading-order sigma x BR x
efficiency (Pythia's own LO cross sections, no K-factor).

Preselection, in the spirit of the CMS four-body searches (arXiv:1805.05784,
arXiv:2301.08096): at least one prompt, isolated electron (pT > 5 GeV) or muon
(pT > 3.5 GeV), no second such lepton above 20 GeV; missing transverse momentum
above 200 GeV; leading jet (pT > 30 GeV, |eta| < 2.4) above 100 GeV; HT (scalar
sum of those jets) above 300 GeV; and Delta phi between the two leading jets below
2.5 when the second has pT > 60 GeV. The stored lepton is the leading one.

The most b-like jet is the jet with the highest b-tagging score among the jets
with pT > 20 GeV and |eta| < 2.4 (soft b-jets are the signal's signature). Its
fields are NaN only when an event has no such jet, which the preselection (a jet
above 100 GeV) excludes, so the shipped file has no NaN.

Size: 90,000 events, 30,000 W+jets, 30,000 tt-bar and 15,000 of each signal
point, the size the exercises are designed for (at least 30,000 signal and 60,000
background events). ``python -m lessons_code.data generate stop4body --events
90000 --seed 1 --workers 2 --out data`` reproduces the shipped file; the CPU time
per process is in the manifest (``cpu_time_s``, ``events_per_s_per_core``).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import awkward as ak
import numpy as np

from lessons_code.data import detector
from lessons_code.data.chunks import (
    count_per_event,
    first_by,
    first_per_event,
    particle_table,
)
from lessons_code.data.events import (
    delta_r,
    generate_split,
    reconstruct,
    subset_events,
    transverse_mass,
)
from lessons_code.data.jets import delta_phi
from lessons_code.data.pythia_setup import require_generator
from lessons_code.data.samples import ChunkResult, Field, Process, Sample

log = logging.getLogger(__name__)

#: Preselection thresholds [GeV].
MET_MIN_GEV, JET1_PT_MIN_GEV, HT_MIN_GEV = 200.0, 100.0, 300.0
#: Jets counted in n_jets and HT: pT [GeV] and |eta|.
JET_PT_MIN_GEV, JET_ETA_MAX = 30.0, 2.4
#: Jets searched for the most b-like one: pT [GeV].
BJET_PT_MIN_GEV = 20.0
#: Second-lepton veto threshold [GeV].
SECOND_LEPTON_PT_MAX_GEV = 20.0
#: QCD rejection: Delta phi(j1, j2) limit, applied when pT(j2) > 60 GeV.
DPHI_J1J2_MAX, JET2_PT_DPHI_GEV = 2.5, 60.0
#: Generator-level prefilter [GeV]: events whose invisible particles (neutrinos,
#: LSPs) have a vector pT sum below this skip the detector model. The missing-pT
#: resolution at HT ~ 300-600 GeV is 20-30 GeV (arXiv:1903.06078), so an event 80
#: GeV below the offline threshold of 200 GeV essentially never passes it.
TRUE_MET_MIN_GEV = 120.0
_INVISIBLE = (12, 14, 16, 1000022)
#: Generator-level filter of the backgrounds [GeV]: the neutrinos of the hard
#: process and its decays must have a vector pT sum above this
#: (:func:`lessons_code.data.events.invisible_pt_filter`).
INVISIBLE_PT_FILTER_GEV = 150.0
#: Generator-level filter of the signal [GeV]: if the hardest step of the
#: evolution is an initial-state emission, the stop pair must recoil against it
#: with at least this pT (:func:`lessons_code.data.events.hard_recoil_filter`).
RECOIL_FILTER_GEV = 80.0
#: Mass of the decoupled sparticles in the SLHA spectrum [GeV].
DECOUPLED_GEV = 5000.0

_W_TO_LEPTONS = "11 13 15"
_W_TO_QUARKS = "1 2 3 4 5"
#: Set-ups with complementary W decays: (W+ leptonic, W- anything) and
#: (W+ hadronic, W- leptonic).
ONE_LEPTONIC_W = (
    ("24:onMode = 3", f"24:onIfAny = {_W_TO_LEPTONS}"),
    (
        "24:onMode = off",
        f"24:onPosIfAny = {_W_TO_QUARKS}",
        f"24:onNegIfAny = {_W_TO_LEPTONS}",
    ),
)

_SPARTICLES = (
    1000001, 1000002, 1000003, 1000004, 1000005, 1000011, 1000012, 1000013,
    1000014, 1000015, 1000016, 2000001, 2000002, 2000003, 2000004, 2000005,
    2000006, 2000011, 2000013, 2000015, 1000021, 1000023, 1000025, 1000035,
    1000024, 1000037, 35, 36, 37,
)  # fmt: skip


def slha_text(m_stop_gev: float, m_lsp_gev: float) -> str:
    """Minimal SLHA spectrum: one light stop and a bino LSP, the rest decoupled.

    Parameters
    ----------
    m_stop_gev, m_lsp_gev
        Masses of stop_1 and of the lightest neutralino [GeV].

    Returns
    -------
    str
        SLHA text (arXiv:hep-ph/0311123) with blocks MASS, STOPMIX, NMIX and the
        decay stop_1 -> b W LSP (width 1e-5 GeV: prompt).

    Examples
    --------
    >>> "1000006  500.0" in slha_text(500.0, 470.0)
    True
    """
    masses = [f"   1000006  {m_stop_gev:.1f}", f"   1000022  {m_lsp_gev:.1f}"]
    masses += ["   25  125.0"] + [f"   {c}  {DECOUPLED_GEV:.1f}" for c in _SPARTICLES]
    nmix = [(1, 1, 1.0), (2, 2, 1.0), (3, 3, 0.7071068), (3, 4, 0.7071068)]
    nmix += [(4, 3, 0.7071068), (4, 4, -0.7071068)]
    return "\n".join(
        [
            "BLOCK MODSEL",
            "    1    0",
            "BLOCK SMINPUTS",
            "    3  1.180000e-01",
            "    5  4.180000e+00",
            "    6  1.725000e+02",
            "BLOCK MASS",
            *masses,
            "BLOCK STOPMIX",
            "  1  1  1.0",
            "  1  2  0.0",
            "  2  1  0.0",
            "  2  2  1.0",
            "BLOCK NMIX",
            *(f"  {i}  {j}  {v}" for i, j, v in nmix),
            "DECAY   1000006   1.0e-05",
            "    1.0   3   5   24   1000022",
            "DECAY   1000022   0.0",
            "",
        ]
    )


def _select(reco: object) -> tuple[dict, np.ndarray]:
    """Preselection and the stored variables of one reconstructed batch."""
    n, lep, jets = reco.n_events, reco.leptons, reco.jets
    first_lep = first_per_event(lep.event, n)
    rank = np.arange(len(lep.event)) - first_lep[lep.event]
    hard_extra = count_per_event(
        lep.event[(rank > 0) & (lep.pt > SECOND_LEPTON_PT_MAX_GEV)], n
    )
    central = jets.select((jets.pt > JET_PT_MIN_GEV) & (np.abs(jets.eta) < JET_ETA_MAX))
    n_jets = count_per_event(central.event, n)
    ht = np.bincount(central.event, central.pt, n)
    j1 = first_per_event(central.event, n)
    jet1_pt = np.where(j1 >= 0, central.pt[np.maximum(j1, 0)], 0.0)
    j2 = np.where(n_jets >= 2, j1 + 1, -1)
    dphi = np.abs(
        delta_phi(central.phi[np.maximum(j1, 0)], central.phi[np.maximum(j2, 0)])
    )
    qcd_like = (j2 >= 0) & (central.pt[np.maximum(j2, 0)] > JET2_PT_DPHI_GEV)
    qcd_like &= dphi > DPHI_J1J2_MAX
    selected = (
        (first_lep >= 0)
        & (hard_extra == 0)
        & (reco.met > MET_MIN_GEV)
        & (jet1_pt > JET1_PT_MIN_GEV)
        & (ht > HT_MIN_GEV)
        & ~qcd_like
    )
    events = np.flatnonzero(selected)
    il = first_lep[events]
    loose = central.btag > detector.BTAG_THRESHOLDS[0]
    bcand = jets.select((jets.pt > BJET_PT_MIN_GEV) & (np.abs(jets.eta) < JET_ETA_MAX))
    ib = first_by(bcand.event, -bcand.btag, n)[events]
    has_b = ib >= 0
    ib = np.maximum(ib, 0)
    nan = np.float64(np.nan)
    arrays = {
        "lep_pt": lep.pt[il],
        "lep_eta": lep.eta[il],
        "lep_phi": lep.phi[il],
        "lep_charge": lep.charge[il],
        "lep_flavour": lep.flavour[il],
        "met": reco.met[events],
        "met_phi": reco.met_phi[events],
        "mt": transverse_mass(
            lep.pt[il], lep.phi[il], reco.met[events], reco.met_phi[events]
        ),
        "jet1_pt": jet1_pt[events],
        "ht": ht[events],
        "n_jets": n_jets[events].astype(np.int8),
        "n_bjets_loose": count_per_event(central.event[loose], n)[events].astype(
            np.int8
        ),
        "bjet_pt": np.where(has_b, bcand.pt[ib], nan),
        "bjet_score": np.where(has_b, bcand.btag[ib], nan),
        "dr_lep_bjet": np.where(
            has_b,
            delta_r(lep.eta[il], lep.phi[il], bcand.eta[ib], bcand.phi[ib]),
            nan,
        ),
    }
    return arrays, events


def _process_batch(
    batch: ak.Array, rng: np.random.Generator, pythia: object, masses: tuple
) -> tuple[dict, np.ndarray]:
    _, fastjet = require_generator()
    table = particle_table(batch, pythia)
    n_events = len(table.offsets) - 1
    # Generator-level prefilter: events far below the MET threshold skip the
    # detector model (they cannot pass, see TRUE_MET_MIN_GEV).
    inv = (table.status > 0) & np.isin(np.abs(table.pid), _INVISIBLE)
    true_met = np.hypot(
        np.bincount(table.event[inv], table.px[inv], n_events),
        np.bincount(table.event[inv], table.py[inv], n_events),
    )
    passing = np.flatnonzero(true_met > TRUE_MET_MIN_GEV)
    reco = reconstruct(subset_events(table, passing), rng, fastjet)
    arrays, events = _select(reco)
    events = passing[events]
    arrays["m_stop"] = np.full(len(events), masses[0])
    arrays["m_lsp"] = np.full(len(events), masses[1])
    return arrays, events


def chunk(process: Process, n_keep: int, seed: int) -> ChunkResult:
    """Generate ``n_keep`` preselected events of one process.

    Parameters
    ----------
    process
        One of the processes of :data:`SAMPLE`.
    n_keep
        Events to keep (at least 2 for the processes with two set-ups).
    seed
        Chunk seed (Pythia and the detector model).

    Returns
    -------
    ChunkResult
        The events and the generator bookkeeping.

    Examples
    --------
    >>> # chunk(SAMPLE.processes[2], 20, 1)
    """
    masses = (
        float(process.options.get("m_stop", 0.0)),
        float(process.options.get("m_lsp", 0.0)),
    )

    def batch_fn(batch: ak.Array, rng: np.random.Generator, pythia: object) -> tuple:
        return _process_batch(batch, rng, pythia, masses)

    if masses[0] <= 0:
        return generate_split(process, n_keep, seed, batch_fn)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spectrum.slha"
        path.write_text(slha_text(*masses))
        return generate_split(
            process, n_keep, seed, batch_fn, extra_settings=(f"SLHA:file = {path}",)
        )


def _stop(name: str, m_stop: float, m_lsp: float) -> Process:
    return Process(
        name,
        f"pp -> stop_1 stop_1*, m(stop) = {m_stop:.0f} GeV, m(LSP) = {m_lsp:.0f} GeV, "
        "stop -> b W* LSP (four-body b f f' LSP through an off-shell W), at least "
        "one W* -> l nu (l = e, mu, tau); SLHA spectrum written by "
        "lessons_code.data.samples.stop4body.slha_text.",
        (
            "SUSY:gg2squarkantisquark = on",
            "SUSY:qqbar2squarkantisquark = on",
            "SUSY:idA = 1000006",
            "SUSY:idB = 1000006",
            "SLHA:allowOnlyOffShell = on",
            "SLHA:minMassSM = 1000.",
            "SLHA:verbose = 0",
        ),
        share=1.0,
        options={
            "m_stop": m_stop,
            "m_lsp": m_lsp,
            "decay_configs": ONE_LEPTONIC_W,
            "recoil_pid": 1000006,
            "recoil_pt_min_gev": RECOIL_FILTER_GEV,
        },
    )


_F = "float32"
_FIELDS = (
    Field("lep_pt", "GeV", _F, "Leading lepton transverse momentum.", bits=12),
    Field("lep_eta", "", _F, "Leading lepton pseudorapidity.", bits=12),
    Field("lep_phi", "rad", _F, "Leading lepton azimuth.", bits=12),
    Field("lep_charge", "e", "int8", "Leading lepton charge, +1 or -1."),
    Field("lep_flavour", "", "int8", "Leading lepton flavour: 11 electron, 13 muon."),
    Field("met", "GeV", _F, "Missing transverse momentum.", bits=12),
    Field("met_phi", "rad", _F, "Azimuth of the missing transverse momentum.",
          bits=12),
    Field("mt", "GeV", _F, "Transverse mass of the lepton and the missing pT.",
          bits=12),
    Field("jet1_pt", "GeV", _F, "Leading jet (pT > 30 GeV, |eta| < 2.4) pT.",
          bits=12),
    Field("ht", "GeV", _F, "Scalar sum of the pT of jets with pT > 30 GeV, "
          "|eta| < 2.4.", bits=12),
    Field("n_jets", "", "int8", "Jets with pT > 30 GeV and |eta| < 2.4."),
    Field("n_bjets_loose", "", "int8",
          "Jets with pT > 30 GeV, |eta| < 2.4 passing the loose b-tag."),
    Field("bjet_pt", "GeV", _F, "pT of the most b-like jet (pT > 20 GeV, "
          "|eta| < 2.4); NaN if there is no such jet.", bits=12),
    Field("bjet_score", "", _F, "b-tagging score of the most b-like jet, in "
          "[0, 1]; NaN if there is no such jet.", bits=12),
    Field("dr_lep_bjet", "", _F, "Delta R between the lepton and the most b-like "
          "jet; NaN if there is no such jet.", bits=12),
    Field("m_stop", "GeV", _F, "Generated stop mass (0 for backgrounds)."),
    Field("m_lsp", "GeV", _F, "Generated LSP mass (0 for backgrounds)."),
)  # fmt: skip

SAMPLE = Sample(
    name="stop4body",
    description=(
        "Preselected events (one soft lepton, missing pT > 200 GeV, an ISR jet "
        "above 100 GeV, HT > 300 GeV) of W+jets, tt-bar and top-squark pairs "
        "decaying four-body (500 GeV stops, Delta m = 30 and 80 GeV), with the "
        "input variables of the CMS compressed-stop BDT."
    ),
    entry="event",
    processes=(
        Process(
            "wjets",
            "W + 1 parton (qq-bar -> Wg, qg -> Wq), pT-hat > 100 GeV, "
            "W -> l nu (l = e, mu, tau), neutrino pT > 150 GeV.",
            (
                "WeakBosonAndParton:qqbar2Wg = on",
                "WeakBosonAndParton:qg2Wq = on",
                "PhaseSpace:pTHatMin = 100.",
                "24:onMode = off",
                f"24:onIfAny = {_W_TO_LEPTONS}",
            ),
            share=2.0,
            options={"invisible_pt_min_gev": INVISIBLE_PT_FILTER_GEV},
        ),
        Process(
            "ttbar",
            "tt-bar, at least one W -> l nu (l = e, mu, tau), neutrino pT sum > 150 "
            "GeV at the hard-process level.",
            ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on"),
            share=2.0,
            options={
                "decay_configs": ONE_LEPTONIC_W,
                "invisible_pt_min_gev": INVISIBLE_PT_FILTER_GEV,
            },
        ),
        _stop("stop_dm30", 500.0, 470.0),
        _stop("stop_dm80", 500.0, 420.0),
    ),
    fields=_FIELDS,
    chunk=chunk,
    chunk_size=500,
    fast_entries=1000,
    default_entries=90_000,
)
