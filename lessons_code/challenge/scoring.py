"""The challenge score and the leaderboards.

Score (lower is better): the mean over the two targets of the root-mean-square
error divided by that target's standard deviation in the scored part of the
evaluation truth,

.. math:: S = \\frac{1}{2} \\left( \\frac{\\mathrm{RMSE}(p_T^H)}{\\sigma(p_T^H)}
          + \\frac{\\mathrm{RMSE}(y^H)}{\\sigma(y^H)} \\right).

A perfect submission scores 0; predicting a constant equal to the truth mean
scores 1 exactly (the standard deviation is the population one, ``ddof=0``).
The public and private parts are scored separately, each with its own standard
deviations.
"""

from __future__ import annotations

import csv
import html
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from lessons_code.challenge.features import ID, TARGETS
from lessons_code.challenge.validate import MAX_BYTES, validate_submission

log = logging.getLogger(__name__)

#: Names of the two parts of the evaluation set.
SUBSETS = ("public", "private")
#: Leaderboard columns.
BOARD_COLUMNS = ("rank", "team", "score", "rmse_higgs_pt_gev", "rmse_higgs_y",
                 "submitted_utc", "status")  # fmt: skip


@dataclass(frozen=True)
class Truth:
    """The private truth of a challenge.

    Attributes
    ----------
    ids
        Event ids, shape (n,).
    targets
        Shape (n, 2): higgs_pt [GeV], higgs_y.
    subset
        Shape (n,), ``"public"`` or ``"private"``.
    """

    ids: np.ndarray
    targets: np.ndarray
    subset: np.ndarray


@dataclass(frozen=True)
class Score:
    """Score of one submission on one part of the evaluation set.

    Attributes
    ----------
    score
        Mean normalised RMSE (dimensionless).
    rmse
        RMSE per target: higgs_pt [GeV], higgs_y.
    """

    score: float
    rmse: tuple[float, float]


def score_arrays(truth: np.ndarray, predicted: np.ndarray) -> Score:
    """Score predictions against the truth.

    Parameters
    ----------
    truth, predicted
        Shape (n, 2): higgs_pt [GeV], higgs_y.

    Returns
    -------
    Score
        The score and the RMSE of each target.

    Raises
    ------
    ValueError
        If the shapes differ, fewer than two events are given, or a target has
        zero spread.

    Examples
    --------
    >>> t = np.array([[100.0, 0.0], [200.0, 1.0]])
    >>> score_arrays(t, t).score
    0.0
    >>> score_arrays(t, np.full_like(t, t.mean(axis=0))).score
    1.0
    """
    truth, predicted = np.asarray(truth, float), np.asarray(predicted, float)
    if truth.shape != predicted.shape or truth.ndim != 2 or len(truth) < 2:
        msg = f"Need two (n >= 2, 2) arrays, got {truth.shape} and {predicted.shape}."
        raise ValueError(msg)
    std = truth.std(axis=0)
    if np.any(std == 0):
        msg = "A target has zero spread in the truth: the score is undefined."
        raise ValueError(msg)
    rmse = np.sqrt(np.mean((predicted - truth) ** 2, axis=0))
    return Score(float(np.mean(rmse / std)), (float(rmse[0]), float(rmse[1])))


def write_truth(path: Path, truth: Truth) -> None:
    """Write the private truth file (``event_id,higgs_pt,higgs_y,subset``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([ID, *TARGETS, "subset"])
        for i, (pt, y), s in zip(truth.ids, truth.targets, truth.subset, strict=True):
            writer.writerow([int(i), repr(float(pt)), repr(float(y)), s])


def read_truth(path: Path) -> Truth:
    """Read the private truth file written by ``make``.

    Raises
    ------
    ValueError
        If the header or a subset name is wrong.
    """
    with Path(path).open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != [ID, *TARGETS, "subset"]:
        msg = f"{path} is not a truth file of the kit (header {rows[:1]})."
        raise ValueError(msg)
    body = rows[1:]
    subset = np.array([r[3] for r in body])
    if not set(subset) <= set(SUBSETS):
        msg = f"{path}: subsets must be {SUBSETS}, found {sorted(set(subset))}."
        raise ValueError(msg)
    return Truth(
        ids=np.array([int(r[0]) for r in body], dtype=np.int64),
        targets=np.array([[float(r[1]), float(r[2])] for r in body]),
        subset=subset,
    )


@dataclass
class Entry:
    """One team's line on the leaderboards."""

    team: str
    submitted: datetime
    scores: dict[str, Score] | None
    reason: str = ""


def score_submission(path: Path, truth: Truth, max_bytes: int = MAX_BYTES) -> Entry:
    """Validate and score one submission file; never raises for bad content.

    Parameters
    ----------
    path
        The team's file; the team name is the file name without its suffix.
    truth
        The private truth.
    max_bytes
        Size limit [bytes].

    Returns
    -------
    Entry
        Scores on the public and private parts, or the reason it is invalid.
    """
    team = path.name.split(".")[0] or path.name
    submitted = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    try:
        result = validate_submission(path, truth.ids, max_bytes)
    except OSError as err:
        return Entry(team, submitted, None, f"unreadable: {err.strerror or err}")
    if not result.valid:
        return Entry(team, submitted, None, result.reason())
    predicted = np.array([result.predictions[int(i)] for i in truth.ids])
    scores = {
        s: score_arrays(truth.targets[truth.subset == s], predicted[truth.subset == s])
        for s in SUBSETS
    }
    return Entry(team, submitted, scores)


def _score_safely(path: Path, truth: Truth, max_bytes: int) -> Entry:
    """:func:`score_submission`, with any unforeseen failure turned into an
    invalid entry (logged with its traceback) so that one file never stops the
    others from being scored."""
    try:
        return score_submission(path, truth, max_bytes)
    except Exception as err:  # noqa: BLE001 - one bad file must not stop the rest
        log.exception("could not score %s", path)
        submitted = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        reason = f"could not be scored ({type(err).__name__}); ask the instructors"
        return Entry(path.name.split(".")[0] or path.name, submitted, None, reason)


def board_rows(entries: list[Entry], subset: str) -> list[dict[str, str]]:
    """Rank the entries on one part: valid ones by score (ties: earlier first),
    then the invalid ones with their reason.

    Returns
    -------
    list of dict
        One row per entry with the keys :data:`BOARD_COLUMNS`.
    """
    valid = [e for e in entries if e.scores is not None]
    valid.sort(key=lambda e: (e.scores[subset].score, e.submitted, e.team))
    rows = []
    for rank, e in enumerate(valid, start=1):
        s = e.scores[subset]
        rows.append({
            "rank": str(rank), "team": e.team, "score": f"{s.score:.4f}",
            "rmse_higgs_pt_gev": f"{s.rmse[0]:.2f}", "rmse_higgs_y": f"{s.rmse[1]:.4f}",
            "submitted_utc": e.submitted.strftime("%Y-%m-%d %H:%M:%S"), "status": "ok",
        })  # fmt: skip
    for e in sorted((e for e in entries if e.scores is None), key=lambda e: e.team):
        rows.append({
            "rank": "-", "team": e.team, "score": "", "rmse_higgs_pt_gev": "",
            "rmse_higgs_y": "", "status": f"invalid: {e.reason}",
            "submitted_utc": e.submitted.strftime("%Y-%m-%d %H:%M:%S"),
        })  # fmt: skip
    return rows


def _markdown(rows: list[dict[str, str]], title: str) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [f"# {title}", "", "| " + " | ".join(BOARD_COLUMNS) + " |"]
    lines.append("|" + "---|" * len(BOARD_COLUMNS))
    lines += ["| " + " | ".join(cell(r[c]) for c in BOARD_COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _html(boards: dict[str, list[dict[str, str]]]) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Leaderboard</title>',
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
        "collapse}td,th{border:1px solid #999;padding:0.3em 0.6em}</style>",
        "</head><body>",
        "<p>Score: mean over higgs_pt and higgs_y of RMSE / standard deviation of "
        "the truth; lower is better. RMSE of higgs_pt in GeV.</p>",
    ]
    for subset, rows in boards.items():
        parts.append(f"<h2>{subset.capitalize()} leaderboard</h2><table><tr>")
        parts += [f"<th>{c}</th>" for c in BOARD_COLUMNS]
        parts.append("</tr>")
        for r in rows:
            cells = "".join(f"<td>{html.escape(r[c])}</td>" for c in BOARD_COLUMNS)
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_leaderboards(
    truth_path: Path, submissions: Path, out: Path, max_bytes: int = MAX_BYTES
) -> dict[str, list[dict[str, str]]]:
    """Score every file of a folder and write the leaderboards.

    Writes ``public.csv``, ``private.csv``, ``public.md``, ``private.md``,
    ``public.html``, ``private.html`` and ``leaderboard.html`` (both boards, for
    the end of the challenge) into ``out``. Hidden files (names starting
    with ``.``) and sub-folders are skipped; every other file is one team.

    Parameters
    ----------
    truth_path
        Private truth file written by ``make``.
    submissions
        Folder of submissions, one file per team.
    out
        Output folder (created).
    max_bytes
        Size limit of a submission [bytes].

    Returns
    -------
    dict
        ``"public"`` and ``"private"`` to the leaderboard rows.

    Raises
    ------
    NotADirectoryError
        If ``submissions`` is not a folder.
    OSError, ValueError
        If the truth file cannot be read.
    """
    truth = read_truth(truth_path)
    submissions = Path(submissions)
    if not submissions.is_dir():
        msg = f"{submissions} is not a folder of submissions."
        raise NotADirectoryError(msg)
    files = sorted(
        p for p in submissions.iterdir() if p.is_file() and not p.name.startswith(".")
    )
    entries = [_score_safely(p, truth, max_bytes) for p in files]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    boards = {s: board_rows(entries, s) for s in SUBSETS}
    for subset, rows in boards.items():
        with (out / f"{subset}.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, BOARD_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        title = f"{subset.capitalize()} leaderboard"
        (out / f"{subset}.md").write_text(_markdown(rows, title), encoding="utf-8")
        page = _html({subset: rows})
        (out / f"{subset}.html").write_text(page, encoding="utf-8")
    (out / "leaderboard.html").write_text(_html(boards), encoding="utf-8")
    log.info("scored %d submissions into %s", len(entries), out)
    return boards
