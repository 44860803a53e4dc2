"""Shared machinery of chunk functions: bulk particle tables and the batch loop.

A chunk function builds a Pythia instance, then calls :func:`generate_entries`
with a function that turns one batch of events (from ``Pythia.nextBatch``, an
awkward array) into stored entries. The loop keeps generating batches until the
requested number of entries is reached, measures the CPU time (not wall time, so
that a busy machine does not distort the rates) of Pythia separately from
everything else, and counts exactly the events that the kept entries come from,
so that the cross-section weights are unbiased.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import awkward as ak
import numpy as np

from lessons_code.data import detector
from lessons_code.data.samples import ChunkResult

log = logging.getLogger(__name__)

#: Largest batch requested from Pythia at once.
MAX_BATCH = 2000


@dataclass
class Particles:
    """Flat table of the particles of a batch of events (numpy arrays, 1-d).

    ``event`` is the event index within the batch, ``mother1`` the global row of
    the first mother (rows of all events concatenated), ``offsets`` the first
    row of each event (length n_events + 1). Momenta in GeV, vertices in mm.
    """

    event: np.ndarray
    offsets: np.ndarray
    pid: np.ndarray
    status: np.ndarray
    mother1: np.ndarray
    daughter1: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    mass: np.ndarray
    tau_mm: np.ndarray
    x_mm: np.ndarray
    y_mm: np.ndarray
    z_mm: np.ndarray
    charge: np.ndarray

    @cached_property
    def pt(self) -> np.ndarray:
        """Transverse momentum [GeV], computed once."""
        return np.hypot(self.px, self.py)

    @cached_property
    def eta(self) -> np.ndarray:
        """Pseudorapidity (+-20 along the beam), computed once."""
        return np.arcsinh(np.clip(self.pz / np.maximum(self.pt, 1e-9), -1e8, 1e8))

    @cached_property
    def phi(self) -> np.ndarray:
        """Azimuth [rad], computed once."""
        return np.arctan2(self.py, self.px)


_CHARGE_CACHE: dict[int, float] = {}


def _charges(pythia: object, pid: np.ndarray) -> np.ndarray:
    """Electric charge [e] of every particle, looked up once per PDG code."""
    known = np.fromiter(sorted(_CHARGE_CACHE), dtype=np.int64, count=len(_CHARGE_CACHE))
    pos = np.minimum(np.searchsorted(known, pid), max(len(known) - 1, 0))
    missing = np.ones(len(pid), dtype=bool) if len(known) == 0 else known[pos] != pid
    if missing.any():
        for code in np.unique(pid[missing]).tolist():
            _CHARGE_CACHE[code] = float(pythia.particleData.charge(code))
        return _charges(pythia, pid)
    values = np.array([_CHARGE_CACHE[code] for code in known.tolist()])
    return values[pos]


def _flat(array: ak.Array, dtype: type = np.float64) -> np.ndarray:
    flat = ak.flatten(array)
    if isinstance(flat.type.content, ak.types.OptionType):
        flat = ak.fill_none(flat, 0.0)
    return np.asarray(ak.to_numpy(flat), dtype=dtype)


def particle_table(batch: ak.Array, pythia: object) -> Particles:
    """Flatten the event record of a batch into numpy columns.

    Parameters
    ----------
    batch
        Result of ``pythia.nextBatch(n)`` (awkward, one record per event).
    pythia
        The generator (for particle charges).

    Returns
    -------
    Particles
        Every particle of every event, including intermediate ones.

    Examples
    --------
    >>> # table = particle_table(pythia.nextBatch(10), pythia)
    """
    prt = batch.prt
    counts = ak.to_numpy(ak.num(prt))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    event = np.repeat(np.arange(len(counts)), counts)
    vertex = prt.vProd
    pid = _flat(prt.id, np.int64)
    return Particles(
        event=event,
        offsets=offsets,
        pid=pid,
        status=_flat(prt.status, np.int64),
        mother1=_flat(prt.mother1, np.int64) + offsets[event],
        daughter1=_flat(prt.daughter1, np.int64) + offsets[event],
        px=_flat(prt.p.px),
        py=_flat(prt.p.py),
        pz=_flat(prt.p.pz),
        e=_flat(prt.p.e),
        mass=_flat(prt.m),
        tau_mm=_flat(prt.tau),
        x_mm=_flat(vertex.px),
        y_mm=_flat(vertex.py),
        z_mm=_flat(vertex.pz),
        charge=_charges(pythia, pid),
    )


def pairs_in_event(
    event_a: np.ndarray, event_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """All (a, b) index pairs of two event-sorted collections in the same event.

    Parameters
    ----------
    event_a, event_b
        Event index of each object, 1-d, ``event_b`` non-decreasing.

    Returns
    -------
    index_a, index_b
        Positions in ``a`` and ``b`` of every pair, 1-d, same length.

    Examples
    --------
    >>> a, b = pairs_in_event(np.array([0, 1]), np.array([0, 0, 1]))
    >>> a.tolist(), b.tolist()
    ([0, 0, 1], [0, 1, 2])
    """
    first = np.searchsorted(event_b, event_a, side="left")
    counts = np.searchsorted(event_b, event_a, side="right") - first
    index_a = np.repeat(np.arange(len(event_a)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    index_b = np.arange(counts.sum()) - starts + np.repeat(first, counts)
    return index_a, index_b


def count_per_event(event: np.ndarray, n_events: int) -> np.ndarray:
    """Number of objects per event.

    Parameters
    ----------
    event
        Event index per object, 1-d.
    n_events
        Number of events.

    Returns
    -------
    numpy.ndarray
        int64 counts, shape (n_events,).

    Examples
    --------
    >>> count_per_event(np.array([0, 0, 2]), 3).tolist()
    [2, 0, 1]
    """
    return np.bincount(event, minlength=n_events)


def first_per_event(event: np.ndarray, n_events: int) -> np.ndarray:
    """Position of the first object of each event (-1 where there is none).

    Parameters
    ----------
    event
        Event index per object, 1-d, non-decreasing.
    n_events
        Number of events.

    Returns
    -------
    numpy.ndarray
        int64 positions, shape (n_events,).

    Examples
    --------
    >>> first_per_event(np.array([0, 0, 2]), 3).tolist()
    [0, -1, 2]
    """
    pos = np.searchsorted(event, np.arange(n_events), side="left")
    present = count_per_event(event, n_events) > 0
    return np.where(present, pos, -1)


def first_by(group: np.ndarray, key: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the position of the object with the smallest ``key``.

    Parameters
    ----------
    group
        Group index of each object (an event, a jet), 1-d, any order.
    key
        Value to minimise, same length; ties go to the earlier position.
    n_groups
        Number of groups.

    Returns
    -------
    numpy.ndarray
        int64 position per group, -1 where the group has no object, shape
        (n_groups,).

    Examples
    --------
    >>> first_by(np.array([1, 1, 0]), np.array([3.0, 2.0, 5.0]), 3).tolist()
    [2, 1, -1]
    """
    if len(group) == 0:
        return np.full(n_groups, -1, dtype=np.int64)
    order = np.lexsort((key, group))
    first = first_per_event(group[order], n_groups)
    return np.where(first >= 0, order[np.maximum(first, 0)], -1)


def momenta_per_event(
    table: Particles, rows: np.ndarray, scale: np.ndarray
) -> ak.Array:
    """Four-momenta of some particles, scaled, grouped by event.

    Parameters
    ----------
    table
        Particle table of a batch.
    rows
        Increasing rows of the particles to keep, 1-d.
    scale
        Factor per row applied to all four components (the detector response),
        same length as ``rows``.

    Returns
    -------
    awkward.Array
        One list per event of the batch (empty where no row belongs to it) of
        records ``px, py, pz, E`` [GeV], the input FastJet expects.

    Examples
    --------
    >>> # parts = momenta_per_event(table, rows, np.ones(len(rows)))
    """
    counts = np.bincount(table.event[rows], minlength=len(table.offsets) - 1)
    return ak.unflatten(
        ak.zip(
            {
                "px": table.px[rows] * scale,
                "py": table.py[rows] * scale,
                "pz": table.pz[rows] * scale,
                "E": table.e[rows] * scale,
            }
        ),
        counts,
    )


def visible_momenta(table: Particles, rng: np.random.Generator) -> tuple:
    """Final-state particles through the detector model, grouped by event.

    Parameters
    ----------
    table
        Particle table of a batch.
    rng
        Random generator of the detector model.

    Returns
    -------
    parts : awkward.Array
        Smeared four-momenta of the visible particles per event
        (:func:`momenta_per_event`).
    rows : numpy.ndarray
        Rows of those particles.
    final, pt, tracked : numpy.ndarray
        Rows of all final-state particles, their smeared pT [GeV] and whether
        the tracker measures them (:func:`~lessons_code.data.detector.smear_particles`).

    Examples
    --------
    >>> # parts, rows, final, pt, tracked = visible_momenta(table, rng)
    """
    final = np.flatnonzero(table.status > 0)
    pt, visible, tracked = detector.smear_particles(
        table.pt[final], table.eta[final], table.pid[final], table.charge[final], rng
    )
    rows = final[visible]
    scale = pt[visible] / np.maximum(table.pt[rows], 1e-12)
    return momenta_per_event(table, rows, scale), rows, final, pt, tracked


def antikt_jets(
    parts: ak.Array, radius: float, min_pt_gev: float, fastjet: object
) -> tuple[np.ndarray, ...]:
    """Inclusive anti-kt jets (arXiv:0802.1189) of every event of a batch.

    Parameters
    ----------
    parts
        Four-momenta per event (:func:`momenta_per_event`).
    radius
        Jet radius R.
    min_pt_gev
        Smallest jet pT kept [GeV].
    fastjet
        The imported ``fastjet`` module.

    Returns
    -------
    event, px, py, pz, e : numpy.ndarray
        Event index and four-momentum [GeV] of every jet, float64, event by
        event in FastJet's order.

    Examples
    --------
    >>> # event, px, py, pz, e = antikt_jets(parts, 0.4, 20.0, fastjet)
    """
    sequence = fastjet.ClusterSequence(
        parts, fastjet.JetDefinition(fastjet.antikt_algorithm, radius)
    )
    jets = sequence.inclusive_jets(min_pt=min_pt_gev)
    event = np.repeat(np.arange(len(parts)), ak.to_numpy(ak.num(jets)))
    cols = [ak.to_numpy(ak.flatten(getattr(jets, c))) for c in ("px", "py", "pz", "E")]
    return (event, *(np.asarray(c, dtype=np.float64) for c in cols))


def has_ancestor(flag: np.ndarray, mother1: np.ndarray) -> np.ndarray:
    """Whether any ancestor along the first-mother chain has ``flag`` set.

    Uses pointer doubling: log2(depth) vectorised steps instead of a loop over
    particles.

    Parameters
    ----------
    flag
        Boolean per particle, 1-d.
    mother1
        Global row of each particle's first mother (a root points to itself or to
        the event's system row).

    Returns
    -------
    numpy.ndarray
        Boolean per particle.

    Examples
    --------
    >>> has_ancestor(np.array([True, False, False]), np.array([0, 0, 1])).tolist()
    [True, True, True]
    """
    found = flag[mother1].copy()
    up = mother1.copy()
    for _ in range(64):
        nxt = up[up]
        found |= found[up]
        if np.array_equal(nxt, up):
            break
        up = nxt
    return found


def hadron_flavour(pid: np.ndarray) -> np.ndarray:
    """Heaviest quark flavour of a hadron, 5 (b), 4 (c) or 0; quarkonia give 0.

    Parameters
    ----------
    pid
        PDG codes, 1-d.

    Returns
    -------
    numpy.ndarray
        int8 per particle.

    Examples
    --------
    >>> hadron_flavour(np.array([511, -421, 5122, 443, 5, 211])).tolist()
    [5, 4, 5, 0, 0, 0]
    """
    a = np.abs(pid)
    q1, q2, q3 = (a // 1000) % 10, (a // 100) % 10, (a // 10) % 10
    meson = (a > 100) & (a < 1000)
    baryon = (a > 1000) & (a < 10_000) & (q3 > 0)
    out = np.zeros(len(a), dtype=np.int8)
    for flavour in (4, 5):
        is_meson = meson & (q2 == flavour) & (q3 != flavour)
        is_baryon = baryon & (q1 == flavour)
        out[is_meson | is_baryon] = flavour
    return out


BatchFunction = Callable[[ak.Array, np.random.Generator], tuple[dict, np.ndarray]]


def _take(arrays: dict, index: np.ndarray) -> dict:
    return {k: v[index] for k, v in arrays.items()}


def generate_entries(
    pythia: object,
    n_keep: int,
    seed: int,
    process_batch: BatchFunction,
    first_batch: int = 100,
) -> ChunkResult:
    """Generate batches until ``n_keep`` entries are kept.

    Parameters
    ----------
    pythia
        Initialised generator.
    n_keep
        Entries wanted.
    seed
        Seed of the numpy generator used by the detector model.
    process_batch
        ``f(batch, rng) -> (arrays, event_index)``: the entries made from one
        batch (dict of arrays, same length) and the index of the event each
        comes from (non-decreasing).
    first_batch
        Size of the first batch; later batches are sized from the observed
        entries per event.

    Returns
    -------
    ChunkResult
        Exactly ``n_keep`` entries with the generator bookkeeping.

    Examples
    --------
    >>> # generate_entries(pythia, 100, 7, my_batch_function)
    """
    start = time.process_time()
    rng = np.random.default_rng(seed)
    parts, weights_kept = [], []
    n_kept = n_generated = 0
    sum_weights = t_pythia = 0.0
    batch_size = first_batch
    while n_kept < n_keep:
        t0 = time.process_time()
        batch = pythia.nextBatch(batch_size)
        t_pythia += time.process_time() - t0
        event_w = ak.to_numpy(batch.info.weights[:, 0]).astype(np.float64)
        arrays, event_index = process_batch(batch, rng)
        need = n_keep - n_kept
        n_events = len(event_w)
        if len(event_index) > need:
            event_index = event_index[:need]
            arrays = _take(arrays, np.arange(need))
            n_events = int(event_index[-1]) + 1
        parts.append(arrays)
        weights_kept.append(event_w[event_index])
        n_kept += len(event_index)
        n_generated += n_events
        sum_weights += float(event_w[:n_events].sum())
        rate = max(n_kept, 1) / n_generated
        batch_size = int(np.clip(1.2 * (n_keep - n_kept) / rate + 5, 5, MAX_BATCH))
    merged = {}
    for key in parts[0]:
        pieces = [p[key] for p in parts]
        merged[key] = (
            ak.concatenate(pieces)
            if isinstance(pieces[0], ak.Array)
            else np.concatenate(pieces)
        )
    info = pythia.infoPython()
    return ChunkResult(
        arrays=merged,
        n_generated=n_generated,
        sum_weights=sum_weights,
        entry_weights=np.concatenate(weights_kept),
        sigma_pb=float(info.sigmaGen()) * 1e9,
        sigma_err_pb=float(info.sigmaErr()) * 1e9,
        time_pythia_s=t_pythia,
        time_total_s=time.process_time() - start,
    )
