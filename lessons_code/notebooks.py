"""Conventions shared by every executable page: the Colab install cell and tags.

Every exercise notebook opens with one code cell, the *Colab install cell*. On
Google Colab it installs :mod:`lessons_code` from the course repository; anywhere
else (a laptop, Binder, the book build, the tests) it does nothing, because the
package is already installed there. The repository URL and branch in that cell are
the ones of ``repository.url`` and ``repository.branch`` in ``_config.yml``; a test
checks that they agree, and :func:`main` writes or refreshes the cell after a fork
changes them::

    python -m lessons_code.notebooks colab-cell            # print the cell
    python -m lessons_code.notebooks add-colab-cell book/exercises/x.ipynb

Cell tags used by the course (see ``CONTRIBUTING.md``):

``colab-install`` and ``remove-cell``
    The Colab install cell; the site does not show it.
``solution`` and ``hide-input``
    A code cell that solves an exercise; the site folds its input, and
    :mod:`lessons_code.student_copies` replaces it with a placeholder.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat

log = logging.getLogger(__name__)

#: Tags of the Colab install cell.
COLAB_TAGS: tuple[str, ...] = ("colab-install", "remove-cell")
#: Tag that marks a solution code cell.
SOLUTION_TAG = "solution"
#: Tag that folds the input of a cell on the site; solution cells carry it too.
FOLD_TAG = "hide-input"

_COLAB_TEMPLATE = """\
# On Google Colab only: install the course package from the course repository.
import subprocess
import sys

REPOSITORY = "{url}"
BRANCH = "{branch}"
if "google.colab" in sys.modules:
    package = f"lessons_code @ git+{{REPOSITORY}}@{{BRANCH}}"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True)
"""


def read_repository(config_path: Path) -> tuple[str, str]:
    """Read the repository URL and branch from the book configuration.

    Parameters
    ----------
    config_path
        Path to ``_config.yml``.

    Returns
    -------
    tuple of str
        ``(url, branch)``, the URL without a trailing slash or ``.git``; the
        branch defaults to ``main`` when the configuration does not name one.

    Raises
    ------
    ValueError
        If the configuration has no ``repository.url``.

    Examples
    --------
    >>> read_repository(Path("_config.yml"))  # doctest: +SKIP
    ('https://github.com/ml-physics-course/ml-for-physics', 'main')
    """
    import yaml

    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
    repository = config.get("repository") or {}
    url = str(repository.get("url", "")).strip()
    if not url:
        msg = f"{config_path} has no repository.url: set it to the course repository."
        raise ValueError(msg)
    url = url.rstrip("/").removesuffix(".git")
    branch = str(repository.get("branch") or "main").strip()
    return url, branch


def colab_install_source(url: str, branch: str) -> str:
    """Return the source of the Colab install cell for a repository and branch.

    Parameters
    ----------
    url
        Repository URL, e.g. ``https://github.com/ORG/REPO``.
    branch
        Branch to install from.

    Returns
    -------
    str
        Python source of the cell; it installs ``lessons_code`` only when the
        module ``google.colab`` is loaded, that is only on Colab.

    Examples
    --------
    >>> src = colab_install_source("https://github.com/o/r", "main")
    >>> 'REPOSITORY = "https://github.com/o/r"' in src
    True
    """
    return _COLAB_TEMPLATE.format(url=url, branch=branch).rstrip("\n")


def colab_install_cell(url: str, branch: str) -> nbformat.NotebookNode:
    """Return the Colab install cell as a notebook cell, tagged.

    Parameters
    ----------
    url
        Repository URL.
    branch
        Branch to install from.

    Returns
    -------
    nbformat.NotebookNode
        A code cell without outputs, tagged with :data:`COLAB_TAGS`.

    Examples
    --------
    >>> cell = colab_install_cell("https://github.com/o/r", "main")
    >>> cell.metadata["tags"]
    ['colab-install', 'remove-cell']
    """
    cell = nbformat.v4.new_code_cell(colab_install_source(url, branch))
    cell.metadata["tags"] = list(COLAB_TAGS)
    cell["id"] = "colab-install"
    return cell


def set_colab_cell(nb: nbformat.NotebookNode, url: str, branch: str) -> bool:
    """Make the first cell of a notebook the Colab install cell.

    An existing first cell tagged ``colab-install`` is replaced; otherwise the cell
    is inserted at the top.

    Parameters
    ----------
    nb
        Notebook, modified in place.
    url
        Repository URL.
    branch
        Branch to install from.

    Returns
    -------
    bool
        Whether the notebook changed.
    """
    new = colab_install_cell(url, branch)
    first = nb.cells[0] if nb.cells else None
    if first is not None and COLAB_TAGS[0] in first.get("metadata", {}).get("tags", []):
        if first.source == new.source and set(COLAB_TAGS) <= set(
            first.metadata.get("tags", [])
        ):
            return False
        first.source = new.source
        first.metadata["tags"] = sorted(set(first.metadata["tags"]) | set(COLAB_TAGS))
        return True
    if nb.get("nbformat_minor", 5) < 5:
        new.pop("id", None)
    nb.cells.insert(0, new)
    return True


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lessons_code.notebooks",
        description="Print or write the Colab install cell of the course notebooks.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("_config.yml"),
        help="book configuration holding repository.url and repository.branch",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("colab-cell", help="print the Colab install cell to stdout")
    add = sub.add_parser(
        "add-colab-cell", help="insert or refresh the cell at the top of notebooks"
    )
    add.add_argument("notebooks", nargs="+", type=Path, help="notebooks to update")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see the module docstring for the commands.

    Parameters
    ----------
    argv
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        Exit status, 0 on success.
    """
    args = _parser().parse_args(argv)
    url, branch = read_repository(args.config)
    if args.command == "colab-cell":
        sys.stdout.write(colab_install_source(url, branch) + "\n")
        return 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        if set_colab_cell(nb, url, branch):
            nbformat.write(nb, path)
            log.info("wrote the Colab install cell into %s", path)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    raise SystemExit(main())
