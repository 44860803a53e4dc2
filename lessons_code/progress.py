"""Progress bars that show where someone is watching, and stay silent elsewhere.

A bar is drawn as a notebook widget when the code runs in a Jupyter kernel with
``ipywidgets`` installed (Colab, most JupyterLab set-ups), as a text bar when
standard error is a terminal, and not at all otherwise. In particular the book
build executes the pages in a kernel without widgets and with standard error
captured: a text bar there would land in the page as stray standard-error output
(which the build treats as an error), so it is switched off.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

from tqdm import tqdm as text_tqdm


def _in_kernel() -> bool:
    """Whether the code runs inside an IPython kernel (a notebook)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython()  # type: ignore[attr-defined]
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def bar_kind() -> str:
    """Which bar :func:`progress_bar` draws here: widget, text or none.

    Returns
    -------
    str
        ``"widget"`` in a notebook kernel with ``ipywidgets``; ``"text"`` when
        standard error is a terminal; ``"none"`` otherwise.
    """
    if _in_kernel():
        return "widget" if importlib.util.find_spec("ipywidgets") else "none"
    stream = sys.stderr
    return "text" if stream is not None and stream.isatty() else "none"


def progress_bar(*args: Any, enabled: bool = True, **kwargs: Any) -> Any:
    """A tqdm bar of the kind that suits the place the code runs in.

    Parameters
    ----------
    *args, **kwargs
        Passed to ``tqdm`` (an iterable, ``total``, ``desc``, ``leave``, ...).
    enabled
        Set False to switch the bar off whatever the place.

    Returns
    -------
    tqdm.tqdm
        A bar, disabled where no one can see it.
    """
    kind = bar_kind() if enabled else "none"
    if kind == "widget":
        from tqdm.notebook import tqdm as widget_tqdm

        return widget_tqdm(*args, **kwargs)
    kwargs["disable"] = kind == "none" or kwargs.get("disable", False)
    return text_tqdm(*args, **kwargs)
