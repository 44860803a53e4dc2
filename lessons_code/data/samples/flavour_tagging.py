"""``flavour_tagging``: anti-kt R = 0.4 jets from tt-bar with their tracks.

One entry is one jet with pT > 20 GeV and |eta| < 2.5, clustered (arXiv:0802.1189,
arXiv:1111.6097) from the particles after the detector model, in inclusive tt-bar
events (all top decay modes, no generator-level cut). The flavour label follows
the usual hadron-based definition: b if a weakly decaying b-hadron with
pT > 5 GeV lies within Delta R < 0.3 of the jet axis, else c for such a c-hadron,
else light. Tracks are reconstructed charged particles (tracking efficiency of
:mod:`lessons_code.data.detector`) with true pT > 1 GeV within Delta R < 0.4 of
the jet axis that pass the tagging track-quality selection
(:func:`~lessons_code.data.detector.tagging_track_quality`: |d0| < 2 mm, produced
within 50 mm of the beam line). Their impact parameters are computed from the true
production vertex and momentum as straight lines, then smeared with the tracker
resolution;
the significances are signed with respect to the jet axis (positive when the point
of closest approach lies on the jet's side). At most :data:`MAX_TRACKS` tracks are
kept per jet, those with the largest signed d0 significance first; ``n_tracks``
counts all of them.

Track origin labels: 0 primary (from the collision point), 1 from a b-hadron decay
(including b -> c cascades), 2 from a c-hadron decay (not from b), 3 other
secondary (a displaced vertex from strange-hadron, tau or other decays).
"""

from __future__ import annotations

import logging

import awkward as ak
import numpy as np

from lessons_code.data import detector
from lessons_code.data.chunks import (
    Particles,
    antikt_jets,
    first_by,
    generate_entries,
    hadron_flavour,
    has_ancestor,
    pairs_in_event,
    particle_table,
    visible_momenta,
)
from lessons_code.data.jets import delta_phi
from lessons_code.data.pythia_setup import make_pythia, require_generator
from lessons_code.data.samples import ChunkResult, Field, Process, Sample

log = logging.getLogger(__name__)

#: Jet radius.
RADIUS = 0.4
#: Jet selection: pT [GeV] and |eta|.
JET_PT_MIN_GEV, JET_ETA_MAX = 20.0, 2.5
#: Hadron labelling: minimum hadron pT [GeV] and Delta R to the jet axis.
HADRON_PT_MIN_GEV, HADRON_DR_MAX = 5.0, 0.3
#: Track selection: true pT [GeV] and Delta R to the jet axis.
TRACK_PT_MIN_GEV, TRACK_DR_MAX = 1.0, 0.4
#: Tracks stored per jet at most.
MAX_TRACKS = 15
#: Production vertices farther than this from the origin are displaced [mm].
DISPLACED_MM = 1e-3
#: Flavour labels.
LABELS = {"light": 0, "c": 1, "b": 2}
#: Track origin labels.
ORIGINS = {"primary": 0, "b": 1, "c": 2, "other_secondary": 3}


def _weak_hadrons(table: Particles, flavour: int) -> np.ndarray:
    """Rows of weakly decaying hadrons of ``flavour`` (no same-flavour daughter)."""
    heavy = hadron_flavour(table.pid) == flavour
    rows = np.flatnonzero(heavy)
    has_heavy_child = np.zeros(len(table.pid), dtype=bool)
    children = rows[heavy[table.mother1[rows]]]
    has_heavy_child[table.mother1[children]] = True
    return rows[~has_heavy_child[rows]]


def _jet_labels(
    table: Particles, jet_event: np.ndarray, jet_eta: np.ndarray, jet_phi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Flavour label and decay length [mm] of the labelling hadron per jet."""
    label = np.zeros(len(jet_event), dtype=np.int8)
    decay_length = np.zeros(len(jet_event))
    for flavour, name in ((4, "c"), (5, "b")):
        rows = _weak_hadrons(table, flavour)
        rows = rows[table.pt[rows] > HADRON_PT_MIN_GEV]
        ij, ih = pairs_in_event(jet_event, table.event[rows])
        dr = np.hypot(
            jet_eta[ij] - table.eta[rows[ih]],
            delta_phi(jet_phi[ij], table.phi[rows[ih]]),
        )
        close = dr < HADRON_DR_MAX
        # Per jet, the nearest hadron (the first one on ties).
        nearest = first_by(ij[close], dr[close], len(jet_event))
        hit = np.flatnonzero(nearest >= 0)
        hadron = rows[ih[close][nearest[hit]]]
        p = np.hypot(table.pt[hadron], table.pz[hadron])
        label[hit] = LABELS[name]
        decay_length[hit] = table.tau_mm[hadron] * p / table.mass[hadron]
    return label, decay_length


def _track_origin(table: Particles) -> np.ndarray:
    """Origin label of every particle of the table."""
    flavour = hadron_flavour(table.pid)
    from_b = has_ancestor(flavour == 5, table.mother1)
    from_c = has_ancestor(flavour == 4, table.mother1)
    radius = np.sqrt(table.x_mm**2 + table.y_mm**2 + table.z_mm**2)
    origin = np.where(radius > DISPLACED_MM, ORIGINS["other_secondary"], 0)
    origin = np.where(from_c, ORIGINS["c"], origin)
    return np.where(from_b, ORIGINS["b"], origin).astype(np.int8)


def _jets(table: Particles, rng: np.random.Generator, fastjet: object) -> tuple:
    parts, _, final, pt, tracked = visible_momenta(table, rng)
    event, px, py, pz, e = antikt_jets(parts, RADIUS, JET_PT_MIN_GEV, fastjet)
    jet_pt = np.hypot(px, py)
    jet_eta = np.arcsinh(pz / jet_pt)
    jet_phi = np.arctan2(py, px)
    jet_mass = np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0))
    keep = np.abs(jet_eta) < JET_ETA_MAX
    track_rows = final[tracked & (table.pt[final] > TRACK_PT_MIN_GEV)]
    track_pt = pt[tracked & (table.pt[final] > TRACK_PT_MIN_GEV)]
    jets_out = (event[keep], jet_pt[keep], jet_eta[keep], jet_phi[keep], jet_mass[keep])
    return jets_out, track_rows, track_pt


def _tracks(
    table: Particles,
    jets: tuple,
    track_rows: np.ndarray,
    track_pt: np.ndarray,
    rng: np.random.Generator,
) -> tuple[ak.Array, np.ndarray]:
    """Tracks of every jet, sorted by signed d0 significance, and their count."""
    jet_event, jet_pt, jet_eta, jet_phi, _ = jets
    # Pair each jet with the tracks of its event (sorted by event).
    t_event = table.event[track_rows]
    first = np.searchsorted(t_event, jet_event, side="left")
    last = np.searchsorted(t_event, jet_event, side="right")
    n_pairs = last - first
    pair_jet = np.repeat(np.arange(len(jet_event)), n_pairs)
    pair_trk = np.concatenate(
        [np.arange(a, b) for a, b in zip(first, last, strict=True)]
    )
    if len(pair_trk) == 0:
        pair_trk = np.zeros(0, dtype=np.int64)
    rows = track_rows[pair_trk]
    eta, phi = table.eta[rows], table.phi[rows]
    deta = eta - jet_eta[pair_jet]
    dphi = delta_phi(phi, jet_phi[pair_jet])
    inside = np.hypot(deta, dphi) < TRACK_DR_MAX
    pair_jet, rows, deta, dphi = (
        pair_jet[inside],
        rows[inside],
        deta[inside],
        dphi[inside],
    )
    pt = track_pt[pair_trk[inside]]
    d0, z0 = detector.impact_parameters_mm(
        table.x_mm[rows], table.y_mm[rows], table.z_mm[rows],
        table.px[rows], table.py[rows], table.pz[rows],
    )  # fmt: skip
    d0, z0, sd0, sz0 = detector.smear_impact_parameters(d0, z0, pt, eta[inside], rng)
    good = detector.tagging_track_quality(d0, table.x_mm[rows], table.y_mm[rows])
    pair_jet, rows, deta, dphi, pt = (v[good] for v in (pair_jet, rows, deta, dphi, pt))
    d0, z0, sd0, sz0 = d0[good], z0[good], sd0[good], sz0[good]
    eta, phi = eta[inside][good], phi[inside][good]
    d0_sign = np.sign(d0 * np.sin(phi - jet_phi[pair_jet]))
    z0_sign = np.sign(z0 * (jet_eta[pair_jet] - eta))
    d0_sig = np.where(d0_sign == 0, 1.0, d0_sign) * np.abs(d0) / sd0
    z0_sig = np.where(z0_sign == 0, 1.0, z0_sign) * np.abs(z0) / sz0
    order = np.lexsort((-d0_sig, pair_jet))
    counts = np.bincount(pair_jet, minlength=len(jet_event))
    columns = {
        "ptfrac": pt / jet_pt[pair_jet],
        "deta": deta,
        "dphi": dphi,
        "d0_mm": d0,
        "z0_mm": z0,
        "d0_err_mm": sd0,
        "z0_err_mm": sz0,
        "d0_sig": d0_sig,
        "z0_sig": z0_sig,
        "charge": table.charge[rows].astype(np.int8),
        "origin": _track_origin_rows(table, rows),
    }
    tracks = ak.unflatten(ak.zip({k: v[order] for k, v in columns.items()}), counts)
    return tracks[:, :MAX_TRACKS], counts


def _track_origin_rows(table: Particles, rows: np.ndarray) -> np.ndarray:
    if table.__dict__.get("_origin") is None:
        table.__dict__["_origin"] = _track_origin(table)
    return table.__dict__["_origin"][rows]


def _process_batch(
    batch: ak.Array, rng: np.random.Generator, pythia: object
) -> tuple[dict, np.ndarray]:
    _, fastjet = require_generator()
    table = particle_table(batch, pythia)
    jets, track_rows, track_pt = _jets(table, rng, fastjet)
    jet_event, jet_pt, jet_eta, jet_phi, jet_mass = jets
    label, decay_length = _jet_labels(table, jet_event, jet_eta, jet_phi)
    tracks, n_tracks = _tracks(table, jets, track_rows, track_pt, rng)
    arrays = {
        "jet_pt": jet_pt,
        "jet_eta": jet_eta,
        "jet_phi": jet_phi,
        "jet_mass": jet_mass,
        "label": label,
        "hadron_decay_length_mm": decay_length,
        "n_tracks": n_tracks,
        "tracks": tracks,
    }
    return arrays, jet_event


def chunk(process: Process, n_keep: int, seed: int) -> ChunkResult:
    """Generate ``n_keep`` jets with tracks (see the module docstring).

    Parameters
    ----------
    process
        The tt-bar process of :data:`SAMPLE`.
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
    return generate_entries(
        pythia,
        n_keep,
        seed,
        lambda batch, rng: _process_batch(batch, rng, pythia),
        first_batch=min(100, n_keep // 4 + 5),
    )


_FIELDS = (
    Field("jet_pt", "GeV", "float32", "Jet transverse momentum.", bits=12),
    Field("jet_eta", "", "float32", "Jet pseudorapidity.", bits=12),
    Field("jet_phi", "rad", "float32", "Jet azimuth.", bits=12),
    Field("jet_mass", "GeV", "float32", "Jet invariant mass.", bits=10),
    Field("label", "", "int8", "Flavour: 0 light, 1 c, 2 b."),
    Field(
        "hadron_decay_length_mm",
        "mm",
        "float32",
        "Decay length of the labelling b- or c-hadron (0 for light jets).",
        bits=10,
    ),
    Field("n_tracks", "", "int16", "Number of tracks in the jet (before the cap)."),
    Field("ptfrac", "", "float32", "Track pT / jet pT.", group="tracks", bits=10),
    Field("deta", "", "float32", "Track eta - jet eta.", group="tracks", bits=10),
    Field("dphi", "rad", "float32", "Track phi - jet phi.", group="tracks", bits=10),
    Field("d0_mm", "mm", "float32", "Transverse impact parameter (smeared).",
          group="tracks", bits=10),
    Field("z0_mm", "mm", "float32", "Longitudinal impact parameter (smeared).",
          group="tracks", bits=10),
    Field("d0_err_mm", "mm", "float32", "Resolution of d0.", group="tracks", bits=8),
    Field("z0_err_mm", "mm", "float32", "Resolution of z0.", group="tracks", bits=8),
    Field("d0_sig", "", "float32", "d0 / sigma(d0), signed by the jet axis.",
          group="tracks", bits=10),
    Field("z0_sig", "", "float32", "z0 / sigma(z0), signed by the jet axis.",
          group="tracks", bits=10),
    Field("charge", "e", "int8", "Track charge.", group="tracks"),
    Field("origin", "", "int8",
          "Origin: 0 primary, 1 from b, 2 from c, 3 other secondary.", group="tracks"),
)  # fmt: skip

SAMPLE = Sample(
    name="flavour_tagging",
    description=(
        "Anti-kt R = 0.4 jets (pT > 20 GeV, |eta| < 2.5) from tt-bar events with "
        "b / c / light labels and up to 15 tracks each (impact parameters, "
        "significances, origin labels)."
    ),
    entry="jet",
    processes=(
        Process(
            "ttbar",
            "Inclusive tt-bar (all decay modes), no generator-level cut.",
            ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on"),
            share=1.0,
        ),
    ),
    fields=_FIELDS,
    chunk=chunk,
    chunk_size=5000,
    fast_entries=5000,
    default_entries=150_000,
    balance_by=("label", "jet_pt", "jet_eta"),
)
