"""Shared helpers of the site tests: the pages, the table of contents, the config.

Pages are named as in ``_toc.yml``: a path from the repository root, with or without
its suffix. Only files tracked by git count as committed pages; without a git
checkout (an unpacked archive) every file on disk counts.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import yaml

from lessons_code.notebooks import read_repository

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CONFIG = ROOT / "_config.yml"
TOC = ROOT / "_toc.yml"
PAGE_SUFFIXES = (".md", ".ipynb")
#: Folders under book/ that hold generated files, never pages.
GENERATED = {"_static", "_build", ".ipynb_checkpoints"}


def config() -> dict:
    """Return the parsed ``_config.yml``."""
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def repository() -> tuple[str, str]:
    """Return ``(url, branch)`` of the configured repository."""
    return read_repository(CONFIG)


def _toc_entries(node: object) -> list[str]:
    """Collect every ``root`` and ``file`` value of a parsed table of contents."""
    found: list[str] = []
    if isinstance(node, dict):
        for key in ("root", "file"):
            if key in node:
                found.append(str(node[key]))
        for value in node.values():
            if isinstance(value, list | dict):
                found.extend(_toc_entries(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_toc_entries(item))
    return found


def toc_entries(toc_path: Path = TOC) -> list[str]:
    """Return the page names of a ``_toc.yml``, in order, as written there."""
    return _toc_entries(yaml.safe_load(toc_path.read_text(encoding="utf-8")))


def resolve(entry: str, root: Path = ROOT) -> Path | None:
    """Return the source file of a table-of-contents entry, or None if missing."""
    path = root / entry
    if path.suffix in PAGE_SUFFIXES:
        return path if path.is_file() else None
    for suffix in PAGE_SUFFIXES:
        candidate = path.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def toc_pages() -> list[Path]:
    """Return the source files of every page listed in ``_toc.yml`` that exists."""
    pages = [resolve(entry) for entry in toc_entries()]
    return [p for p in pages if p is not None]


def committed_files(folder: Path = BOOK) -> list[Path]:
    """Return files under a folder tracked by git (all files without git)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--", str(folder.relative_to(ROOT))],
            cwd=ROOT,
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return sorted(p for p in folder.rglob("*") if p.is_file())
    return sorted(ROOT / name for name in out.split("\0") if name)


def book_pages() -> list[Path]:
    """Return the committed ``.md`` and ``.ipynb`` pages under ``book/``."""
    return [
        p
        for p in committed_files(BOOK)
        if p.suffix in PAGE_SUFFIXES
        and p.exists()
        and not GENERATED & set(p.relative_to(BOOK).parts)
    ]


def book_notebooks() -> list[Path]:
    """Return the committed notebooks under ``book/``."""
    return [p for p in book_pages() if p.suffix == ".ipynb"]


def front_matter(path: Path) -> dict:
    """Return the YAML front matter of a Markdown page ({} when it has none)."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    return yaml.safe_load(text[3:end]) or {}


def is_executable(path: Path) -> bool:
    """Return whether a page runs at build time: a notebook, or MyST with a kernel."""
    if path.suffix == ".ipynb":
        return True
    meta = front_matter(path)
    return bool(meta.get("kernelspec") or meta.get("jupyter", {}).get("kernelspec"))


def executable_toc_pages() -> list[Path]:
    """Return the executable pages listed in ``_toc.yml``."""
    return [p for p in toc_pages() if is_executable(p)]


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat version 4."""
    return nbformat.read(path, as_version=4)


def page_id(path: Path) -> str:
    """Return a readable test id for a page: its path from the repository root."""
    return path.relative_to(ROOT).as_posix()
