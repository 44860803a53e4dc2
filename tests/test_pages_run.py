"""Every executable page of the table of contents runs in fast mode.

Notebooks run with nbmake, as ``make page`` does; MyST pages are converted with
jupytext and executed with nbclient in the page's folder, as myst-nb does during the
build. ``--page=PATH`` restricts the run to the pages named.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jupytext
import nbclient
import pytest
from bookfiles import ROOT, executable_toc_pages, page_id

from lessons_code.config import FAST_ENV

PAGES = executable_toc_pages()
TIMEOUT_S = 900


def _selected(request: pytest.FixtureRequest, path: Path) -> None:
    wanted = request.config.getoption("--page")
    if wanted and page_id(path) not in {Path(w).as_posix() for w in wanted}:
        pytest.skip("not selected by --page")


def _run_notebook(path: Path) -> None:
    env = {**os.environ, FAST_ENV: "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbmake",
            f"--nbmake-timeout={TIMEOUT_S}",
            "-p",
            "no:cacheprovider",
            "-q",
            str(path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def _run_myst(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAST_ENV, "1")
    nb = jupytext.read(path)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
    client = nbclient.NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()


@pytest.mark.slow
@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_page_runs_in_fast_mode(
    path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    _selected(request, path)
    if path.suffix == ".ipynb":
        _run_notebook(path)
    else:
        _run_myst(path, monkeypatch)


def test_page_option_names_a_listed_page(request: pytest.FixtureRequest) -> None:
    listed = {page_id(p) for p in PAGES}
    unknown = [w for w in request.config.getoption("--page") if w not in listed]
    assert not unknown, (
        f"--page {unknown}: not an executable page of _toc.yml; add it to the table "
        "of contents (with a kernelspec for a MyST page) first"
    )
