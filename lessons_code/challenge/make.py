"""``make``: the training set, the blind evaluation set and the private truth.

The evaluation events are generated afresh (Pythia 8 and the course's detector
model, tt-bar H only, :mod:`lessons_code.data.samples.tth`) with chunk seeds
derived from the instructor's secret, so they are in no file of the repository
and nobody can reproduce them without the secret. The seeds of the shipped
``tth`` file (listed in ``data/manifest.json``) are avoided. The training set is
sampled from the ``train`` split of the shipped ``tth`` file (tt-bar H events), or
generated with the evaluation set when the shipped file is absent or for a
self-contained practice set (``train_from="generate"``).

Layout written under ``out``::

    public/train.csv              event_id, features, higgs_pt, higgs_y
    public/eval_features.csv      event_id, features
    public/sample_submission.csv  a valid submission (the training means)
    public/README.md              the files, the columns and their units
    private/truth.csv             event_id, higgs_pt, higgs_y, subset
    private/make.json             sizes, seeds, timings, generator versions

Time: the generation dominates. The practice set (2000 events, one process) took
415 s of wall time and about 95 s of CPU time on a machine shared by many jobs; a
free core makes 20 to 40 selected tt-bar H events per second, plus a few seconds
of Pythia initialisation per chunk. 5000 evaluation events take under 5 minutes
on one free core and about a minute with ``workers=4``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import awkward as ak
import numpy as np

from lessons_code.challenge.features import (
    FEATURE_COLUMNS,
    TARGETS,
    TTH_PROCESS,
    flatten,
    readme,
    tth_only,
    write_table,
)
from lessons_code.challenge.scoring import SUBSETS, Truth, write_truth
from lessons_code.data import load, storage
from lessons_code.data.generate import ChunkTask, chunk_seed, run_chunk
from lessons_code.data.loading import DATA_DIR
from lessons_code.data.pythia_setup import generator_versions, require_generator
from lessons_code.data.samples import get_sample
from lessons_code.progress import progress_bar

log = logging.getLogger(__name__)

#: Sample the challenge is built from.
SAMPLE = "tth"
#: Range of the event ids [first, last).
ID_RANGE = (100_000, 1_000_000)
#: Default share of the evaluation set on the public leaderboard.
PUBLIC_FRACTION = 0.3


def secret_seed(secret: str, purpose: str) -> int:
    """Integer seed in [0, 2**31) derived from the secret for one purpose.

    Examples
    --------
    >>> secret_seed("abc", "eval") == secret_seed("abc", "eval") != secret_seed(
    ...     "abc", "ids")
    True
    """
    digest = hashlib.sha256(f"challenge:{purpose}:{secret}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def _shipped_seeds(data_dir: Path) -> set[int]:
    try:
        entry = storage.read_manifest(data_dir).get(SAMPLE, {})
    except (OSError, ValueError):
        return set()
    return {int(s) for seeds in entry.get("chunk_seeds", {}).values() for s in seeds}


def plan(n_events: int, base_seed: int, avoid: set[int]) -> list[ChunkTask]:
    """Chunks of a tt-bar H generation, none with a seed in ``avoid``.

    Parameters
    ----------
    n_events
        Selected events wanted in total (at least 2).
    base_seed
        Seed the chunk seeds derive from.
    avoid
        Chunk seeds already used (by the shipped file).

    Returns
    -------
    list of ChunkTask
        Chunks of at most ``Sample.chunk_size`` events.
    """
    size = get_sample(SAMPLE).chunk_size
    n_chunks = -(-n_events // size)
    sizes = [n_events // n_chunks + (i < n_events % n_chunks) for i in range(n_chunks)]
    tasks, index = [], 0
    for n_keep in sizes:
        while (seed := chunk_seed(base_seed, TTH_PROCESS, index)) in avoid:
            index += 1
        tasks.append(ChunkTask(SAMPLE, TTH_PROCESS, index, n_keep, seed))
        index += 1
    return tasks


def generate_tth(tasks: list[ChunkTask], workers: int = 1) -> ak.Array:
    """Run the chunks (in order, or on a process pool) and join their events.

    Returns
    -------
    awkward.Array
        The events in chunk order, with ``process`` set to 1; the order does not
        depend on ``workers``.
    """
    require_generator()
    total = sum(t.n_keep for t in tasks)
    bar = progress_bar(
        total=total, unit="event", desc="tt-bar H", mininterval=2.0, leave=False
    )
    results = {}
    if workers <= 1:
        for task in tasks:
            results[task.chunk_index] = run_chunk(task)[1]
            bar.update(task.n_keep)
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for task, result in pool.map(run_chunk, tasks):
                results[task.chunk_index] = result
                bar.update(task.n_keep)
    bar.close()
    parts = []
    for task in tasks:
        arrays = dict(results[task.chunk_index].arrays)
        arrays["process"] = np.full(task.n_keep, TTH_PROCESS, dtype=np.int8)
        parts.append(ak.zip(arrays, depth_limit=1))
    return ak.concatenate(parts)


def _take(table: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[rows] for k, v in table.items()}


def make_challenge(
    secret: str,
    out: Path,
    n_train: int | None = None,
    n_eval: int = 5_000,
    public_fraction: float = PUBLIC_FRACTION,
    train_from: str = "shipped",
    workers: int = 1,
    data_dir: Path | None = None,
) -> dict[str, object]:
    """Make a challenge: public training and evaluation files, private truth.

    Parameters
    ----------
    secret
        The instructor's secret (any string); everything random derives from it.
        Keep it private: it is not written anywhere.
    out
        Output folder (``public/`` and ``private/`` are created inside).
    n_train
        Training events; None for every tt-bar H event of the shipped ``train``
        split.
    n_eval
        Evaluation events (at least 4), all generated.
    public_fraction
        Share of the evaluation events on the public leaderboard, in (0, 1).
    train_from
        ``"shipped"`` (sample the shipped file) or ``"generate"``.
    workers
        Local processes for the generation.
    data_dir
        Folder of the shipped files (default: the repository's ``data/``).

    Returns
    -------
    dict
        The summary also written to ``private/make.json``.

    Raises
    ------
    ValueError
        For sizes or a fraction out of range, or an unknown ``train_from``.
    ImportError
        If the generator (pythia8mc, fastjet) is not installed.
    FileNotFoundError
        If ``train_from="shipped"`` and the shipped ``tth`` file is absent.

    Examples
    --------
    >>> # make_challenge("my secret", Path("challenge/2026"), workers=4)
    """
    if n_eval < 4 or (n_train is not None and n_train < 2):
        msg = f"Need n_eval >= 4 and n_train >= 2, got {n_eval} and {n_train}."
        raise ValueError(msg)
    if not 0 < public_fraction < 1:
        msg = f"public_fraction must be in (0, 1), got {public_fraction}."
        raise ValueError(msg)
    if train_from not in ("shipped", "generate"):
        msg = f"train_from must be 'shipped' or 'generate', got {train_from!r}."
        raise ValueError(msg)
    if train_from == "generate" and n_train is None:
        msg = "Give n_train when the training set is generated."
        raise ValueError(msg)
    start = time.perf_counter()
    shipped: dict[str, np.ndarray] = {}
    data_dir = DATA_DIR if data_dir is None else Path(data_dir)
    if train_from == "shipped":  # first, so that a missing file fails at once
        events = load(SAMPLE, "train", fast=False, data_dir=data_dir, download=False)
        shipped = flatten(tth_only(events))
    n_generate = n_eval + (n_train if train_from == "generate" else 0)
    tasks = plan(n_generate, secret_seed(secret, "eval"), _shipped_seeds(data_dir))
    generated = flatten(generate_tth(tasks, workers))
    t_generate = time.perf_counter() - start
    rng = np.random.default_rng(secret_seed(secret, "split"))
    order = rng.permutation(n_generate)
    evaluation = _take(generated, order[:n_eval])
    if train_from == "generate":
        train = _take(generated, order[n_eval:])
    else:
        n_shipped = len(shipped[TARGETS[0]])
        n_take = n_shipped if n_train is None else min(n_train, n_shipped)
        if n_take < (n_train or 0):
            log.warning("only %d training events in the shipped file", n_shipped)
        train = _take(shipped, np.sort(rng.choice(n_shipped, n_take, replace=False)))
    n_train_final = len(train[TARGETS[0]])
    ids = rng.choice(np.arange(*ID_RANGE), n_train_final + n_eval, replace=False)
    train_ids, eval_ids = ids[:n_train_final], ids[n_train_final:]
    n_public = max(1, min(n_eval - 2, round(public_fraction * n_eval)))
    subset = np.full(n_eval, SUBSETS[1], dtype=object)
    subset[rng.permutation(n_eval)[:n_public]] = SUBSETS[0]
    out = Path(out)
    public, private = out / "public", out / "private"
    write_table(public / "train.csv", train_ids, train, (*FEATURE_COLUMNS, *TARGETS))
    write_table(public / "eval_features.csv", eval_ids, evaluation, FEATURE_COLUMNS)
    means = {t: np.full(n_eval, train[t].mean()) for t in TARGETS}
    write_table(public / "sample_submission.csv", eval_ids, means, TARGETS)
    (public / "README.md").write_text(readme(n_train_final, n_eval), encoding="utf-8")
    targets = np.stack([evaluation[t] for t in TARGETS], axis=1)
    write_truth(private / "truth.csv", Truth(eval_ids, targets, subset.astype(str)))
    summary: dict[str, object] = {
        "sample": SAMPLE,
        "secret_sha256": hashlib.sha256(secret.encode()).hexdigest(),
        "train_from": train_from,
        "n_train": n_train_final,
        "n_eval": n_eval,
        "n_public": n_public,
        "generated_events": n_generate,
        "chunk_seeds": [t.seed for t in tasks],
        "generation_time_s": round(t_generate, 1),
        "total_time_s": round(time.perf_counter() - start, 1),
        "workers": workers,
        "generator": generator_versions(),
    }
    (private / "make.json").write_text(json.dumps(summary, indent=2) + "\n")
    log.info("challenge written to %s in %.0f s", out, summary["total_time_s"])
    return summary
