"""A simple, documented detector model applied to Pythia's final-state particles.

The model is a parametrised smearing in the spirit of fast simulation: acceptance,
efficiencies and resolutions are functions of transverse momentum and
pseudorapidity, with numbers taken from published performance papers of the CMS
and ATLAS detectors (each constant carries its source and arXiv identifier). Every
function that draws random numbers takes a :class:`numpy.random.Generator`, so the
result is fixed by the seed.

What the model does not do: no magnetic-field curvature (tracks are straight lines
from their production vertex, so impact parameters are purely geometric), no
material interactions (no photon conversions, nuclear interactions or multiple
scattering beyond what the resolutions encode), no fake tracks, no pile-up, no
calorimeter clustering or shower overlap (each particle is smeared on its own), no
track-to-track correlations in the vertex fit, and the primary vertex sits at the
origin without beam-spot spread.

Units: GeV for energies and momenta, mm for lengths.
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# Tracker. Source: CMS Collaboration, "Description and performance of track and
# primary-vertex reconstruction with the CMS tracker", JINST 9 (2014) P10009,
# arXiv:1405.6569 (values read approximately from its figures, |eta| < 0.9 unless
# stated).
# ---------------------------------------------------------------------------

#: Tracker acceptance in |eta| (arXiv:1405.6569, Sect. 1).
TRACKER_ETA_MAX = 2.5
#: Lowest reconstructed track pT [GeV] (arXiv:1405.6569, Sect. 4, iterative tracking).
TRACK_PT_MIN_GEV = 0.5
#: Efficiency for charged hadrons in the barrel, |eta| < 1.5 (arXiv:1405.6569,
#: Fig. 12: about 0.9 for pions with pT > 1 GeV in ttbar events).
TRACK_EFF_BARREL = 0.90
#: Efficiency for charged hadrons in the endcaps, 1.5 < |eta| < 2.5
#: (arXiv:1405.6569, Fig. 12: about 0.85).
TRACK_EFF_ENDCAP = 0.85
#: Relative pT resolution, constant term (arXiv:1405.6569, Fig. 14: about 0.7%
#: for 1-10 GeV muons in the barrel).
TRACK_PT_RES_CONST = 0.007
#: Relative pT resolution, term proportional to pT [1/GeV] (arXiv:1405.6569,
#: Fig. 14: about 1.5% at 100 GeV in the barrel).
TRACK_PT_RES_SLOPE_PER_GEV = 0.00013
#: Transverse impact-parameter resolution, high-pT limit [mm] (arXiv:1405.6569,
#: Fig. 15: about 10 micrometres at 100 GeV in the barrel).
D0_RES_CONST_MM = 0.010
#: Transverse impact-parameter resolution, multiple-scattering term [mm GeV]
#: (arXiv:1405.6569, Fig. 15: about 90-100 micrometres at 1 GeV in the barrel).
D0_RES_MS_MM_GEV = 0.095
#: Longitudinal impact-parameter resolution, high-pT limit [mm]
#: (arXiv:1405.6569, Fig. 15: about 30 micrometres at 100 GeV in the barrel).
Z0_RES_CONST_MM = 0.030
#: Longitudinal impact-parameter resolution, multiple-scattering term [mm GeV]
#: (arXiv:1405.6569, Fig. 15: about 150 micrometres at 1 GeV in the barrel).
Z0_RES_MS_MM_GEV = 0.150

# Track-quality selection for heavy-flavour tagging. Source: CMS Collaboration,
# "Identification of heavy-flavour jets with the CMS detector in pp collisions at
# 13 TeV", JINST 13 (2018) P05011, arXiv:1712.07158, Sect. 3 (tracks must have
# pixel hits and a small impact parameter; displaced decays of long-lived strange
# hadrons are removed).

#: Largest |d0| of a tagging track [mm] (arXiv:1712.07158: 0.2 cm).
TAG_TRACK_D0_MAX_MM = 2.0
#: Largest transverse distance of the production vertex from the beam line [mm]
#: (arXiv:1712.07158: decay length below 5 cm, which keeps the pixel hits).
TAG_TRACK_RADIUS_MAX_MM = 50.0

# ---------------------------------------------------------------------------
# Calorimeters. Source: CMS Collaboration, "Particle-flow reconstruction and global
# event description with the CMS detector", JINST 12 (2017) P10003,
# arXiv:1706.04965, Sect. 2 (summary of the calorimeter test-beam resolutions).
# ---------------------------------------------------------------------------

#: Calorimeter acceptance in |eta| including the forward calorimeter
#: (arXiv:1706.04965, Sect. 2: coverage up to |eta| = 5).
CALO_ETA_MAX = 5.0
#: Electromagnetic stochastic term [sqrt(GeV)] (arXiv:1706.04965, Sect. 2.2:
#: 2.8%/sqrt(E)).
ECAL_STOCHASTIC = 0.028
#: Electromagnetic noise term [GeV] (arXiv:1706.04965, Sect. 2.2: 12%/E).
ECAL_NOISE_GEV = 0.12
#: Electromagnetic constant term (arXiv:1706.04965, Sect. 2.2: 0.3%).
ECAL_CONSTANT = 0.003
#: Hadronic (ECAL+HCAL) stochastic term [sqrt(GeV)] for neutral hadrons
#: (arXiv:1706.04965, Sect. 2.3: about 110%/sqrt(E) in the barrel).
HCAL_STOCHASTIC = 1.10
#: Hadronic constant term (arXiv:1706.04965, Sect. 2.3: about 9%).
HCAL_CONSTANT = 0.09

# Particle classes used by :func:`smear_particles`.
_NEUTRINOS = (12, 14, 16)
_EM_NEUTRAL = (22,)
_ELECTRON = 11
_MUON = 13


def _sin_theta(eta: np.ndarray) -> np.ndarray:
    return 1.0 / np.cosh(eta)


def track_efficiency(pt_gev: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Probability to reconstruct a charged particle as a track.

    Parameters
    ----------
    pt_gev
        Transverse momentum [GeV], any shape.
    eta
        Pseudorapidity, same shape.

    Returns
    -------
    numpy.ndarray
        Efficiency in [0, 1], same shape: zero outside the acceptance or below the
        pT threshold, :data:`TRACK_EFF_BARREL` for |eta| < 1.5 and
        :data:`TRACK_EFF_ENDCAP` up to :data:`TRACKER_ETA_MAX`.

    Examples
    --------
    >>> track_efficiency(np.array([5.0, 5.0, 0.1]), np.array([0.0, 3.0, 0.0]))
    array([0.9, 0. , 0. ])
    """
    pt_gev = np.asarray(pt_gev, dtype=np.float64)
    abs_eta = np.abs(np.asarray(eta, dtype=np.float64))
    eff = np.where(abs_eta < 1.5, TRACK_EFF_BARREL, TRACK_EFF_ENDCAP)
    inside = (abs_eta < TRACKER_ETA_MAX) & (pt_gev >= TRACK_PT_MIN_GEV)
    return np.where(inside, eff, 0.0)


def select_tracks(
    pt_gev: np.ndarray, eta: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw which charged particles are reconstructed as tracks.

    Parameters
    ----------
    pt_gev, eta
        Transverse momentum [GeV] and pseudorapidity of charged particles, 1-d.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        Boolean mask, shape of ``pt_gev``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> select_tracks(np.array([5.0]), np.array([3.0]), rng)
    array([False])
    """
    return rng.random(np.shape(pt_gev)) < track_efficiency(pt_gev, eta)


def track_pt_resolution(pt_gev: np.ndarray) -> np.ndarray:
    """Relative track pT resolution sigma(pT)/pT.

    Parameters
    ----------
    pt_gev
        Transverse momentum [GeV].

    Returns
    -------
    numpy.ndarray
        Dimensionless relative resolution, same shape.

    Examples
    --------
    >>> float(track_pt_resolution(np.array(100.0)).round(3))
    0.015
    """
    pt_gev = np.asarray(pt_gev, dtype=np.float64)
    return np.hypot(TRACK_PT_RES_CONST, TRACK_PT_RES_SLOPE_PER_GEV * pt_gev)


def d0_resolution_mm(pt_gev: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Transverse impact-parameter resolution.

    sigma(d0) = a (+) b / (pT sqrt(sin theta)), added in quadrature, the usual
    form for a high-pT limit plus multiple scattering.

    Parameters
    ----------
    pt_gev, eta
        Transverse momentum [GeV] and pseudorapidity, same shape.

    Returns
    -------
    numpy.ndarray
        Resolution [mm], same shape.

    Examples
    --------
    >>> float(d0_resolution_mm(np.array(1.0), np.array(0.0)).round(3))
    0.096
    """
    pt_gev = np.asarray(pt_gev, dtype=np.float64)
    ms = D0_RES_MS_MM_GEV / (pt_gev * np.sqrt(_sin_theta(np.asarray(eta))))
    return np.hypot(D0_RES_CONST_MM, ms)


def z0_resolution_mm(pt_gev: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Longitudinal impact-parameter resolution.

    sigma(z0) = a (+) b / (pT sin(theta)^(3/2)): the longitudinal resolution grows
    faster with |eta| than the transverse one.

    Parameters
    ----------
    pt_gev, eta
        Transverse momentum [GeV] and pseudorapidity, same shape.

    Returns
    -------
    numpy.ndarray
        Resolution [mm], same shape.

    Examples
    --------
    >>> float(z0_resolution_mm(np.array(100.0), np.array(0.0)).round(3))
    0.03
    """
    pt_gev = np.asarray(pt_gev, dtype=np.float64)
    ms = Z0_RES_MS_MM_GEV / (pt_gev * _sin_theta(np.asarray(eta)) ** 1.5)
    return np.hypot(Z0_RES_CONST_MM, ms)


def impact_parameters_mm(
    x_mm: np.ndarray,
    y_mm: np.ndarray,
    z_mm: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    pz: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """True impact parameters of straight tracks with respect to the origin.

    Parameters
    ----------
    x_mm, y_mm, z_mm
        Production vertex [mm], 1-d.
    px, py, pz
        Momentum [GeV], same shape.

    Returns
    -------
    d0_mm, z0_mm
        Signed transverse distance of closest approach to the beam line,
        d0 = (x py - y px) / pT, and the z of that point [mm].

    Examples
    --------
    >>> d0, z0 = impact_parameters_mm(*map(np.array, ([1.0], [0.0], [2.0],
    ...                                                 [0.0], [1.0], [1.0])))
    >>> float(d0[0]), float(z0[0])
    (1.0, 2.0)
    """
    pt = np.hypot(px, py)
    d0 = (x_mm * py - y_mm * px) / pt
    along = (x_mm * px + y_mm * py) / pt
    z0 = z_mm - along * pz / pt
    return d0, z0


def smear_impact_parameters(
    d0_mm: np.ndarray,
    z0_mm: np.ndarray,
    pt_gev: np.ndarray,
    eta: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian smearing of the impact parameters with the tracker resolution.

    Parameters
    ----------
    d0_mm, z0_mm
        True impact parameters [mm], 1-d.
    pt_gev, eta
        Track transverse momentum [GeV] and pseudorapidity, same shape.
    rng
        Random generator.

    Returns
    -------
    d0_mm, z0_mm, sigma_d0_mm, sigma_z0_mm
        Smeared impact parameters and their resolutions [mm].

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> out = smear_impact_parameters(np.zeros(3), np.zeros(3), np.ones(3),
    ...                               np.zeros(3), rng)
    >>> out[2].round(3)
    array([0.096, 0.096, 0.096])
    """
    sd0 = d0_resolution_mm(pt_gev, eta)
    sz0 = z0_resolution_mm(pt_gev, eta)
    n = np.shape(d0_mm)
    return (
        d0_mm + sd0 * rng.standard_normal(n),
        z0_mm + sz0 * rng.standard_normal(n),
        sd0,
        sz0,
    )


def tagging_track_quality(
    d0_mm: np.ndarray, x_mm: np.ndarray, y_mm: np.ndarray
) -> np.ndarray:
    """Track-quality selection of tracks used for heavy-flavour tagging.

    Parameters
    ----------
    d0_mm
        Measured transverse impact parameter [mm].
    x_mm, y_mm
        True production vertex in the transverse plane [mm] (stands in for the
        requirement of hits in the pixel detector).

    Returns
    -------
    numpy.ndarray
        Boolean mask, True for tracks that pass.

    Examples
    --------
    >>> tagging_track_quality(np.array([0.1, 5.0]), np.zeros(2), np.zeros(2))
    array([ True, False])
    """
    radius = np.hypot(x_mm, y_mm)
    return (np.abs(d0_mm) < TAG_TRACK_D0_MAX_MM) & (radius < TAG_TRACK_RADIUS_MAX_MM)


def calorimeter_resolution(
    energy_gev: np.ndarray, electromagnetic: np.ndarray
) -> np.ndarray:
    """Relative calorimeter energy resolution sigma(E)/E.

    Parameters
    ----------
    energy_gev
        Energy [GeV].
    electromagnetic
        Boolean, same shape: True for photons and electrons (ECAL), False for
        neutral hadrons (ECAL + HCAL).

    Returns
    -------
    numpy.ndarray
        Dimensionless relative resolution, same shape.

    Examples
    --------
    >>> e = np.array([100.0, 100.0])
    >>> calorimeter_resolution(e, np.array([True, False])).round(3)
    array([0.004, 0.142])
    """
    e = np.maximum(np.asarray(energy_gev, dtype=np.float64), 1e-3)
    em = np.sqrt(
        (ECAL_STOCHASTIC / np.sqrt(e)) ** 2
        + (ECAL_NOISE_GEV / e) ** 2
        + ECAL_CONSTANT**2
    )
    had = np.hypot(HCAL_STOCHASTIC / np.sqrt(e), HCAL_CONSTANT)
    return np.where(electromagnetic, em, had)


def smear_particles(
    pt_gev: np.ndarray,
    eta: np.ndarray,
    pid: np.ndarray,
    charge: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reconstructed transverse momenta of final-state particles (jet inputs).

    Charged particles inside the tracker and above its threshold take the track
    resolution (and the tracking efficiency); everything else visible is measured
    by the calorimeters: photons and electrons with the electromagnetic, other
    neutral or lost charged particles with the hadronic resolution. Neutrinos and
    particles beyond :data:`CALO_ETA_MAX` are dropped. Directions are kept.

    Parameters
    ----------
    pt_gev, eta
        Particle transverse momentum [GeV] and pseudorapidity, 1-d.
    pid
        PDG identifier, same shape.
    charge
        Electric charge [e], same shape.
    rng
        Random generator.

    Returns
    -------
    pt_gev, visible, tracked
        Smeared transverse momentum [GeV] (non-negative), a boolean mask of the
        particles that reach the jet clustering, and a boolean mask of the
        charged particles reconstructed as tracks.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pt, vis, trk = smear_particles(np.array([10.0, 10.0]), np.zeros(2),
    ...                           np.array([211, 12]), np.array([1.0, 0.0]), rng)
    >>> vis
    array([ True, False])
    """
    pt_gev = np.asarray(pt_gev, dtype=np.float64)
    abs_pid = np.abs(pid)
    abs_eta = np.abs(eta)
    visible = ~np.isin(abs_pid, _NEUTRINOS) & (abs_eta < CALO_ETA_MAX)
    charged = charge != 0
    tracked = charged & select_tracks(pt_gev, eta, rng)
    energy = pt_gev * np.cosh(eta)
    em = np.isin(abs_pid, _EM_NEUTRAL) | (abs_pid == _ELECTRON)
    rel = np.where(
        tracked, track_pt_resolution(pt_gev), calorimeter_resolution(energy, em)
    )
    # Muons that are not tracked leave only a minimum-ionising deposit: drop them.
    visible &= ~((abs_pid == _MUON) & ~tracked)
    smeared = pt_gev * (1.0 + rel * rng.standard_normal(pt_gev.shape))
    return np.maximum(smeared, 0.0), visible, tracked


# ---------------------------------------------------------------------------
# Leptons, missing transverse momentum and b-tagging (event-level samples) follow.
# ---------------------------------------------------------------------------

# Leptons. Sources: CMS Collaboration, "Performance of the CMS muon detector and muon
# reconstruction with proton-proton collisions at sqrt(s) = 13 TeV", JINST 13 (2018)
# P06015, arXiv:1804.04528; CMS Collaboration, "Electron and photon reconstruction
# and identification with the CMS experiment at the CERN LHC", JINST 16 (2021)
# P05014, arXiv:2012.06888. Values are read approximately from their figures and
# describe identification plus isolation with loose, soft-lepton criteria.

#: Muon acceptance in |eta| (arXiv:1804.04528, Sect. 2: muon system up to 2.4).
MUON_ETA_MAX = 2.4
#: Electron acceptance in |eta| (arXiv:2012.06888, Sect. 2: tracker coverage 2.5).
ELECTRON_ETA_MAX = 2.5
#: Muon identification efficiency above 10 GeV (arXiv:1804.04528, Fig. 16: about
#: 0.95 for the loose and soft identifications).
MUON_EFF_PLATEAU = 0.95
#: Muon efficiency for 3-10 GeV (arXiv:1804.04528, Fig. 17: soft-muon
#: identification in J/psi events, about 0.85).
MUON_EFF_LOW = 0.85
#: Electron efficiency above 20 GeV (arXiv:2012.06888, Fig. 20: about 0.85 for
#: the loose working point).
ELECTRON_EFF_PLATEAU = 0.85
#: Electron efficiency for 5-10 GeV (arXiv:2012.06888, Fig. 20: about 0.55,
#: rising with pT).
ELECTRON_EFF_LOW = 0.55
#: Electron efficiency for 10-20 GeV (arXiv:2012.06888, Fig. 20: about 0.70).
ELECTRON_EFF_MID = 0.70


def lepton_efficiency(
    pt_gev: np.ndarray, eta: np.ndarray, abs_pid: np.ndarray
) -> np.ndarray:
    """Probability to reconstruct and identify a prompt electron or muon.

    Step functions of pT per flavour (constants above) inside the acceptance;
    zero outside it and below 3 GeV (muons) or 5 GeV (electrons).

    Parameters
    ----------
    pt_gev, eta
        Lepton transverse momentum [GeV] and pseudorapidity, 1-d.
    abs_pid
        |PDG id|, 11 or 13, same shape.

    Returns
    -------
    numpy.ndarray
        Efficiency in [0, 1], same shape.

    Examples
    --------
    >>> lepton_efficiency(np.array([5.0, 50.0]), np.zeros(2), np.array([13, 11]))
    array([0.85, 0.85])
    """
    pt_gev = np.asarray(pt_gev, dtype=np.float64)
    abs_eta = np.abs(np.asarray(eta, dtype=np.float64))
    muon = np.where(pt_gev < 10.0, MUON_EFF_LOW, MUON_EFF_PLATEAU)
    muon = np.where((pt_gev >= 3.0) & (abs_eta < MUON_ETA_MAX), muon, 0.0)
    electron = np.select(
        [pt_gev < 5.0, pt_gev < 10.0, pt_gev < 20.0],
        [0.0, ELECTRON_EFF_LOW, ELECTRON_EFF_MID],
        ELECTRON_EFF_PLATEAU,
    )
    electron = np.where(abs_eta < ELECTRON_ETA_MAX, electron, 0.0)
    return np.where(np.asarray(abs_pid) == _MUON, muon, electron)


def lepton_pt_resolution(
    pt_gev: np.ndarray, eta: np.ndarray, abs_pid: np.ndarray
) -> np.ndarray:
    """Relative pT resolution of electrons and muons.

    Muons take the tracker resolution (:func:`track_pt_resolution`, which the muon
    system improves only above a few hundred GeV, arXiv:1804.04528, Fig. 21);
    electrons the electromagnetic-calorimeter resolution of their energy.

    Parameters
    ----------
    pt_gev, eta
        Transverse momentum [GeV] and pseudorapidity, 1-d.
    abs_pid
        |PDG id|, 11 or 13, same shape.

    Returns
    -------
    numpy.ndarray
        Dimensionless sigma(pT)/pT, same shape.

    Examples
    --------
    >>> lepton_pt_resolution(np.array([100.0]), np.zeros(1), np.array([13])).round(3)
    array([0.015])
    """
    pt_gev = np.asarray(pt_gev, dtype=np.float64)
    energy = pt_gev * np.cosh(np.asarray(eta, dtype=np.float64))
    em = calorimeter_resolution(energy, np.ones(np.shape(pt_gev), dtype=bool))
    return np.where(np.asarray(abs_pid) == _MUON, track_pt_resolution(pt_gev), em)


# Lepton isolation and prompt-lepton requirements. Source: CMS Collaboration,
# "Search for top squarks in the four-body decay mode with single lepton final
# states in proton-proton collisions at sqrt(s) = 13 TeV", JHEP 06 (2023) 060,
# arXiv:2301.08096, Sect. 4 (soft leptons: absolute isolation below 5 GeV for
# pT < 25 GeV, relative isolation below 0.2 above; |dxy| < 0.2 mm, |dz| < 0.5 mm).

#: Isolation cone radius.
ISOLATION_CONE = 0.3
#: Largest absolute isolation [GeV] (arXiv:2301.08096).
ISOLATION_ABS_MAX_GEV = 5.0
#: Largest relative isolation (arXiv:2301.08096).
ISOLATION_REL_MAX = 0.2
#: pT [GeV] below which the absolute isolation applies (arXiv:2301.08096).
ISOLATION_SWITCH_GEV = 25.0
#: Largest |d0| of a prompt lepton [mm] (arXiv:2301.08096).
LEPTON_D0_MAX_MM = 0.2
#: Largest |z0| of a prompt lepton [mm] (arXiv:2301.08096).
LEPTON_Z0_MAX_MM = 0.5


def is_isolated(iso_gev: np.ndarray, pt_gev: np.ndarray) -> np.ndarray:
    """Isolation requirement of the soft-lepton selection (arXiv:2301.08096).

    Parameters
    ----------
    iso_gev
        Scalar sum of the pT of the other visible particles within
        :data:`ISOLATION_CONE` of the lepton [GeV].
    pt_gev
        Lepton transverse momentum [GeV], same shape.

    Returns
    -------
    numpy.ndarray
        Boolean mask: absolute isolation below 5 GeV under 25 GeV of pT,
        relative isolation below 0.2 above.

    Examples
    --------
    >>> is_isolated(np.array([4.0, 4.0, 10.0]), np.array([5.0, 30.0, 30.0]))
    array([ True,  True, False])
    """
    pt_gev = np.asarray(pt_gev, dtype=np.float64)
    soft = iso_gev < ISOLATION_ABS_MAX_GEV
    hard = iso_gev < ISOLATION_REL_MAX * pt_gev
    return np.where(pt_gev < ISOLATION_SWITCH_GEV, soft, hard)


# b-tagging. Source: CMS Collaboration, "Identification of heavy-flavour jets with
# the CMS detector in pp collisions at 13 TeV", JINST 13 (2018) P05011,
# arXiv:1712.07158, Table 2 (DeepCSV working points in tt-bar events, jets with
# pT > 20 GeV): efficiencies for b, c and light jets at the loose, medium and
# tight working points. The efficiencies are taken independent of pT and eta.

#: Score thresholds of the loose, medium and tight working points (on the score
#: scale defined by :func:`btag_score`).
BTAG_THRESHOLDS = (0.2, 0.6, 0.9)
#: Tagging efficiency at the loose, medium and tight working points per truth
#: flavour label (0 light, 1 c, 2 b), arXiv:1712.07158, Table 2.
BTAG_EFFICIENCIES = {
    0: (0.10, 0.011, 0.001),
    1: (0.40, 0.12, 0.024),
    2: (0.84, 0.68, 0.50),
}
#: |eta| range of b-tagging (tracker acceptance, arXiv:1712.07158).
BTAG_ETA_MAX = 2.5


def btag_score(
    label: np.ndarray, eta: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Continuous b-tagging score drawn from the truth flavour of each jet.

    The score of a jet of flavour f is u mapped through a piecewise-linear
    inverse cumulative distribution whose nodes put exactly the fraction
    :data:`BTAG_EFFICIENCIES` [f] of jets above each threshold of
    :data:`BTAG_THRESHOLDS`; so cutting the score at a threshold reproduces the
    published efficiency and mistag rate of that working point. Jets outside
    :data:`BTAG_ETA_MAX` get 0. The shape between the nodes is a modelling
    choice, not a measurement.

    Parameters
    ----------
    label
        Truth flavour per jet: 0 light, 1 c, 2 b, 1-d.
    eta
        Jet pseudorapidity, same shape.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        Scores in [0, 1], same shape.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = btag_score(np.full(100_000, 2), np.zeros(100_000), rng)
    >>> round(float((s > BTAG_THRESHOLDS[1]).mean()), 2)
    0.68
    """
    label = np.asarray(label)
    u = rng.random(np.shape(label))
    score = np.zeros(np.shape(label))
    nodes_y = np.array([0.0, *BTAG_THRESHOLDS, 1.0])
    for flavour, effs in BTAG_EFFICIENCIES.items():
        nodes_x = np.array([0.0, *(1.0 - e for e in effs), 1.0])
        mine = label == flavour
        score[mine] = np.interp(u[mine], nodes_x, nodes_y)
    return np.where(np.abs(np.asarray(eta)) < BTAG_ETA_MAX, score, 0.0)


def missing_pt(
    px_gev: np.ndarray, py_gev: np.ndarray, event: np.ndarray, n_events: int
) -> tuple[np.ndarray, np.ndarray]:
    """Missing transverse momentum from the reconstructed visible particles.

    The negative vector sum of the smeared transverse momenta of all visible
    particles of each event (the particle-flow definition, arXiv:1706.04965,
    Sect. 9); its resolution follows from the per-particle resolutions.

    Parameters
    ----------
    px_gev, py_gev
        Smeared momentum components of the visible particles [GeV], 1-d.
    event
        Event index of each particle, same shape, values in [0, n_events).
    n_events
        Number of events.

    Returns
    -------
    met_gev, met_phi
        Magnitude [GeV] and azimuth [rad] per event, shape (n_events,).

    Examples
    --------
    >>> met, phi = missing_pt(np.array([10.0]), np.array([0.0]), np.array([0]), 1)
    >>> float(met[0]), round(abs(float(phi[0])), 3)
    (10.0, 3.142)
    """
    mx = -np.bincount(event, px_gev, n_events)
    my = -np.bincount(event, py_gev, n_events)
    return np.hypot(mx, my), np.arctan2(my, mx)
