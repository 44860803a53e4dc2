"""Generate a sample in independent, seeded chunks, locally or on a Dask cluster.

A request for ``n_events`` entries of a sample is split across its processes
(by their ``share``) and then into chunks of at most ``Sample.chunk_size`` entries.
Each chunk gets its own Pythia seed derived from the base seed, the process index
and the chunk index with :class:`numpy.random.SeedSequence`, so the result depends
only on the base seed and the number of entries, never on the number of workers or
on the order in which chunks finish. Chunks run on a local process pool
(``workers``) or, given a scheduler address, as tasks of a ``dask.distributed``
cluster.
"""

from __future__ import annotations

import logging
import math
import os
import platform
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

import awkward as ak
import numpy as np

from lessons_code.data import storage
from lessons_code.data.pythia_setup import (
    MAX_SEED,
    all_settings,
    generator_versions,
    require_generator,
)
from lessons_code.data.samples import ChunkResult, Sample, get_sample
from lessons_code.progress import progress_bar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChunkTask:
    """One unit of work: ``n_keep`` entries of one process with one seed."""

    sample: str
    process_index: int
    chunk_index: int
    n_keep: int
    seed: int


@dataclass
class Generated:
    """A generated sample in memory.

    Attributes
    ----------
    arrays
        One record per entry (shuffled with the base seed).
    processes
        Per process: entries kept, events generated, cross section, timings.
    seed
        Base seed.
    chunk_seeds
        Pythia seed of every chunk, per process name.
    wall_s
        Wall time of the whole generation [s].
    machine
        Where it ran, see :func:`machine_description`.
    """

    arrays: ak.Array
    processes: dict[str, dict]
    seed: int
    chunk_seeds: dict[str, list[int]]
    wall_s: float
    machine: dict[str, object]


def machine_description(workers: int, scheduler: str | None) -> dict[str, object]:
    """Describe the machine a generation runs on, for the manifest.

    The rates in the manifest are CPU time per core, so they do not depend on
    the number of workers, but they do depend on the processor and, through
    shared caches, on other load: the load average is recorded with them.

    Parameters
    ----------
    workers
        Local worker processes.
    scheduler
        Dask scheduler address, or None for the local pool.

    Returns
    -------
    dict
        ``cpu`` (model name), ``cores`` (logical CPUs), ``platform``,
        ``workers`` (or the scheduler address) and ``load_average_1min``
        (one-minute load average of the machine when the generation ends).

    Examples
    --------
    >>> machine_description(2, None)["workers"]
    2
    """
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "workers": scheduler if scheduler is not None else workers,
        "load_average_1min": round(load, 2),
    }


def chunk_seed(seed: int, process_index: int, chunk_index: int) -> int:
    """Pythia seed of one chunk, derived from the base seed.

    Parameters
    ----------
    seed
        Base seed of the generation (non-negative).
    process_index, chunk_index
        Position of the chunk.

    Returns
    -------
    int
        Seed in [1, 900000000].

    Examples
    --------
    >>> chunk_seed(1, 0, 0) == chunk_seed(1, 0, 0) != chunk_seed(1, 0, 1)
    True
    """
    state = np.random.SeedSequence([seed, process_index, chunk_index]).generate_state(1)
    return int(state[0]) % MAX_SEED + 1


def plan_chunks(sample: Sample, n_events: int, seed: int) -> list[ChunkTask]:
    """Split a request into chunks.

    Parameters
    ----------
    sample
        Sample declaration.
    n_events
        Entries requested in total (jets or selected events).
    seed
        Base seed.

    Returns
    -------
    list of ChunkTask
        Every chunk, process by process.

    Raises
    ------
    ValueError
        If ``n_events`` is not positive.

    Examples
    --------
    >>> from lessons_code.data.samples import get_sample
    >>> len(plan_chunks(get_sample("boosted_jets"), 10, 1)) >= 1
    True
    """
    if n_events <= 0:
        msg = f"n_events must be positive, got {n_events}."
        raise ValueError(msg)
    total_share = sum(p.share for p in sample.processes)
    tasks = []
    for ip, process in enumerate(sample.processes):
        n_keep = max(1, round(n_events * process.share / total_share))
        n_chunks = math.ceil(n_keep / sample.chunk_size)
        sizes = [n_keep // n_chunks + (i < n_keep % n_chunks) for i in range(n_chunks)]
        for ic, size in enumerate(sizes):
            tasks.append(ChunkTask(sample.name, ip, ic, size, chunk_seed(seed, ip, ic)))
    return tasks


def run_chunk(task: ChunkTask) -> tuple[ChunkTask, ChunkResult]:
    """Run one chunk (in a worker process or on a Dask worker).

    Parameters
    ----------
    task
        The chunk.

    Returns
    -------
    task, result
        The task echoed back, and the chunk function's result.

    Examples
    --------
    >>> # run_chunk(ChunkTask("boosted_jets", 0, 0, 10, 1))
    """
    sample = get_sample(task.sample)
    process = sample.processes[task.process_index]
    result = sample.chunk(process, task.n_keep, task.seed)
    return task, result


def _run_tasks(
    tasks: list[ChunkTask], workers: int, scheduler: str | None, progress: bool
) -> Iterator[tuple[ChunkTask, ChunkResult]]:
    total = sum(t.n_keep for t in tasks)
    bar = progress_bar(
        total=total, unit="entry", enabled=progress, desc=tasks[0].sample
    )
    try:
        if scheduler is not None:
            from distributed import Client
            from distributed import as_completed as dask_completed

            with Client(scheduler) as client:
                futures = client.map(run_chunk, tasks, pure=False)
                for future in dask_completed(futures):
                    task, result = future.result()
                    bar.update(task.n_keep)
                    yield task, result
        elif workers <= 1:
            for task in tasks:
                yield run_chunk(task)
                bar.update(task.n_keep)
        else:
            context = get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                futures = [pool.submit(run_chunk, task) for task in tasks]
                for future in as_completed(futures):
                    task, result = future.result()
                    bar.update(task.n_keep)
                    yield task, result
    finally:
        bar.close()


def _merge_process(
    sample: Sample, ip: int, parts: list[ChunkResult]
) -> tuple[dict, dict]:
    process = sample.processes[ip]
    n_generated = sum(r.n_generated for r in parts)
    sum_weights = sum(r.sum_weights for r in parts)
    sigma = sum(r.sigma_pb * r.n_generated for r in parts) / max(n_generated, 1)
    sigma_err = math.sqrt(sum((r.sigma_err_pb * r.n_generated) ** 2 for r in parts))
    sigma_err /= max(n_generated, 1)
    arrays: dict[str, object] = {}
    keys = parts[0].arrays.keys()
    for key in keys:
        pieces = [r.arrays[key] for r in parts]
        if isinstance(pieces[0], ak.Array):
            arrays[key] = ak.concatenate(pieces)
        else:
            arrays[key] = np.concatenate(pieces)
    entry_w = np.concatenate([r.entry_weights for r in parts])
    scale = sigma * process.branching_fraction / max(sum_weights, 1e-300)
    arrays["weight_pb"] = (entry_w * scale).astype(np.float32)
    arrays["process"] = np.full(len(entry_w), ip, dtype=np.int8)
    t_pythia = sum(r.time_pythia_s for r in parts)
    t_total = sum(r.time_total_s for r in parts)
    stats = {
        "entries": len(entry_w),
        "events_generated": n_generated,
        "sum_weights": sum_weights,
        "sigma_pb": sigma,
        "sigma_err_pb": sigma_err,
        "branching_fraction": process.branching_fraction,
        "cpu_time_s": round(t_total, 2),  # process CPU time of the chunks
        "pythia_time_s": round(t_pythia, 2),
        "events_per_s_per_core": round(n_generated / max(t_total, 1e-9), 2),
        "outside_pythia_fraction": round(1.0 - t_pythia / max(t_total, 1e-9), 4),
        "settings": all_settings(process.settings),
        "description": process.description,
    }
    return arrays, stats


def generate_sample(
    name: str,
    n_events: int,
    seed: int,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
) -> Generated:
    """Generate a sample in memory with its bookkeeping.

    Parameters
    ----------
    name
        Dataset name.
    n_events
        Entries requested (jets or selected events), split over the processes.
    seed
        Base seed (non-negative integer).
    workers
        Local worker processes (ignored when ``scheduler`` is given).
    scheduler
        Address of a ``dask.distributed`` scheduler, e.g. ``"tcp://host:8786"``.
    progress
        Show a progress bar on stderr.

    Returns
    -------
    Generated
        Arrays and per-process statistics.

    Raises
    ------
    ImportError
        If the generator packages are missing (message says how to install).
    KeyError
        If the dataset name is unknown.

    Examples
    --------
    >>> # generated = generate_sample("boosted_jets", 30, seed=1)
    """
    require_generator()
    sample = get_sample(name)
    tasks = plan_chunks(sample, n_events, seed)
    start = time.perf_counter()
    results: dict[tuple[int, int], ChunkResult] = {}
    for task, result in _run_tasks(tasks, workers, scheduler, progress):
        results[(task.process_index, task.chunk_index)] = result
    merged, stats, seeds = [], {}, {}
    for ip, process in enumerate(sample.processes):
        mine = [t for t in tasks if t.process_index == ip]
        parts = [results[(ip, t.chunk_index)] for t in mine]
        arrays, stats[process.name] = _merge_process(sample, ip, parts)
        seeds[process.name] = [t.seed for t in mine]
        merged.append(ak.zip(arrays, depth_limit=1))
    everything = ak.concatenate(merged)
    order = np.random.default_rng(seed).permutation(len(everything))
    return Generated(
        arrays=everything[order],
        processes=stats,
        seed=seed,
        chunk_seeds=seeds,
        wall_s=time.perf_counter() - start,
        machine=machine_description(workers, scheduler),
    )


def run_sample(
    name: str,
    n_events: int,
    seed: int,
    workers: int = 1,
    scheduler: str | None = None,
) -> ak.Array:
    """Generate fresh entries of a sample in memory.

    Parameters
    ----------
    name
        Dataset name (see :func:`lessons_code.data.available`).
    n_events
        Entries requested (jets or selected events).
    seed
        Base seed: the same seed gives identical arrays.
    workers
        Local worker processes.
    scheduler
        Optional ``dask.distributed`` scheduler address.

    Returns
    -------
    awkward.Array
        One record per entry, the same fields as :func:`lessons_code.data.load`.

    Examples
    --------
    >>> # jets = run_sample("boosted_jets", 30, seed=7)
    """
    return generate_sample(name, n_events, seed, workers, scheduler).arrays


def _manifest_entry(sample: Sample, generated: Generated, path: Path, url: str) -> dict:
    arrays = generated.arrays
    return {
        "file": path.name,
        "sha256": storage.file_sha256(path),
        "size_bytes": path.stat().st_size,
        "url": url,
        "entries": len(arrays),
        "entry": sample.entry,
        "tree": storage.tree_name(sample),
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generator": generator_versions(),
        "seed": generated.seed,
        "chunk_seeds": generated.chunk_seeds,
        "wall_time_s": round(generated.wall_s, 1),
        "machine": generated.machine,
        "processes": generated.processes,
        "fields": [
            {
                "name": f.name,
                "group": f.group,
                "unit": f.unit,
                "stored": f.precision,
                "description": f.description,
            }
            for f in sample.all_fields()
        ],
    }


def write_sample(
    name: str,
    n_events: int,
    seed: int,
    out_dir: Path,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
) -> tuple[Path, dict]:
    """Generate a sample and write ``<out_dir>/<name>.root`` and the manifest.

    Parameters
    ----------
    name, n_events, seed, workers, scheduler, progress
        As for :func:`generate_sample`.
    out_dir
        Output folder; ``manifest.json`` there is merged, not overwritten.

    Returns
    -------
    path, entry
        The ROOT file and its manifest entry.

    Examples
    --------
    >>> # write_sample("boosted_jets", 60_000, 1, Path("data/dev"), workers=2)
    """
    from lessons_code.data.loading import dataset_url

    sample = get_sample(name)
    generated = generate_sample(name, n_events, seed, workers, scheduler, progress)
    path = Path(out_dir) / f"{name}.root"
    storage.write_root(path, sample, generated.arrays)
    entry = _manifest_entry(sample, generated, path, dataset_url(name))
    storage.update_manifest(Path(out_dir), name, entry)
    return path, entry
