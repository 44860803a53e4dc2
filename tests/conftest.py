"""Options shared by the test suite."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--page",
        action="append",
        default=[],
        help="run only this page in tests/test_pages_run.py (repeatable), "
        "e.g. --page=book/exercises/stop_search.ipynb",
    )
