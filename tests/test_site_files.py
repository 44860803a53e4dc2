"""The committed sources of the site keep their contracts.

Notebooks are committed clean and open with the Colab install cell naming the
configured repository; the table of contents and the pages agree; the workflows
validate against the GitHub schema; every environment uses the same pins.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bookfiles import (
    BOOK,
    ROOT,
    book_notebooks,
    book_pages,
    config,
    page_id,
    read_notebook,
    repository,
    resolve,
    toc_entries,
)

from lessons_code.notebooks import COLAB_TAGS, colab_install_source

NOTEBOOKS = book_notebooks()
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=page_id)
def test_notebook_committed_without_outputs(path: Path) -> None:
    nb = read_notebook(path)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count)
    ]
    assert not dirty, (
        f"{page_id(path)}: cells {dirty} have outputs or execution counts; clear "
        f"them with `jupyter nbconvert --clear-output --inplace {page_id(path)}`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=page_id)
def test_notebook_opens_with_colab_install_cell(path: Path) -> None:
    url, branch = repository()
    nb = read_notebook(path)
    first = nb.cells[0] if nb.cells else None
    fix = f"run `python -m lessons_code.notebooks add-colab-cell {page_id(path)}`"
    assert first is not None and first.cell_type == "code", f"no code cell; {fix}"
    assert set(COLAB_TAGS) <= set(first.metadata.get("tags", [])), (
        f"first cell lacks the tags {COLAB_TAGS}; {fix}"
    )
    assert first.source.strip() == colab_install_source(url, branch), (
        f"first cell differs from the Colab install cell for {url}@{branch}; {fix}"
    )


def test_colab_cell_installs_only_on_colab() -> None:
    """Outside Colab the cell runs and installs nothing; it names repo and branch."""
    source = colab_install_source("https://example.org/o/r", "b1")
    namespace: dict = {}
    calls: list = []
    fake_subprocess = type(sys)("subprocess")
    fake_subprocess.run = lambda *a, **k: calls.append(a)
    saved = sys.modules["subprocess"]
    sys.modules["subprocess"] = fake_subprocess
    try:
        exec(compile(source, "<colab cell>", "exec"), namespace)
        assert calls == []
        sys.modules["google.colab"] = type(sys)("google.colab")
        try:
            exec(compile(source, "<colab cell>", "exec"), namespace)
        finally:
            del sys.modules["google.colab"]
    finally:
        sys.modules["subprocess"] = saved
    assert len(calls) == 1
    assert calls[0][0][-1] == "lessons_code @ git+https://example.org/o/r@b1"


def test_toc_lists_only_existing_files() -> None:
    missing = [entry for entry in toc_entries() if resolve(entry) is None]
    assert not missing, f"_toc.yml lists pages that do not exist: {missing}"


def test_toc_lists_no_page_twice() -> None:
    entries = [str(resolve(e)) for e in toc_entries()]
    assert len(entries) == len(set(entries))


def test_every_book_page_is_listed_in_toc() -> None:
    listed = {resolve(entry) for entry in toc_entries()}
    unlisted = [page_id(p) for p in book_pages() if p not in listed]
    assert not unlisted, f"pages under book/ missing from _toc.yml: {unlisted}"


def test_config_fails_on_errors_and_uses_cache() -> None:
    cfg = config()
    assert cfg["execute"]["execute_notebooks"] == "cache"
    assert cfg["execute"]["allow_errors"] is False
    assert cfg["execute"]["timeout"] > 0
    assert cfg["sphinx"]["config"]["nb_execution_raise_on_error"] is True
    assert cfg["only_build_toc_files"] is True


def test_about_page_shows_execution_statistics() -> None:
    assert "{nb-exec-table}" in (BOOK / "about.md").read_text(encoding="utf-8")


def _check_jsonschema() -> list[str]:
    exe = shutil.which("check-jsonschema") or str(
        Path(sys.executable).parent / "check-jsonschema"
    )
    return [exe, "--builtin-schema", "vendor.github-workflows"]


def test_workflows_exist() -> None:
    assert WORKFLOWS, "no workflow under .github/workflows"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_validates_against_github_schema(path: Path) -> None:
    result = subprocess.run(
        [*_check_jsonschema(), str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps: []\n", encoding="utf-8")
    result = subprocess.run(
        [*_check_jsonschema(), str(broken)], capture_output=True, text=True
    )
    assert result.returncode != 0


def test_workflows_cover_tests_build_deploy_schedule_linkcheck() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in WORKFLOWS)
    triggers: set[str] = set()
    for path in WORKFLOWS:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        triggers |= set(doc.get(True, doc.get("on", {})) or {})
    assert {"push", "pull_request", "schedule"} <= triggers
    for needle in (
        "actions/upload-pages-artifact@",
        "actions/deploy-pages@",
        "_build/.jupyter_cache",
        "~/.cache/pip",
        "bash .ci/run",
        "make linkcheck",
    ):
        assert needle in text, f"workflows lack {needle!r}"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "jupyter-book build . --builder linkcheck" in makefile


def test_ci_entry_runs_tests_then_book_with_browser_required() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "apt-get install" in script and "chromium" in script
    assert "export LESSONS_REQUIRE_BROWSER=1" in script
    assert 0 < script.index("make test") < script.index("make book")


def test_workflow_actions_pinned_to_major_versions() -> None:
    uses = [
        m.group(1)
        for p in WORKFLOWS
        for m in re.finditer(r"uses:\s*([^\s#]+)", p.read_text(encoding="utf-8"))
    ]
    assert uses
    loose = [u for u in uses if not re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", u)]
    assert not loose, f"actions not pinned to a major version: {loose}"


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_requirements_are_pinned(name: str) -> None:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    reqs = [ln.split("#")[0].strip() for ln in lines]
    reqs = [r for r in reqs if r]
    assert reqs
    loose = [r for r in reqs if not re.fullmatch(r"[A-Za-z0-9_.\[\]-]+==[\w.+-]+", r)]
    assert not loose, f"{name}: not pinned with ==: {loose}"


def test_torch_pin_is_the_local_cpu_build() -> None:
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^torch==2\.13\.0$", text, flags=re.M)


def test_binder_uses_the_root_pins() -> None:
    binder = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in binder.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("#")]
    assert lines == ["-r ../requirements.txt"]
    post_build = (ROOT / "binder" / "postBuild").read_text(encoding="utf-8")
    assert "pip install --no-deps -e ." in post_build
    runtime = (ROOT / "binder" / "runtime.txt").read_text(encoding="utf-8").strip()
    assert runtime == "python-3.11"


def test_licences_name_code_and_text() -> None:
    code = (ROOT / "LICENSE").read_text(encoding="utf-8")
    text = (ROOT / "LICENSE-CONTENT").read_text(encoding="utf-8")
    assert code.startswith("MIT License")
    assert "CC BY 4.0" in text and "creativecommons.org/licenses/by/4.0" in text


def test_citation_matches_package_and_repository() -> None:
    import tomllib

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == project["project"]["version"]
    url, _ = repository()
    assert cff["repository-code"].rstrip("/") == url.rstrip("/")
    assert cff["title"] and cff["authors"]


def test_page_titles_hold_no_math() -> None:
    # Titles appear in the navigation of every page, also of pages that load no
    # MathJax, where a formula would stay raw TeX.
    titled = []
    for path in book_pages():
        if path.suffix == ".ipynb":
            cells = read_notebook(path).cells
            text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
        else:
            text = path.read_text(encoding="utf-8")
        titles = [line for line in text.splitlines() if line.startswith("# ")]
        if titles and "$" in titles[0]:
            titled.append(page_id(path))
    assert not titled, f"write these page titles without math: {titled}"
