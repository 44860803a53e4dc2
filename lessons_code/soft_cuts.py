"""Optimise a selection by gradient ascent through a smooth relaxation of the cut.

A mass window ``lo < m < hi`` keeps an event or not: its expected significance is
a step function of ``lo`` and ``hi``, with zero gradient almost everywhere. We
replace each step by a sigmoid of width ``tau``, so every event contributes a
weight between 0 and 1, the expected signal and background yields become smooth
functions of the window, and so does the significance. Autodiff then gives its
gradient, and an optimiser moves the window. This is the simplest case of the
idea behind end-to-end optimised analyses such as neos (arXiv:2203.05570).

Units: masses and widths in GeV; yields are expected numbers of events.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MassPeakToy:
    """A Gaussian signal peak on a falling exponential background.

    Parameters
    ----------
    mass_gev
        Centre of the signal peak [GeV].
    width_gev
        Gaussian width of the peak [GeV] (detector resolution).
    slope_gev
        Decay length of the background spectrum ``exp(-m / slope)`` [GeV].
    m_min_gev, m_max_gev
        Range of the spectrum [GeV].
    n_sig_expected, n_bkg_expected
        Expected yields in the whole range before any cut [events].
    """

    mass_gev: float = 125.0
    width_gev: float = 2.0
    slope_gev: float = 30.0
    m_min_gev: float = 100.0
    m_max_gev: float = 160.0
    n_sig_expected: float = 100.0
    n_bkg_expected: float = 5000.0

    def sample(self, n_mc: int, seed: int = 0) -> dict[str, np.ndarray]:
        """Draw weighted simulated events of each process.

        Parameters
        ----------
        n_mc
            Number of simulated events per process.
        seed
            Seed of the random generator.

        Returns
        -------
        dict of str to numpy.ndarray
            ``"m_sig_gev"``, ``"m_bkg_gev"``: masses, shape ``(n_mc,)`` each;
            ``"w_sig"``, ``"w_bkg"``: per-event weights (expected events per
            simulated event), shape ``(n_mc,)`` each.

        Raises
        ------
        ValueError
            If ``n_mc`` is not positive.
        """
        if n_mc <= 0:
            msg = f"n_mc must be positive, got {n_mc}."
            raise ValueError(msg)
        rng = np.random.default_rng(seed)
        m_sig = rng.normal(self.mass_gev, self.width_gev, n_mc)
        # Inverse-CDF sampling of a truncated exponential on [m_min, m_max].
        span = 1.0 - np.exp(-(self.m_max_gev - self.m_min_gev) / self.slope_gev)
        u = rng.uniform(0.0, 1.0, n_mc)
        m_bkg = self.m_min_gev - self.slope_gev * np.log1p(-u * span)
        return {
            "m_sig_gev": m_sig,
            "m_bkg_gev": m_bkg,
            "w_sig": np.full(n_mc, self.n_sig_expected / n_mc),
            "w_bkg": np.full(n_mc, self.n_bkg_expected / n_mc),
        }


def asimov_significance(s: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Median discovery significance ``sqrt(2((s + b) ln(1 + s/b) - s))``.

    The Asimov formula of Cowan, Cranmer, Gross and Vitells (arXiv:1007.1727,
    eq. 97) for a counting experiment with known background.

    Parameters
    ----------
    s, b
        Expected signal and background yields [events], broadcastable tensors;
        ``b`` must be positive.

    Returns
    -------
    torch.Tensor
        The significance [standard deviations], differentiable in ``s`` and ``b``.

    Examples
    --------
    >>> round(float(asimov_significance(torch.tensor(10.0), torch.tensor(100.0))), 3)
    0.984
    """
    return torch.sqrt(2.0 * ((s + b) * torch.log1p(s / b) - s))


def window_weights(
    m_gev: torch.Tensor, lo_gev: torch.Tensor, hi_gev: torch.Tensor, tau_gev: float
) -> torch.Tensor:
    """Soft membership of each event in the window ``lo < m < hi``.

    Parameters
    ----------
    m_gev
        Masses [GeV], shape ``(N,)``.
    lo_gev, hi_gev
        Window edges [GeV], scalar tensors.
    tau_gev
        Width of the sigmoid edges [GeV]; as it goes to 0 the weights become
        the hard cut's 0 or 1.

    Returns
    -------
    torch.Tensor
        Weights in (0, 1), shape ``(N,)``.

    Raises
    ------
    ValueError
        If ``tau_gev`` is not positive.
    """
    if tau_gev <= 0:
        msg = (
            f"tau_gev must be positive (use hard_yields for a hard cut), got {tau_gev}."
        )
        raise ValueError(msg)
    return torch.sigmoid((m_gev - lo_gev) / tau_gev) * torch.sigmoid(
        (hi_gev - m_gev) / tau_gev
    )


def soft_significance(
    events: dict[str, np.ndarray],
    lo_gev: torch.Tensor,
    hi_gev: torch.Tensor,
    tau_gev: float,
) -> torch.Tensor:
    """Asimov significance of the soft window, differentiable in its edges.

    Parameters
    ----------
    events
        Output of :meth:`MassPeakToy.sample`.
    lo_gev, hi_gev
        Window edges [GeV], scalar tensors (with ``requires_grad=True`` to get
        the gradient).
    tau_gev
        Width of the sigmoid edges [GeV].

    Returns
    -------
    torch.Tensor
        The significance [standard deviations], a float64 scalar tensor.

    Examples
    --------
    >>> events = MassPeakToy().sample(1000, seed=0)
    >>> lo = torch.tensor(120.0, dtype=torch.float64, requires_grad=True)
    >>> z = soft_significance(events, lo, torch.tensor(130.0), tau_gev=1.0)
    >>> z.backward()
    >>> bool(lo.grad != 0)
    True
    """
    yields = []
    for proc in ("sig", "bkg"):
        m = torch.as_tensor(events[f"m_{proc}_gev"], dtype=torch.float64)
        w = torch.as_tensor(events[f"w_{proc}"], dtype=torch.float64)
        yields.append((w * window_weights(m, lo_gev, hi_gev, tau_gev)).sum())
    return asimov_significance(*yields)


def hard_significance(
    events: dict[str, np.ndarray], lo_gev: float, hi_gev: float
) -> float:
    """Asimov significance of the hard window ``lo < m < hi``.

    Parameters
    ----------
    events
        Output of :meth:`MassPeakToy.sample`.
    lo_gev, hi_gev
        Window edges [GeV].

    Returns
    -------
    float
        Significance [standard deviations]; 0 if the window holds no background.
    """
    s = events["w_sig"][(events["m_sig_gev"] > lo_gev) & (events["m_sig_gev"] < hi_gev)]
    b = events["w_bkg"][(events["m_bkg_gev"] > lo_gev) & (events["m_bkg_gev"] < hi_gev)]
    if b.sum() <= 0:
        return 0.0
    return float(asimov_significance(torch.tensor(s.sum()), torch.tensor(b.sum())))


def optimise_window(
    events: dict[str, np.ndarray],
    start_gev: tuple[float, float] = (105.0, 150.0),
    tau_gev: float = 1.0,
    n_steps: int = 300,
    lr_gev: float = 0.5,
) -> dict[str, np.ndarray]:
    """Move a mass window by Adam to maximise the soft Asimov significance.

    Parameters
    ----------
    events
        Output of :meth:`MassPeakToy.sample`.
    start_gev
        Initial ``(lo, hi)`` [GeV].
    tau_gev
        Width of the sigmoid edges [GeV].
    n_steps
        Number of Adam steps.
    lr_gev
        Adam learning rate; with Adam it is roughly the largest move of an
        edge per step [GeV].

    Returns
    -------
    dict of str to numpy.ndarray
        ``"lo_gev"``, ``"hi_gev"``: the window before each step and after the
        last, shape ``(n_steps + 1,)``; ``"z_soft"``: the soft significance
        and ``"z_hard"``: the hard-cut significance of the same window, shape
        ``(n_steps + 1,)`` each.
    """
    edges = torch.tensor(start_gev, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([edges], lr=lr_gev)
    rows = []
    for step in range(n_steps + 1):
        z = soft_significance(events, edges[0], edges[1], tau_gev)
        lo, hi = (float(v) for v in edges.detach())
        rows.append((lo, hi, z.item(), hard_significance(events, lo, hi)))
        if step == n_steps:
            break
        opt.zero_grad()
        (-z).backward()  # ascend the significance
        opt.step()
    out = np.asarray(rows)
    log.info("window [%.2f, %.2f] GeV, Z = %.3f", out[-1, 0], out[-1, 1], out[-1, 3])
    return {
        "lo_gev": out[:, 0],
        "hi_gev": out[:, 1],
        "z_soft": out[:, 2],
        "z_hard": out[:, 3],
    }


def grid_scan(
    events: dict[str, np.ndarray], lo_gev: np.ndarray, hi_gev: np.ndarray
) -> np.ndarray:
    """Hard-cut significance on a grid of windows, the brute-force reference.

    Parameters
    ----------
    events
        Output of :meth:`MassPeakToy.sample`.
    lo_gev, hi_gev
        Candidate lower and upper edges [GeV], shapes ``(L,)`` and ``(H,)``.

    Returns
    -------
    numpy.ndarray
        Significance [standard deviations], shape ``(L, H)``; 0 where
        ``lo >= hi``.
    """
    z = np.zeros((len(lo_gev), len(hi_gev)))
    for i, lo in enumerate(lo_gev):
        for j, hi in enumerate(hi_gev):
            if lo < hi:
                z[i, j] = hard_significance(events, float(lo), float(hi))
    return z
