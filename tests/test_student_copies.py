"""Student copies drop solution code and keep everything else."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from lessons_code import student_copies
from lessons_code.notebooks import colab_install_cell

SECRET = "answer = 6 * 7  # the solution itself"


def _exercise_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        colab_install_cell("https://github.com/o/r", "main"),
        nbformat.v4.new_markdown_cell("# Exercise\n\nCompute the answer."),
        nbformat.v4.new_code_cell("import math"),
        nbformat.v4.new_code_cell(
            SECRET, metadata={"tags": ["solution", "hide-input"]}
        ),
        nbformat.v4.new_markdown_cell("Check your result:"),
        nbformat.v4.new_code_cell("assert answer == 42"),
    ]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="left over\n")]
    nb.cells[2].execution_count = 3
    return nb


def _write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_solution_cell_becomes_placeholder(tmp_path: Path) -> None:
    original = _exercise_notebook()
    book = tmp_path / "book"
    _write(original, book / "exercises" / "ex.ipynb")
    assert student_copies.main(["--book", str(book), "--out", str(tmp_path / "s")]) == 0

    copy = nbformat.read(tmp_path / "s" / "ex.ipynb", as_version=4)
    nbformat.validate(copy)
    assert len(copy.cells) == len(original.cells)
    placeholder = copy.cells[3]
    assert placeholder.cell_type == "code"
    assert placeholder.source == student_copies.PLACEHOLDER
    assert "solution" not in placeholder.metadata["tags"]
    text = (tmp_path / "s" / "ex.ipynb").read_text(encoding="utf-8")
    assert SECRET not in text and "6 * 7" not in text
    for i in (0, 1, 2, 4, 5):
        assert copy.cells[i].source == original.cells[i].source
        assert copy.cells[i].cell_type == original.cells[i].cell_type
    assert copy.cells[2].outputs == [] and copy.cells[2].execution_count is None


def test_notebook_without_solution_tags_is_unchanged() -> None:
    nb = _exercise_notebook()
    nb.cells[3].metadata["tags"] = ["hide-input"]
    nb.cells[2].outputs = []
    nb.cells[2].execution_count = None
    assert student_copies.student_copy(nb) == nb


def test_source_notebook_is_not_modified(tmp_path: Path) -> None:
    path = _write(_exercise_notebook(), tmp_path / "book" / "ex.ipynb")
    before = path.read_bytes()
    student_copies.write_student_copies([path], tmp_path / "out")
    assert path.read_bytes() == before


def test_markdown_cell_tagged_solution_is_kept() -> None:
    nb = _exercise_notebook()
    nb.cells[1].metadata["tags"] = ["solution"]
    assert student_copies.student_copy(nb).cells[1].source == nb.cells[1].source


def test_generated_folders_are_not_exercises(tmp_path: Path) -> None:
    book = tmp_path / "book"
    _write(_exercise_notebook(), book / "a.ipynb")
    _write(_exercise_notebook(), book / "_static" / "student" / "a.ipynb")
    assert student_copies.exercise_notebooks(book) == [book / "a.ipynb"]


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    a = _write(_exercise_notebook(), tmp_path / "x" / "ex.ipynb")
    b = _write(_exercise_notebook(), tmp_path / "y" / "ex.ipynb")
    with pytest.raises(ValueError, match="unique name"):
        student_copies.write_student_copies([a, b], tmp_path / "out")
