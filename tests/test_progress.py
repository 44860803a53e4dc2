"""Progress bars stay out of captured output and show in a terminal."""

from __future__ import annotations

import io
import sys

import pytest

from lessons_code import progress


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_captured_stderr_gets_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Stream(tty=False)
    monkeypatch.setattr(sys, "stderr", stream)
    assert progress.bar_kind() == "none"
    for _ in progress.progress_bar(range(50), desc="quiet"):
        pass
    assert stream.getvalue() == ""


def test_terminal_gets_a_text_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Stream(tty=True)
    monkeypatch.setattr(sys, "stderr", stream)
    assert progress.bar_kind() == "text"
    for _ in progress.progress_bar(range(5), desc="shown", file=stream):
        pass
    assert "shown" in stream.getvalue()


def test_bar_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Stream(tty=True)
    monkeypatch.setattr(sys, "stderr", stream)
    for _ in progress.progress_bar(range(5), desc="off", enabled=False, file=stream):
        pass
    assert stream.getvalue() == ""
