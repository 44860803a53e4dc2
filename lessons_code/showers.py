"""A toy longitudinal calorimeter: shower energy per layer, for unsupervised demos.

The mean longitudinal profile of an electromagnetic shower is well described by a
gamma distribution in depth ``t`` (radiation lengths),
``dE/dt = E b (b t)^(a-1) exp(-b t) / Gamma(a)`` (Longo and Sestili, Nucl. Instrum.
Meth. 128 (1975) 283; the parameterisation in the Review of Particle Physics,
section "Passage of particles through matter"). We sample the total energy and the
shape parameter per shower, integrate the profile over layers and add Gaussian
noise. The toy has two hidden factors (energy, shape), so its 10 layer energies
lie close to a two-dimensional surface: a good test of PCA and autoencoders.
It is a teaching toy: no fluctuations of the shower development, no sampling
fraction, no lateral profile.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.stats import gamma

log = logging.getLogger(__name__)

#: Layer boundaries in radiation lengths: 10 layers of 2 X0 each.
LAYER_EDGES_X0 = np.arange(0.0, 21.0, 2.0)
#: Slope parameter b of the profile (per radiation length).
SLOPE_B = 0.5


def shower_energies(
    n: int,
    rng: np.random.Generator,
    start_x0: float = 0.0,
    noise_gev: float = 0.2,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample layer energies of ``n`` toy showers.

    Parameters
    ----------
    n
        Number of showers.
    rng
        Random generator.
    start_x0
        Depth at which the showers start, in radiation lengths (0 for photons
        and electrons; a positive value mimics a late-starting, anomalous shower).
    noise_gev
        Standard deviation of the electronic noise per layer, GeV.

    Returns
    -------
    energies_gev : np.ndarray
        Energy in each layer, shape ``(n, 10)``, GeV.
    factors : np.ndarray
        The hidden factors, shape ``(n, 2)``: total energy (GeV) and shape ``a``.

    Raises
    ------
    ValueError
        If ``start_x0`` is negative.

    Examples
    --------
    >>> e, f = shower_energies(3, np.random.default_rng(0))
    >>> e.shape, f.shape
    ((3, 10), (3, 2))
    """
    if start_x0 < 0:
        msg = f"start_x0={start_x0} X0 is negative; showers start at depth >= 0."
        raise ValueError(msg)
    energy = rng.uniform(10.0, 100.0, n)
    shape_a = rng.uniform(3.0, 6.0, n)
    edges = np.clip(LAYER_EDGES_X0 - start_x0, 0.0, None)  # depth after the start
    cdf = gamma.cdf(SLOPE_B * edges[None, :], shape_a[:, None])  # (n, 11)
    fractions = np.diff(cdf, axis=1)  # (n, 10), leakage beyond 20 X0 is lost
    energies = energy[:, None] * fractions + noise_gev * rng.normal(size=(n, 10))
    return energies, np.stack([energy, shape_a], axis=1)
