"""The one plotting style of the course.

Every figure in the book goes through :func:`use_style` (a HEP style from mplhep,
with a neutral label, so no experiment's name appears on our simulated data) and
is finished with :func:`label_axes`, which refuses an axis without a label so a
figure cannot reach the site unlabelled.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import mplhep
import numpy as np
from matplotlib.axes import Axes

log = logging.getLogger(__name__)

#: Colour cycle used for the classes of a dataset, in a fixed order.
COLOURS: tuple[str, ...] = (
    "#3f90da",
    "#ffa90e",
    "#bd1f01",
    "#94a4a2",
    "#832db6",
    "#a96b59",
    "#e76300",
    "#b9ac70",
)


def use_style() -> None:
    """Apply the course style to matplotlib (HEP look, fixed colour cycle)."""
    plt.style.use(mplhep.style.ROOT)
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.8),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 14,
            "axes.prop_cycle": mpl.cycler(color=list(COLOURS)),
            "legend.frameon": False,
            "figure.autolayout": True,
        }
    )


def label_axes(
    ax: Axes,
    xlabel: str,
    ylabel: str,
    *,
    legend: bool | None = None,
    title: str | None = None,
) -> Axes:
    """Label both axes of ``ax`` and add a legend where there is more than one series.

    Parameters
    ----------
    ax
        The axes to finish.
    xlabel, ylabel
        Quantity and unit in brackets, e.g. ``"$p_T$ [GeV]"``; a dimensionless
        quantity says so, e.g. ``"$\\tau_{21}$ [dimensionless]"`` or ``"AUC"``.
    legend
        Force a legend on or off; by default one is drawn when the axes hold
        more than one labelled artist.
    title
        Optional title.

    Returns
    -------
    Axes
        The same axes, for chaining.

    Raises
    ------
    ValueError
        If a label is empty.
    """
    if not xlabel.strip() or not ylabel.strip():
        msg = "Every figure needs both axis labels with units; got an empty label."
        raise ValueError(msg)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    handles, _ = ax.get_legend_handles_labels()
    if legend or (legend is None and len(handles) > 1):
        ax.legend()
    return ax


def hist_by_class(
    ax: Axes,
    values: Sequence[np.ndarray],
    labels: Sequence[str],
    bins: np.ndarray | int = 40,
    weights: Sequence[np.ndarray] | None = None,
    density: bool = True,
) -> Axes:
    """Draw one step histogram per class on shared bins.

    Parameters
    ----------
    ax
        Axes to draw on.
    values
        One array per class, shape ``(n_i,)``, in the unit of the x axis.
    labels
        Legend label of each class.
    bins
        Bin edges, shape ``(n_bins + 1,)``, or a number of bins spanning all
        classes together.
    weights
        Optional per-event weights for each class, shapes matching ``values``.
    density
        Normalise each class to unit area (compare shapes) when True.

    Returns
    -------
    Axes
        The same axes.
    """
    if len(values) != len(labels):
        msg = f"{len(values)} arrays but {len(labels)} labels: give one label each."
        raise ValueError(msg)
    if isinstance(bins, int):
        finite = np.concatenate([np.asarray(v)[np.isfinite(v)] for v in values])
        bins = np.linspace(finite.min(), finite.max(), bins + 1)
    for i, (v, label) in enumerate(zip(values, labels, strict=True)):
        w = None if weights is None else weights[i]
        ax.hist(v, bins=bins, weights=w, density=density, histtype="step",
                linewidth=1.8, label=label, color=COLOURS[i % len(COLOURS)])
    return ax
