"""Event reconstruction shared by the event-level samples (``stop4body``, ``tth``).

From the final-state particles of a batch of Pythia events this module builds
what an analysis sees:

* **leptons**: electrons and muons with the efficiency and momentum resolution of
  :mod:`lessons_code.data.detector`, prompt (smeared impact parameters within
  |d0| < 0.2 mm, |z0| < 0.5 mm) and isolated (scalar pT sum of the other visible
  particles within Delta R < 0.3, :func:`~lessons_code.data.detector.is_isolated`);
* **jets**: anti-kt R = 0.4 (arXiv:0802.1189) of the smeared visible particles
  minus the selected leptons, pT > 20 GeV and |eta| < 2.5, with the hadron-based
  truth flavour of the ``flavour_tagging`` sample and a continuous b-tagging
  score (:func:`~lessons_code.data.detector.btag_score`);
* **missing transverse momentum** from all smeared visible particles.

It also runs a chunk as several generator set-ups with complementary forced
decays (:func:`generate_split`), which is how the samples spend generated events
only on the decay channels they select.

Units: GeV, mm, rad.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields

import awkward as ak
import numpy as np

from lessons_code.data import detector
from lessons_code.data.chunks import (
    Particles,
    antikt_jets,
    generate_entries,
    momenta_per_event,
    pairs_in_event,
)
from lessons_code.data.jets import delta_phi
from lessons_code.data.pythia_setup import MAX_SEED, make_pythia, require_generator
from lessons_code.data.samples import ChunkResult, Process
from lessons_code.data.samples.flavour_tagging import _jet_labels

log = logging.getLogger(__name__)

#: Jet radius.
RADIUS = 0.4
#: Jets kept by :func:`reconstruct`: pT [GeV] and |eta|.
JET_PT_MIN_GEV, JET_ETA_MAX = 20.0, 2.5
#: Lowest lepton pT [GeV]: electrons, muons (arXiv:2301.08096, Sect. 4).
ELECTRON_PT_MIN_GEV, MUON_PT_MIN_GEV = 5.0, 3.5
#: PDG codes of invisible particles (neutrinos, the lightest neutralino).
INVISIBLE_IDS = frozenset((12, 14, 16, 1000022))
#: Visible-particle pT [GeV] below which particles do not enter the isolation sum.
ISOLATION_PARTICLE_PT_MIN_GEV = 0.5


@dataclass
class Leptons:
    """Selected leptons of a batch, sorted by event, then by decreasing pT.

    All attributes are 1-d arrays of the same length: ``event`` (index in the
    batch), ``pt`` [GeV], ``eta``, ``phi`` [rad], ``charge`` (+-1), ``flavour``
    (11 or 13) and ``row`` (row in the particle table).
    """

    event: np.ndarray
    pt: np.ndarray
    eta: np.ndarray
    phi: np.ndarray
    charge: np.ndarray
    flavour: np.ndarray
    row: np.ndarray


@dataclass
class Jets:
    """Reconstructed jets of a batch, sorted by event, then by decreasing pT.

    1-d arrays of the same length: ``event``, ``pt`` [GeV], ``eta``, ``phi``
    [rad], ``mass`` [GeV], ``px``, ``py``, ``pz``, ``e`` [GeV], ``flavour``
    (truth: 0 light, 1 c, 2 b) and ``btag`` (score in [0, 1]).
    """

    event: np.ndarray
    pt: np.ndarray
    eta: np.ndarray
    phi: np.ndarray
    mass: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    flavour: np.ndarray
    btag: np.ndarray

    def select(self, mask: np.ndarray) -> Jets:
        """Subset of the jets (order kept)."""
        return Jets(**{k: v[mask] for k, v in self.__dict__.items()})


@dataclass
class Reconstructed:
    """Everything :func:`reconstruct` returns for one batch of ``n_events``."""

    n_events: int
    leptons: Leptons
    jets: Jets
    met: np.ndarray
    met_phi: np.ndarray


def delta_r(
    eta1: np.ndarray, phi1: np.ndarray, eta2: np.ndarray, phi2: np.ndarray
) -> np.ndarray:
    """Distance in (eta, phi).

    Parameters
    ----------
    eta1, phi1, eta2, phi2
        Pseudorapidities and azimuths [rad], broadcastable.

    Returns
    -------
    numpy.ndarray
        Delta R, dimensionless.

    Examples
    --------
    >>> float(delta_r(np.array(0.0), np.array(3.0), np.array(0.0), np.array(-3.0)))
    0.28318530717958623
    """
    return np.hypot(eta1 - eta2, delta_phi(phi1, phi2))


def _leptons(
    table: Particles,
    final: np.ndarray,
    vis_rows: np.ndarray,
    vis_pt: np.ndarray,
    rng: np.random.Generator,
) -> tuple[Leptons, np.ndarray]:
    """Selected leptons and their smeared pT replacing the generic smearing."""
    abs_pid = np.abs(table.pid[final])
    cand = final[np.isin(abs_pid, (11, 13))]
    flav = np.abs(table.pid[cand])
    true_pt, eta = table.pt[cand], table.eta[cand]
    res = detector.lepton_pt_resolution(true_pt, eta, flav)
    pt = true_pt * np.maximum(1.0 + res * rng.standard_normal(len(cand)), 0.0)
    found = rng.random(len(cand)) < detector.lepton_efficiency(true_pt, eta, flav)
    pt_min = np.where(flav == 11, ELECTRON_PT_MIN_GEV, MUON_PT_MIN_GEV)
    d0, z0 = detector.impact_parameters_mm(
        table.x_mm[cand], table.y_mm[cand], table.z_mm[cand],
        table.px[cand], table.py[cand], table.pz[cand],
    )  # fmt: skip
    d0, z0, _, _ = detector.smear_impact_parameters(d0, z0, true_pt, eta, rng)
    prompt = (np.abs(d0) < detector.LEPTON_D0_MAX_MM) & (
        np.abs(z0) < detector.LEPTON_Z0_MAX_MM
    )
    keep = found & (pt > pt_min) & prompt
    cand, flav, pt, eta = cand[keep], flav[keep], pt[keep], eta[keep]
    phi = table.phi[cand]
    # Isolation: other visible particles of the same event within the cone.
    soft = vis_pt > ISOLATION_PARTICLE_PT_MIN_GEV
    rows_b, pt_b = vis_rows[soft], vis_pt[soft]
    ia, ib = pairs_in_event(table.event[cand], table.event[rows_b])
    near = (rows_b[ib] != cand[ia]) & (
        delta_r(eta[ia], phi[ia], table.eta[rows_b[ib]], table.phi[rows_b[ib]])
        < detector.ISOLATION_CONE
    )
    iso = np.bincount(ia[near], pt_b[ib][near], minlength=len(cand))
    good = detector.is_isolated(iso, pt)
    event = table.event[cand][good]
    order = np.lexsort((-pt[good], event))
    leptons = Leptons(
        event=event[order],
        pt=pt[good][order],
        eta=eta[good][order],
        phi=phi[good][order],
        charge=np.sign(table.charge[cand][good][order]).astype(np.int8),
        flavour=flav[good][order].astype(np.int8),
        row=cand[good][order],
    )
    return leptons, pt[good][order]


def subset_events(table: Particles, events: np.ndarray) -> Particles:
    """Particle table restricted to some events, renumbered 0..len(events)-1.

    Parameters
    ----------
    table
        Particle table of a batch.
    events
        Increasing event indices to keep, 1-d.

    Returns
    -------
    Particles
        The rows of those events; ``mother1`` and ``daughter1`` point to the new
        rows.

    Examples
    --------
    >>> # small = subset_events(table, np.array([0, 3]))
    """
    counts = np.diff(table.offsets)[events]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    new_event = np.repeat(np.arange(len(events)), counts)
    rows = (
        np.arange(offsets[-1]) - offsets[new_event] + table.offsets[events][new_event]
    )
    shift = offsets[new_event] - table.offsets[events][new_event]
    columns = {
        f.name: getattr(table, f.name)[rows]
        for f in dataclass_fields(table)
        if f.name not in ("event", "offsets")
    }
    columns["mother1"] = columns["mother1"] + shift
    columns["daughter1"] = columns["daughter1"] + shift
    return Particles(event=new_event, offsets=offsets, **columns)


def reconstruct(
    table: Particles, rng: np.random.Generator, fastjet: object
) -> Reconstructed:
    """Leptons, jets and missing transverse momentum of a batch of events.

    Parameters
    ----------
    table
        Particle table of the batch (:func:`~lessons_code.data.chunks.particle_table`).
    rng
        Random generator of the detector model.
    fastjet
        The imported ``fastjet`` module.

    Returns
    -------
    Reconstructed
        Leptons and jets sorted by event and decreasing pT, and per-event
        missing transverse momentum [GeV] and its azimuth [rad].

    Examples
    --------
    >>> # reco = reconstruct(particle_table(pythia.nextBatch(10), pythia), rng, fj)
    """
    n_events = len(table.offsets) - 1
    final = np.flatnonzero(table.status > 0)
    pt_s, visible, _ = detector.smear_particles(
        table.pt[final], table.eta[final], table.pid[final], table.charge[final], rng
    )
    # The detector model knows neutrinos as invisible; LSPs are invisible too.
    visible &= ~np.isin(np.abs(table.pid[final]), tuple(INVISIBLE_IDS))
    base_rows, base_pt = final[visible], pt_s[visible]
    leptons, lep_pt = _leptons(table, final, base_rows, base_pt, rng)
    # Selected leptons carry their own resolution and stay out of the jets.
    is_visible = np.zeros(len(table.pid), dtype=bool)
    is_visible[base_rows] = True
    is_visible[leptons.row] = True
    vis_rows = np.flatnonzero(is_visible)
    scale = np.ones(len(vis_rows))
    scale[np.searchsorted(vis_rows, base_rows)] = base_pt / np.maximum(
        table.pt[base_rows], 1e-12
    )
    scale[np.searchsorted(vis_rows, leptons.row)] = lep_pt / np.maximum(
        table.pt[leptons.row], 1e-12
    )
    is_lepton = np.zeros(len(table.pid), dtype=bool)
    is_lepton[leptons.row] = True
    is_lep = is_lepton[vis_rows]
    met, met_phi = detector.missing_pt(
        table.px[vis_rows] * scale,
        table.py[vis_rows] * scale,
        table.event[vis_rows],
        n_events,
    )
    jet_rows = vis_rows[~is_lep]
    parts = momenta_per_event(table, jet_rows, scale[~is_lep])
    event, px, py, pz, e = antikt_jets(parts, RADIUS, JET_PT_MIN_GEV, fastjet)
    pt = np.hypot(px, py)
    eta = np.arcsinh(pz / np.maximum(pt, 1e-12))
    keep = np.abs(eta) < JET_ETA_MAX
    event, px, py, pz, e, pt, eta = (v[keep] for v in (event, px, py, pz, e, pt, eta))
    order = np.lexsort((-pt, event))
    event, px, py, pz, e, pt, eta = (v[order] for v in (event, px, py, pz, e, pt, eta))
    phi = np.arctan2(py, px)
    flavour, _ = _jet_labels(table, event, eta, phi)
    jets = Jets(
        event=event,
        pt=pt,
        eta=eta,
        phi=phi,
        mass=np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0)),
        px=px,
        py=py,
        pz=pz,
        e=e,
        flavour=flavour,
        btag=detector.btag_score(flavour, eta, rng),
    )
    return Reconstructed(n_events, leptons, jets, met, met_phi)


def transverse_mass(
    pt1: np.ndarray, phi1: np.ndarray, pt2: np.ndarray, phi2: np.ndarray
) -> np.ndarray:
    """Transverse mass of two massless objects.

    Parameters
    ----------
    pt1, phi1, pt2, phi2
        Transverse momenta [GeV] and azimuths [rad], same shape.

    Returns
    -------
    numpy.ndarray
        mT = sqrt(2 pT1 pT2 (1 - cos Delta phi)) [GeV].

    Examples
    --------
    >>> float(transverse_mass(np.array(40.0), np.array(0.0),
    ...                       np.array(40.0), np.array(np.pi)))
    80.0
    """
    return np.sqrt(np.maximum(2 * pt1 * pt2 * (1 - np.cos(phi1 - phi2)), 0.0))


BatchFunction = Callable[[ak.Array, np.random.Generator, object], tuple[dict, object]]


def config_seed(seed: int, index: int) -> int:
    """Seed of the ``index``-th generator set-up of a chunk.

    Parameters
    ----------
    seed
        Chunk seed in [1, MAX_SEED].
    index
        Set-up index.

    Returns
    -------
    int
        Seed in [1, MAX_SEED]; index 0 keeps ``seed``.

    Examples
    --------
    >>> config_seed(5, 0), config_seed(5, 1) != 5
    (5, True)
    """
    return (seed - 1 + index * 104_729) % MAX_SEED + 1


def invisible_pt_filter(min_pt_gev: float) -> object:
    """Generator-level filter on the invisible transverse momentum of the hard process.

    A ``pythia8mc.UserHooks`` that vetoes, right after the hard process and its
    resonance decays (before showers, multi-parton interactions and
    hadronisation, which cost most of the time), events whose neutrinos and
    LSPs have a vector pT sum below ``min_pt_gev``. Pythia's cross section then
    counts only the accepted events, so the weights stay correct; the
    approximation is that later initial-state radiation rarely adds enough
    recoil to the invisible particles to pass the offline threshold from below
    the filter.

    Parameters
    ----------
    min_pt_gev
        Threshold [GeV].

    Returns
    -------
    pythia8mc.UserHooks
        The hook, to pass to :func:`~lessons_code.data.pythia_setup.make_pythia`.

    Examples
    --------
    >>> hook = invisible_pt_filter(150.0)
    >>> hook.canVetoProcessLevel()
    True
    """
    pythia8mc, _ = require_generator()
    cut2 = float(min_pt_gev) ** 2

    class InvisiblePtFilter(pythia8mc.UserHooks):
        def canVetoProcessLevel(self) -> bool:
            return True

        def doVetoProcessLevel(self, process: object) -> bool:
            px = py = 0.0
            for i in range(process.size()):
                particle = process[i]
                if particle.isFinal() and particle.idAbs() in INVISIBLE_IDS:
                    px += particle.px()
                    py += particle.py()
            return px * px + py * py < cut2

    return InvisiblePtFilter()


def hard_recoil_filter(pid: int, min_pt_gev: float) -> object:
    """Generator-level filter on the first initial-state emission.

    A ``pythia8mc.UserHooks`` called after the first step of the interleaved,
    pT-ordered evolution (showers and multi-parton interactions, arXiv:2203.11601,
    Sect. 5). If that step is an initial-state emission and the pair of
    particles ``+-pid`` of the hard process recoils against it with less than
    ``min_pt_gev``, the event is vetoed before the rest of the evolution and
    the hadronisation are run. As every later emission is softer, such events
    almost never reach a large recoil, which is what the missing-pT
    requirement of a compressed-stop search selects. Steps of other kinds
    (final-state radiation, multi-parton interactions) are never vetoed.
    Pythia's cross section counts only the accepted events.

    Parameters
    ----------
    pid
        PDG code of the pair-produced particle (e.g. 1000006).
    min_pt_gev
        Threshold on the transverse momentum of the pair [GeV].

    Returns
    -------
    pythia8mc.UserHooks
        The hook, to pass to :func:`~lessons_code.data.pythia_setup.make_pythia`.

    Examples
    --------
    >>> hard_recoil_filter(1000006, 100.0).numberVetoStep()
    1
    """
    pythia8mc, _ = require_generator()
    cut2 = float(min_pt_gev) ** 2

    class HardRecoilFilter(pythia8mc.UserHooks):
        def canVetoStep(self) -> bool:
            return True

        def numberVetoStep(self) -> int:
            return 1

        def doVetoStep(self, i_pos: int, n_isr: int, n_fsr: int, event: object) -> bool:
            if n_isr < 1:
                return False
            last = {}
            for i in range(event.size()):
                if event[i].idAbs() == pid:
                    last[event[i].id()] = i
            if len(last) != 2:
                return False
            px = sum(event[i].px() for i in last.values())
            py = sum(event[i].py() for i in last.values())
            return px * px + py * py < cut2

    return HardRecoilFilter()


def generate_split(
    process: Process,
    n_keep: int,
    seed: int,
    process_batch: BatchFunction,
    extra_settings: tuple[str, ...] = (),
) -> ChunkResult:
    """Generate a chunk as several set-ups with complementary forced decays.

    ``process.options["decay_configs"]`` lists the settings of each set-up (for
    example "W+ to leptons, W- anything" and "W+ to quarks, W- to leptons"); the
    set-ups must select disjoint sets of decay chains. Each set-up generates its
    share of ``n_keep`` entries with its own Pythia; Pythia's cross section of a
    set-up already includes the branching fractions of its open channels, so
    the set-ups are combined with weights sigma_k / N_k (N_k: events generated by
    set-up k), expressed through the entry weights so that the infrastructure's
    normalisation sigma x BR / sum of weights gives exactly that. With
    ``process.options["invisible_pt_min_gev"]`` each set-up runs with
    :func:`invisible_pt_filter`, with ``"recoil_pid"`` and ``"recoil_pt_min_gev"``
    with :func:`hard_recoil_filter`.

    Parameters
    ----------
    process
        The process (settings and options).
    n_keep
        Entries wanted, at least one per set-up.
    seed
        Chunk seed.
    process_batch
        ``f(batch, rng, pythia) -> (arrays, event_index)`` as for
        :func:`~lessons_code.data.chunks.generate_entries`.
    extra_settings
        Settings added after the process settings (e.g. the SLHA file).

    Returns
    -------
    ChunkResult
        Entries of all set-ups, set-up by set-up.

    Raises
    ------
    ValueError
        If ``n_keep`` is smaller than the number of set-ups.

    Examples
    --------
    >>> # generate_split(process, 100, 7, my_batch_function)
    """
    configs = tuple(process.options.get("decay_configs", ((),)))
    if n_keep < len(configs):
        msg = (
            f"Process {process.name!r} needs at least {len(configs)} entries per "
            f"chunk (one per forced-decay set-up), got {n_keep}: ask for more."
        )
        raise ValueError(msg)
    results = []
    for k, config in enumerate(configs):
        size = n_keep // len(configs) + (k < n_keep % len(configs))
        s = config_seed(seed, k)
        hook = _filter(process)
        settings = (*process.settings, *config, *extra_settings)
        pythia = make_pythia(settings, s, user_hooks=hook)
        results.append(
            generate_entries(
                pythia,
                size,
                s,
                lambda batch, rng, p=pythia: process_batch(batch, rng, p),
                first_batch=min(200, size + 5),
            )
        )
        log.debug("%s set-up %d: sigma %.4g pb", process.name, k, results[-1].sigma_pb)
    return _combine(results)


def _filter(process: Process) -> object:
    """The generator-level filter a process asks for in its options, or None."""
    if "invisible_pt_min_gev" in process.options:
        return invisible_pt_filter(float(process.options["invisible_pt_min_gev"]))
    if "recoil_pt_min_gev" in process.options:
        pid = int(process.options["recoil_pid"])
        return hard_recoil_filter(pid, float(process.options["recoil_pt_min_gev"]))
    return None


def _combine(results: list[ChunkResult]) -> ChunkResult:
    sigma = sum(r.sigma_pb for r in results)
    total_w = sum(r.sum_weights for r in results)
    weights = [
        r.entry_weights * (r.sigma_pb / sigma) * (total_w / r.sum_weights)
        for r in results
    ]
    arrays = {}
    for key in results[0].arrays:
        pieces = [r.arrays[key] for r in results]
        arrays[key] = (
            ak.concatenate(pieces)
            if isinstance(pieces[0], ak.Array)
            else np.concatenate(pieces)
        )
    return ChunkResult(
        arrays=arrays,
        n_generated=sum(r.n_generated for r in results),
        sum_weights=total_w,
        entry_weights=np.concatenate(weights),
        sigma_pb=sigma,
        sigma_err_pb=float(np.sqrt(sum(r.sigma_err_pb**2 for r in results))),
        time_pythia_s=sum(r.time_pythia_s for r in results),
        time_total_s=sum(r.time_total_s for r in results),
    )


def leading_order_cross_section(process: Process, n_events: int = 3000) -> float:
    """Pythia's leading-order cross section of a process without forced decays.

    Runs the hard process only (no showers, hadronisation, filters or forced
    decays) for ``n_events`` events, which takes about a second, and returns
    Pythia's estimate. Generator-level phase-space cuts of the process
    (``PhaseSpace:pTHatMin``) stay in.

    Parameters
    ----------
    process
        A process of ``stop4body`` or ``tth``.
    n_events
        Hard-process events used for the estimate.

    Returns
    -------
    float
        Cross section [pb].

    Examples
    --------
    >>> from lessons_code.data.samples import get_sample
    >>> sigma = leading_order_cross_section(get_sample("tth").processes[1], 200)
    >>> 0.2 < sigma < 1.0
    True
    """
    import tempfile
    from pathlib import Path

    settings = [s for s in process.settings if not s.startswith(("24:on", "25:on"))]
    settings += ["PartonLevel:all = off", "HadronLevel:all = off"]
    with tempfile.TemporaryDirectory() as tmp:
        if "m_stop" in process.options:
            from lessons_code.data.samples.stop4body import slha_text

            path = Path(tmp) / "spectrum.slha"
            path.write_text(
                slha_text(
                    float(process.options["m_stop"]), float(process.options["m_lsp"])
                )
            )
            settings.append(f"SLHA:file = {path}")
        pythia = make_pythia(settings, 1)
    pythia.nextBatch(n_events)
    return float(pythia.infoPython().sigmaGen()) * 1e9
