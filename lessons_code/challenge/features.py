"""The feature table of the challenge: ``tth`` events flattened into CSV columns.

One row is one selected tt-bar H event (``process == 1`` of the ``tth`` sample).
Columns, in order (units in brackets; angles in rad):

``event_id``
    Integer identifier of the event, unique within a challenge.
``lep_pt`` [GeV], ``lep_eta``, ``lep_phi``, ``lep_charge`` [e], ``lep_flavour``
    The selected lepton (flavour 11 electron, 13 muon).
``met`` [GeV], ``met_phi``
    Missing transverse momentum and its azimuth.
``ht`` [GeV], ``n_jets``, ``n_btags``
    Scalar pT sum of the selected jets, their number, the b-tagged ones.
``m_bb_min_dr`` [GeV], ``dr_bb_min``, ``dr_bb_mean``, ``m_bb_max_pt`` [GeV], ...
    High-level variables of the b-tagged jets, and ``m_lep_b_min`` [GeV] (see
    :mod:`lessons_code.data.samples.tth`).
``jet{i}_pt`` [GeV], ``jet{i}_eta``, ``jet{i}_phi``, ``jet{i}_mass`` [GeV], ...
    ``jet{i}_btag`` (score in [0, 1]) and ``jet{i}_is_btagged`` for i = 1 ... 10:
    the jets in decreasing pT. An event has at least 4; the columns of absent jets
    are 0, with ``jet{i}_btag = -1`` so that they cannot be mistaken for real jets.

The targets, in the training table and in the private truth only:
``higgs_pt`` [GeV] and ``higgs_y``, the generator-level Higgs boson transverse
momentum and rapidity. Jet truth labels and ``m_higgs_jets`` are not given: they
are built from the answer.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # awkward is imported where it is used: validating needs no awkward
    import awkward as ak

log = logging.getLogger(__name__)

#: Event-level columns copied from the sample.
EVENT_COLUMNS = (
    "lep_pt", "lep_eta", "lep_phi", "lep_charge", "lep_flavour", "met", "met_phi",
    "ht", "n_jets", "n_btags", "m_bb_min_dr", "dr_bb_min", "dr_bb_mean",
    "m_bb_max_pt", "m_lep_b_min",
)  # fmt: skip
#: Per-jet quantities, one column each per jet slot.
JET_QUANTITIES = ("pt", "eta", "phi", "mass", "btag", "is_btagged")
#: Jet slots in the table (the sample stores up to 10 jets).
N_JETS = 10
#: Value of ``jet{i}_btag`` for an absent jet (all other columns are 0).
ABSENT_BTAG = -1.0
#: The regression targets: Higgs pT [GeV] and rapidity.
TARGETS = ("higgs_pt", "higgs_y")
#: Identifier column of every file.
ID = "event_id"
#: Process index of tt-bar H in the ``tth`` sample.
TTH_PROCESS = 1
#: Significant digits written for the floating-point columns.
DIGITS = 6


def jet_columns(n_jets: int = N_JETS) -> list[str]:
    """Names of the jet columns, jet by jet.

    Examples
    --------
    >>> jet_columns(1)
    ['jet1_pt', 'jet1_eta', 'jet1_phi', 'jet1_mass', 'jet1_btag', 'jet1_is_btagged']
    """
    return [f"jet{i}_{q}" for i in range(1, n_jets + 1) for q in JET_QUANTITIES]


#: Every feature column (without ``event_id``), in file order.
FEATURE_COLUMNS = (*EVENT_COLUMNS, *jet_columns())


def flatten(events: ak.Array) -> dict[str, np.ndarray]:
    """Flatten ``tth`` events into the feature table (targets included).

    Parameters
    ----------
    events
        Records of the ``tth`` sample (as returned by
        :func:`lessons_code.data.load`), shape (n_events,). All processes are
        accepted; select tt-bar H first with :func:`tth_only` for the challenge.

    Returns
    -------
    dict of str to numpy.ndarray
        :data:`FEATURE_COLUMNS` and :data:`TARGETS`, each of shape (n_events,),
        float64; no ``event_id``.

    Raises
    ------
    KeyError
        If a field of the ``tth`` schema is missing (the message names it).

    Examples
    --------
    >>> # table = flatten(tth_only(load("tth", "train")))
    """
    import awkward as ak

    missing = [f for f in (*EVENT_COLUMNS, *TARGETS, "jets") if f not in events.fields]
    if missing:
        msg = f"The events lack the tth fields {missing}; load the 'tth' sample."
        raise KeyError(msg)
    table = {c: ak.to_numpy(events[c]).astype(np.float64) for c in EVENT_COLUMNS}
    jets = events["jets"]
    for q in JET_QUANTITIES:
        fill = ABSENT_BTAG if q == "btag" else 0.0
        padded = ak.fill_none(ak.pad_none(jets[q], N_JETS, clip=True), fill)
        values = ak.to_numpy(padded).astype(np.float64)
        for i in range(N_JETS):
            table[f"jet{i + 1}_{q}"] = values[:, i]
    table = {c: table[c] for c in FEATURE_COLUMNS}
    for t in TARGETS:
        table[t] = ak.to_numpy(events[t]).astype(np.float64)
    return table


def tth_only(events: ak.Array) -> ak.Array:
    """Keep the tt-bar H events (``process == 1``) of the ``tth`` sample.

    Examples
    --------
    >>> # signal = tth_only(load("tth", "train"))
    """
    return events[events["process"] == TTH_PROCESS]


def _format(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{DIGITS}g}"


def write_table(
    path: Path, ids: np.ndarray, table: dict[str, np.ndarray], columns: Sequence[str]
) -> None:
    """Write ``event_id`` and ``columns`` of a table as CSV (comma, LF, UTF-8).

    Parameters
    ----------
    path
        Output file; its folder is created.
    ids
        Event identifiers, shape (n,), integers.
    table
        Column name to values of shape (n,).
    columns
        Columns to write after ``event_id``, in order.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([ID, *columns])
        values = [table[c] for c in columns]
        for k, event_id in enumerate(ids):
            writer.writerow([int(event_id), *(_format(v[k]) for v in values)])
    log.info("wrote %d rows to %s", len(ids), path)


def read_table(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Read a table written by :func:`write_table` (a file of the kit, not a
    participant's submission: use :mod:`lessons_code.challenge.validate` for those).

    Parameters
    ----------
    path
        CSV file with an ``event_id`` column and numeric columns.

    Returns
    -------
    ids, table
        Event identifiers (int64, shape (n,)) and column name to float64 values.

    Raises
    ------
    ValueError
        If the file has no ``event_id`` column or a row of the wrong length.
    """
    with Path(path).open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows or ID not in rows[0]:
        msg = f"{path} has no {ID!r} column: is it a file written by the kit?"
        raise ValueError(msg)
    header = rows[0]
    bad = [i + 2 for i, r in enumerate(rows[1:]) if len(r) != len(header)]
    if bad:
        msg = f"{path}: rows of the wrong length on lines {bad[:10]}."
        raise ValueError(msg)
    body = rows[1:]
    columns = {
        name: np.array([r[j] for r in body], dtype=np.float64)
        for j, name in enumerate(header)
        if name != ID
    }
    ids = np.array([int(r[header.index(ID)]) for r in body], dtype=np.int64)
    return ids, columns


def practice_dir() -> Path:
    """Folder of the practice challenge shipped with the repository.

    Returns
    -------
    pathlib.Path
        ``challenge/practice`` of the repository (holds ``public/`` and
        ``private/``, made with ``make --seed practice-2026 --train-from
        generate --n-train 1500 --n-eval 500``).
    """
    from lessons_code.data.loading import REPO_ROOT

    return Path(REPO_ROOT) / "challenge" / "practice"


def column_descriptions() -> list[tuple[str, str, str]]:
    """Name, unit and description of every column of the challenge files.

    Taken from the field declarations of the ``tth`` sample, so that the files
    and the dataset are described by the same words.

    Returns
    -------
    list of (name, unit, description)
        ``event_id``, :data:`FEATURE_COLUMNS` (jets as ``jet{i}_...``) and
        :data:`TARGETS`; the unit is ``""`` for dimensionless columns.

    Examples
    --------
    >>> column_descriptions()[1][:2]
    ('lep_pt', 'GeV')
    """
    from lessons_code.data.samples import get_sample

    fields = get_sample("tth").fields
    scalar = {f.name: f for f in fields if f.group is None}
    jet = {f.name: f for f in fields if f.group == "jets"}
    rows = [(ID, "", "Identifier of the event in this challenge.")]
    rows += [(c, scalar[c].unit, scalar[c].description) for c in EVENT_COLUMNS]
    rows += [
        (f"jet{{i}}_{q}", jet[q].unit, f"{jet[q].description} Jets i = 1..{N_JETS}.")
        for q in JET_QUANTITIES
    ]
    rows += [
        ("higgs_pt", "GeV", "Target (train.csv only): transverse momentum of the "
         "generated Higgs boson."),
        ("higgs_y", "", "Target (train.csv only): rapidity of the generated Higgs "
         "boson."),
    ]  # fmt: skip
    return rows


def readme(n_train: int, n_eval: int) -> str:
    """Text of the ``README.md`` of a challenge's public folder.

    Parameters
    ----------
    n_train, n_eval
        Events in ``train.csv`` and ``eval_features.csv``.

    Returns
    -------
    str
        Markdown: the files, the columns with units, the submission format.
    """
    lines = [
        "# Data challenge: the Higgs boson pT and rapidity in ttH events",
        "",
        f"- `train.csv`: {n_train} events with features and the two targets.",
        f"- `eval_features.csv`: {n_eval} events, features only.",
        "- `sample_submission.csv`: a valid submission (the training means).",
        "",
        "Submit one CSV, UTF-8, at most 10 MB, with the header",
        "`event_id,higgs_pt,higgs_y` and one row per event of `eval_features.csv`.",
        "Check it with `python -m lessons_code.challenge validate FILE --features "
        "eval_features.csv`.",
        "",
        "Jets are ordered by decreasing pT; the columns of absent jets are 0, with",
        f"`jet{{i}}_btag = {ABSENT_BTAG:g}`. Angles are in rad.",
        "",
        "| column | unit | description |",
        "|---|---|---|",
    ]
    rows = column_descriptions()
    lines += [f"| `{n}` | {u} | {d.replace('|', chr(92) + '|')} |" for n, u, d in rows]
    return "\n".join(lines) + "\n"
