"""Strict validation of a submission file, read as data only.

A submission is a CSV file (comma-separated, UTF-8) with the header
``event_id,higgs_pt,higgs_y`` (columns in any order) and exactly one row per event
of the evaluation features: ``higgs_pt`` in GeV and ``higgs_y``, finite numbers.

The file is read as bytes, decoded and split by the :mod:`csv` module: nothing in
it is ever unpickled, imported or executed. Before that, the size is checked
against :data:`MAX_BYTES` (from the file system, without reading the file), and a
gzip or other binary file is refused with a message. A UTF-8 byte-order mark and
Windows line endings (CR LF), as spreadsheet programs write them, are accepted
and reported as notes.
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lessons_code.challenge.features import ID, TARGETS

log = logging.getLogger(__name__)

#: Largest submission accepted [bytes] (a row takes about 40 bytes, so 10 MB holds
#: 250 000 events).
MAX_BYTES = 10_000_000
#: Columns of a submission.
COLUMNS = (ID, *TARGETS)
#: Problems listed at most per file (the count of the rest is given).
MAX_LISTED = 200
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Problem:
    """One reason why a submission is invalid.

    Attributes
    ----------
    line
        Line of the file (1 is the header), or 0 for the file as a whole.
    message
        What is wrong and how to fix it.
    """

    line: int
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line > 0 else "file"
        return f"{where}: {self.message}"


@dataclass
class Validation:
    """The outcome of :func:`validate_submission`.

    Attributes
    ----------
    problems
        Every problem found; empty for a valid file.
    notes
        Accepted oddities (byte-order mark, Windows line endings).
    predictions
        Event id to (higgs_pt [GeV], higgs_y) for the rows that parsed.
    rows
        Data rows in the file.
    """

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    predictions: dict[int, tuple[float, float]] = field(default_factory=dict)
    rows: int = 0

    @property
    def valid(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def report(self) -> str:
        """Human-readable report: "valid" and the row count, or every problem."""
        lines = [f"note: {n}" for n in self.notes]
        if self.valid:
            lines.append(f"valid: {self.rows} rows")
        else:
            shown = self.problems[:MAX_LISTED]
            lines.append(f"invalid: {len(self.problems)} problem(s)")
            lines += [f"  {p}" for p in shown]
            if len(self.problems) > MAX_LISTED:
                lines.append(f"  ... and {len(self.problems) - MAX_LISTED} more")
        return "\n".join(lines)

    def reason(self) -> str:
        """One-line summary of the problems (for a leaderboard)."""
        first = str(self.problems[0]) if self.problems else ""
        more = len(self.problems) - 1
        return first + (f" (and {more} more problem(s))" if more > 0 else "")


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> tuple[str | None, Validation]:
    """Read a submission as text after the size, gzip and encoding checks.

    Parameters
    ----------
    path
        The file.
    max_bytes
        Size limit [bytes].

    Returns
    -------
    text, validation
        The decoded text (None when it cannot be used) and the problems and notes
        found so far.

    Raises
    ------
    OSError
        If the file cannot be read (missing, a folder, no permission).
    """
    result = Validation()
    path = Path(path)
    if path.is_dir():
        msg = f"{path} is a folder, not a submission file."
        raise IsADirectoryError(msg)
    size = path.stat().st_size
    if size > max_bytes:
        result.problems.append(
            Problem(0, f"the file has {size} bytes, more than the limit of "
                    f"{max_bytes} bytes; submit one uncompressed CSV of predictions")
        )  # fmt: skip
        return None, result
    with path.open("rb") as f:
        raw = f.read(max_bytes + 1)
    if raw.startswith(_GZIP_MAGIC):
        result.problems.append(
            Problem(0, "the file is gzip-compressed; decompress it (gunzip) and "
                    "submit the plain CSV")
        )  # fmt: skip
        return None, result
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
        result.notes.append("UTF-8 byte-order mark ignored")
    if b"\x00" in raw:
        result.problems.append(
            Problem(0, "the file contains NUL bytes: it is binary (a spreadsheet, "
                    "a pickle, UTF-16 text?); save it as CSV, UTF-8")
        )  # fmt: skip
        return None, result
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        result.problems.append(
            Problem(line, "bytes that are not UTF-8 text; save the file as CSV, UTF-8")
        )
        return None, result
    if "\r\n" in text:
        result.notes.append("Windows line endings (CR LF) accepted")
    if not text.strip():
        result.problems.append(
            Problem(0, f"the file is empty; it needs the header {','.join(COLUMNS)} "
                    "and one row per evaluation event")
        )  # fmt: skip
        return None, result
    return text, result


def _header(header: list[str], result: Validation) -> dict[str, int] | None:
    names = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    extra = [h for h in names if h not in COLUMNS]
    for name in missing:
        close = difflib.get_close_matches(name, extra, n=1, cutoff=0.5)
        hint = f" (is {close[0]!r} meant to be {name!r}?)" if close else ""
        result.problems.append(Problem(1, f"missing column {name!r}{hint}"))
    for name in extra:
        result.problems.append(
            Problem(1, f"extra column {name!r}; the columns are {', '.join(COLUMNS)}")
        )
    duplicated = {n for n in names if names.count(n) > 1 and n in COLUMNS}
    for name in sorted(duplicated):
        result.problems.append(Problem(1, f"column {name!r} appears twice"))
    if missing or extra or duplicated:
        return None
    return {c: names.index(c) for c in COLUMNS}


def _number(text: str, name: str, line: int, result: Validation) -> float | None:
    try:
        value = float(text)
    except ValueError:
        shown = text if len(text) <= 30 else text[:27] + "..."
        result.problems.append(Problem(line, f"{name} {shown!r} is not a number"))
        return None
    if not math.isfinite(value):
        result.problems.append(
            Problem(line, f"{name} is {text.strip()!r}; every prediction must be "
                    "a finite number")
        )  # fmt: skip
        return None
    return value


def _event_id(text: str, line: int, result: Validation) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        shown = text if len(text) <= 30 else text[:27] + "..."
        result.problems.append(Problem(line, f"{ID} {shown!r} is not an integer"))
        return None


def validate_text(text: str, expected_ids: np.ndarray, result: Validation) -> None:
    """Check the rows of a decoded submission (fills ``result``).

    Parameters
    ----------
    text
        The file's text.
    expected_ids
        Event ids of the evaluation features, shape (n,).
    result
        Collects problems and predictions.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as err:
        result.problems.append(Problem(1, f"unreadable header: {err}"))
        return
    where = _header(header, result)
    if where is None:
        return
    expected = {int(i) for i in expected_ids}
    first_line: dict[int, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            result.rows += 1
            if len(row) != len(header):
                result.problems.append(
                    Problem(line, f"{len(row)} fields where the header has "
                            f"{len(header)}")
                )  # fmt: skip
                continue
            event_id = _event_id(row[where[ID]], line, result)
            values = [_number(row[where[t]], t, line, result) for t in TARGETS]
            if event_id is None:
                continue
            if event_id in first_line:
                result.problems.append(
                    Problem(line, f"{ID} {event_id} duplicated (first on line "
                            f"{first_line[event_id]})")
                )  # fmt: skip
                continue
            first_line[event_id] = line
            if event_id not in expected:
                result.problems.append(
                    Problem(line, f"{ID} {event_id} is not in the evaluation "
                            "features")
                )  # fmt: skip
                continue
            if values[0] is not None and values[1] is not None:
                result.predictions[event_id] = (values[0], values[1])
    except csv.Error as err:
        result.problems.append(Problem(reader.line_num, f"malformed CSV: {err}"))
        return
    if result.rows == 0:
        result.problems.append(
            Problem(0, "the file has a header but no rows; write one row per "
                    "evaluation event")
        )  # fmt: skip
        return
    if result.rows != len(expected):
        result.problems.append(
            Problem(0, f"{result.rows} rows where the evaluation features have "
                    f"{len(expected)}")
        )  # fmt: skip
    absent = sorted(expected - set(first_line))
    if absent:
        shown = ", ".join(str(i) for i in absent[:10])
        more = f" and {len(absent) - 10} more" if len(absent) > 10 else ""
        result.problems.append(
            Problem(0, f"{len(absent)} event id(s) missing: {shown}{more}")
        )


def validate_submission(
    path: Path, expected_ids: np.ndarray, max_bytes: int = MAX_BYTES
) -> Validation:
    """Validate a submission against the evaluation event ids.

    Parameters
    ----------
    path
        Submission CSV.
    expected_ids
        Event ids of the evaluation features, shape (n,), integers.
    max_bytes
        Size limit [bytes].

    Returns
    -------
    Validation
        Problems (each with its line), notes, the parsed predictions.

    Raises
    ------
    OSError
        If the file cannot be read (the caller reports it as an I/O error).

    Examples
    --------
    >>> # result = validate_submission(Path("team.csv"), ids); print(result.report())
    """
    text, result = read_text(path, max_bytes)
    if text is not None:
        validate_text(text, np.asarray(expected_ids), result)
    log.info("%s: %d rows, %d problems", path, result.rows, len(result.problems))
    return result
