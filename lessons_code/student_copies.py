"""Student copies of the exercise notebooks: solutions replaced by placeholders.

An exercise notebook holds its solution code in cells tagged ``solution`` (and
``hide-input``, which folds them on the site). A student copy is the same notebook
with every such cell replaced by a short placeholder code cell, and with no outputs.
Every other cell is kept unchanged, in order.

Usage::

    python -m lessons_code.student_copies --out book/_static/student

writes one copy per notebook under ``book/`` (``book/**/*.ipynb``), flat, under its
own file name; ``make book`` does this before the build so each exercise page can
offer its copy for download.
"""

from __future__ import annotations

import argparse
import copy
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

from lessons_code.notebooks import SOLUTION_TAG

log = logging.getLogger(__name__)

#: Source of the cell that replaces each solution cell.
PLACEHOLDER = "# Exercise: write your solution here.\n..."
#: Tag carried by the placeholder cells.
PLACEHOLDER_TAG = "exercise-placeholder"
#: Folders whose notebooks are not exercises (generated copies, checkpoints).
SKIP_PARTS = frozenset({"_static", "_build", ".ipynb_checkpoints"})


def is_solution(cell: nbformat.NotebookNode) -> bool:
    """Return whether a cell is a solution code cell.

    Parameters
    ----------
    cell
        A notebook cell.

    Returns
    -------
    bool
        True for a code cell whose ``metadata.tags`` contains ``solution``.

    Examples
    --------
    >>> is_solution(nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["solution"]}))
    True
    """
    tags = cell.get("metadata", {}).get("tags", [])
    return cell.get("cell_type") == "code" and SOLUTION_TAG in tags


def placeholder_cell(nb: nbformat.NotebookNode, index: int) -> nbformat.NotebookNode:
    """Return the placeholder code cell that replaces a solution cell.

    Parameters
    ----------
    nb
        The notebook the placeholder goes into (for its format version).
    index
        Position of the replaced cell, used to make a unique cell id.

    Returns
    -------
    nbformat.NotebookNode
        An empty-output code cell holding :data:`PLACEHOLDER`.
    """
    cell = nbformat.v4.new_code_cell(PLACEHOLDER)
    cell.metadata["tags"] = [PLACEHOLDER_TAG]
    if nb.get("nbformat_minor", 5) >= 5:
        cell["id"] = f"exercise-placeholder-{index}"
    else:
        cell.pop("id", None)
    return cell


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy of a notebook with its solution cells replaced.

    Parameters
    ----------
    nb
        An exercise notebook; it is not modified.

    Returns
    -------
    nbformat.NotebookNode
        A deep copy in which every cell tagged ``solution`` is replaced by
        :func:`placeholder_cell`, outputs and execution counts are cleared, and
        every other cell keeps its source and metadata.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_code_cell("answer = 42", metadata={"tags": ["solution"]})])
    >>> student_copy(nb).cells[0].source.startswith("# Exercise")
    True
    """
    out = copy.deepcopy(nb)
    cells = []
    for index, cell in enumerate(out.cells):
        if is_solution(cell):
            cells.append(placeholder_cell(out, index))
            continue
        if cell.get("cell_type") == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    out.cells = cells
    return out


def exercise_notebooks(book_dir: Path) -> list[Path]:
    """List the notebooks under a book folder, generated folders excluded.

    Parameters
    ----------
    book_dir
        Folder searched recursively for ``*.ipynb``.

    Returns
    -------
    list of pathlib.Path
        Sorted paths, without those inside :data:`SKIP_PARTS` folders.
    """
    paths = sorted(Path(book_dir).rglob("*.ipynb"))
    return [p for p in paths if not SKIP_PARTS & set(p.relative_to(book_dir).parts)]


def write_student_copies(notebooks: Iterable[Path], out_dir: Path) -> list[Path]:
    """Write the student copy of each notebook into one folder.

    Parameters
    ----------
    notebooks
        Exercise notebooks to copy.
    out_dir
        Destination folder, created if missing; a copy keeps its file name.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        If two notebooks share a file name, so their copies would overwrite each
        other; rename one of them.
    """
    notebooks = list(notebooks)
    names = [p.name for p in notebooks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        msg = (
            f"notebooks {duplicates} appear more than once under the book; student "
            "copies are written flat, so give each exercise notebook a unique name."
        )
        raise ValueError(msg)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        target = out_dir / path.name
        nbformat.write(student_copy(nb), target)
        n_solutions = sum(is_solution(c) for c in nb.cells)
        log.info("%s: %d solution cells replaced -> %s", path, n_solutions, target)
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: write student copies of every exercise notebook.

    Parameters
    ----------
    argv
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        Exit status, 0 on success.
    """
    parser = argparse.ArgumentParser(
        prog="python -m lessons_code.student_copies",
        description="Write exercise notebooks with solution cells replaced.",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="folder that receives the copies"
    )
    parser.add_argument(
        "--book",
        type=Path,
        default=Path("book"),
        help="folder searched for notebooks (default: book)",
    )
    args = parser.parse_args(argv)
    written = write_student_copies(exercise_notebooks(args.book), args.out)
    log.info("wrote %d student copies into %s", len(written), args.out)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    raise SystemExit(main())
