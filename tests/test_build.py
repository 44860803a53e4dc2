"""The book build fails on a raising cell and serves unchanged pages from the cache.

Each test builds a tiny throwaway book in a temporary folder with the project's own
``_config.yml``, so what is checked is the configuration the site is built with.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bookfiles import CONFIG, ROOT

JUPYTER_BOOK = str(Path(sys.executable).parent / "jupyter-book")
RUN_ID = re.compile(r"run-id ([0-9a-f]{32})")


def _tiny_book(tmp_path: Path, code: str) -> Path:
    """Write a book with one notebook page holding ``code`` and a statistics page."""
    book = tmp_path / "tiny"
    (book / "book").mkdir(parents=True)
    shutil.copy(CONFIG, book / "_config.yml")
    shutil.copy(ROOT / "book" / "references.bib", book / "book" / "references.bib")
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n"
        "  - file: book/page\n  - file: book/stats\n",
        encoding="utf-8",
    )
    (book / "book" / "intro.md").write_text("# Tiny book\n\nA test.\n", "utf-8")
    (book / "book" / "stats.md").write_text(
        "# Statistics\n\n```{nb-exec-table}\n```\n", encoding="utf-8"
    )
    _write_page(book, code)
    return book


def _write_page(book: Path, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Page\n\nOne cell."),
        nbformat.v4.new_code_cell(code),
    ]
    nbformat.write(nb, book / "book" / "page.ipynb")


def _build(book: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [JUPYTER_BOOK, "build", str(book), "-W", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _run_id(book: Path) -> str:
    html = (book / "_build" / "html" / "book" / "page.html").read_text("utf-8")
    found = RUN_ID.findall(html)
    assert len(found) == 1, "the page output should show exactly one run id"
    return found[0]


@pytest.mark.slow
def test_raising_cell_fails_the_build(tmp_path: Path) -> None:
    book = _tiny_book(tmp_path, 'raise RuntimeError("deliberate failure 7319")')
    result = _build(book)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log[-3000:]
    assert "deliberate failure 7319" in log
    assert "RuntimeError" in log


@pytest.mark.slow
def test_unchanged_page_is_served_from_cache(tmp_path: Path) -> None:
    code = (
        "import time\nimport uuid\n\ntime.sleep(1)\n"
        + 'print("run-id", uuid.uuid4().hex)'
    )
    book = _tiny_book(tmp_path, code)

    first = _build(book)
    assert first.returncode == 0, (first.stdout + first.stderr)[-3000:]
    first_id = _run_id(book)

    second = _build(book)
    assert second.returncode == 0, (second.stdout + second.stderr)[-3000:]
    assert _run_id(book) == first_id, "an unchanged page was executed again"
    stats = (book / "_build" / "html" / "book" / "stats.html").read_text("utf-8")
    assert "cache" in stats

    _write_page(book, code + "  # changed")
    third = _build(book)
    assert third.returncode == 0, (third.stdout + third.stderr)[-3000:]
    assert _run_id(book) != first_id, "a changed page was not executed again"
