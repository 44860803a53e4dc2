"""Run-time settings shared by every page of the course.

The course runs in two modes. At full settings (the default) every page uses the
sizes quoted in its text; the book build runs them this way. In fast mode, switched
on by the environment variable :data:`FAST_ENV` (``LESSONS_FAST=1``), every page
shrinks its data and epochs so that the whole set runs in a few minutes; the test
suite runs every page this way. Pages read the mode only through :func:`fast_mode`
and :func:`by_mode`, never by looking at the environment themselves.
"""

from __future__ import annotations

import logging
import os
from typing import TypeVar

log = logging.getLogger(__name__)

#: Name of the environment variable that switches fast mode on.
FAST_ENV = "LESSONS_FAST"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

T = TypeVar("T")


def fast_mode() -> bool:
    """Return whether fast mode is on.

    Returns
    -------
    bool
        True when ``LESSONS_FAST`` is set to ``1``, ``true``, ``yes`` or ``on``
        (any case); False when unset or set to ``0``, ``false``, ``no``, ``off``.

    Raises
    ------
    ValueError
        If the variable holds anything else, so that a typo never silently runs
        a page at the wrong settings.

    Examples
    --------
    >>> import os
    >>> os.environ["LESSONS_FAST"] = "1"
    >>> fast_mode()
    True
    >>> del os.environ["LESSONS_FAST"]
    """
    value = os.environ.get(FAST_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    msg = (
        f"{FAST_ENV}={os.environ[FAST_ENV]!r} is not understood: set it to 1 "
        "for fast mode or 0 (or leave it unset) for full settings."
    )
    raise ValueError(msg)


def by_mode(full: T, fast: T) -> T:
    """Pick the value for the current mode.

    Parameters
    ----------
    full
        Value used at full settings (book build, the numbers quoted in pages).
    fast
        Value used in fast mode (tests).

    Returns
    -------
    object
        ``fast`` in fast mode, ``full`` otherwise.

    Examples
    --------
    >>> by_mode(full=30_000, fast=2_000)
    30000
    """
    chosen = fast if fast_mode() else full
    log.debug("by_mode picked %r (fast mode: %s)", chosen, fast_mode())
    return chosen


def torch_device() -> str:
    """Return ``"cuda"`` when a CUDA device is visible, else ``"cpu"``.

    Pages never hard-code a device; this keeps them runnable on a laptop CPU, on
    Colab with a GPU, and in the CPU-only build environment.
    """
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
