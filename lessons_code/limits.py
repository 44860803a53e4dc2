"""Expected upper limits on a signal strength with pyhf, from weighted events.

The chain used by the exercises goes from simulated events to a limit:

1. each simulated event carries ``weight_pb``, its cross section in pb, so that
   its expected yield at an integrated luminosity ``lumi_ifb`` [fb^-1] is
   ``weight_pb * lumi_ifb * 1000`` (:func:`event_yields`);
2. a cut on a classifier score (chosen on the validation split with
   :func:`choose_threshold`) and a few bins above it
   (:func:`signal_region_edges`) turn events into yields per bin
   (:func:`binned_yields`);
3. :func:`build_model` writes a one-channel pyhf model: the signal scaled by the
   signal strength ``mu``, the background with one normalisation uncertainty
   (20 % by default) common to all bins, optionally a Monte Carlo statistical
   uncertainty per bin;
4. :func:`expected_upper_limit` computes, on the background-only Asimov data set,
   the expected 95 % CL upper limit on ``mu`` with the CLs method, its +-1 and
   +-2 sigma bands, and a scan of CLs against ``mu`` for the "Brazil" plot
   (:func:`plot_brazil`).

The statistics follow the asymptotic formulae of Cowan, Cranmer, Gross and
Vitells, arXiv:1007.1727, with the test statistic q~_mu and the CLs method
(A. L. Read, J. Phys. G 28 (2002) 2693); pyhf (Heinrich et al., JOSS 6 (2021)
2823), an implementation of the HistFactory model (CERN-OPEN-2012-016), does
the fits.

Examples
--------
>>> result = expected_upper_limit([10.0], [100.0], n_scan=0)
>>> 2.0 < result.expected < 6.0
True
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pyhf
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

log = logging.getLogger(__name__)

#: Integrated luminosity of the LHC Run 2 data set used by the exercises [fb^-1].
LUMI_IFB = 138.0
#: pb^-1 per fb^-1 (a yield is a cross section in pb times a luminosity in pb^-1).
PB_INV_PER_FB_INV = 1000.0
#: Confidence level of the limits: CLs = 0.05 for 95 % CL.
CLS_LEVEL = 0.05
#: Order of the expected-limit bands returned by pyhf: -2, -1, 0, +1, +2 sigma.
BAND_SIGMAS: tuple[int, ...] = (-2, -1, 0, 1, 2)

pyhf.set_backend("numpy")


def event_yields(weight_pb: ArrayLike, lumi_ifb: float = LUMI_IFB) -> np.ndarray:
    """Expected number of events that each simulated event stands for.

    Parameters
    ----------
    weight_pb
        Cross section per stored event [pb], shape ``(n,)``.
    lumi_ifb
        Integrated luminosity [fb^-1].

    Returns
    -------
    numpy.ndarray
        ``weight_pb * lumi_ifb * 1000``, shape ``(n,)`` [events].

    Examples
    --------
    >>> event_yields([1e-3], lumi_ifb=138.0).tolist()
    [138.0]
    """
    if lumi_ifb <= 0:
        msg = f"lumi_ifb must be positive [fb^-1]; got {lumi_ifb}."
        raise ValueError(msg)
    return np.asarray(weight_pb, dtype=np.float64) * lumi_ifb * PB_INV_PER_FB_INV


def binned_yields(
    scores: ArrayLike,
    weight_pb: ArrayLike,
    edges: ArrayLike,
    lumi_ifb: float = LUMI_IFB,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Yields per score bin and their Monte Carlo statistical uncertainties.

    Parameters
    ----------
    scores
        Score of each event, shape ``(n,)``.
    weight_pb
        Cross section per event [pb], shape ``(n,)``.
    edges
        Increasing bin edges, shape ``(n_bins + 1,)``; the last edge may be
        ``inf``. Events outside ``[edges[0], edges[-1]]`` are not counted.
    lumi_ifb
        Integrated luminosity [fb^-1].

    Returns
    -------
    yields, mc_stat, counts
        Expected events per bin, the uncertainty ``sqrt(sum w^2)`` on them due to
        the finite simulated sample, and the number of simulated events per bin;
        each of shape ``(n_bins,)``.

    Examples
    --------
    >>> y, s, n = binned_yields([0.1, 0.6, 0.7], [1e-3] * 3, [0.5, np.inf])
    >>> y.tolist(), n.tolist()
    ([276.0], [2])
    """
    s = np.asarray(scores, dtype=np.float64)
    w = event_yields(weight_pb, lumi_ifb)
    e = np.asarray(edges, dtype=np.float64)
    if s.shape != w.shape or s.ndim != 1:
        msg = f"scores and weights need equal 1-d shapes; got {s.shape}, {w.shape}."
        raise ValueError(msg)
    if e.ndim != 1 or len(e) < 2 or not (np.diff(e) > 0).all():
        msg = f"edges must increase strictly and hold at least two values; got {e}."
        raise ValueError(msg)
    if not np.isfinite(s).all():
        msg = "scores hold NaN or infinite values: fix the model output first."
        raise ValueError(msg)
    yields, _ = np.histogram(s, bins=e, weights=w)
    sumw2, _ = np.histogram(s, bins=e, weights=w**2)
    counts, _ = np.histogram(s, bins=e)
    return yields, np.sqrt(sumw2), counts


def asimov_significance(
    signal: ArrayLike, background: ArrayLike, rel_unc: float = 0.2
) -> np.ndarray:
    """Median discovery significance of a counting experiment.

    With a relative background uncertainty ``rel_unc`` (sigma_b = rel_unc * b)
    this is the profile-likelihood Asimov formula (G. Cowan, "Discovery
    sensitivity for a counting experiment with background uncertainty", 2012);
    for ``rel_unc = 0`` it is eq. (97) of arXiv:1007.1727,
    ``sqrt(2 ((s + b) ln(1 + s / b) - s))``.

    Parameters
    ----------
    signal, background
        Expected signal and background events, broadcastable shapes; ``b > 0``.
    rel_unc
        Relative uncertainty on the background, >= 0.

    Returns
    -------
    numpy.ndarray
        The significance in standard deviations.

    Examples
    --------
    >>> round(float(asimov_significance(10.0, 100.0, 0.0)), 3)
    0.984
    """
    s = np.asarray(signal, dtype=np.float64)
    b = np.asarray(background, dtype=np.float64)
    if (b <= 0).any() or (s < 0).any() or rel_unc < 0:
        msg = "asimov_significance needs b > 0, s >= 0 and rel_unc >= 0."
        raise ValueError(msg)
    if rel_unc == 0:
        return np.sqrt(2 * ((s + b) * np.log1p(s / b) - s))
    var = (rel_unc * b) ** 2
    term1 = (s + b) * np.log((s + b) * (b + var) / (b**2 + (s + b) * var))
    term2 = b**2 / var * np.log1p(var * s / (b * (b + var)))
    return np.sqrt(np.maximum(2 * (term1 - term2), 0.0))


def choose_threshold(
    signal_scores: ArrayLike,
    signal_weight_pb: ArrayLike,
    background_scores: ArrayLike,
    background_weight_pb: ArrayLike,
    *,
    rel_unc: float = 0.2,
    min_background_events: int = 20,
    n_candidates: int = 60,
    lumi_ifb: float = LUMI_IFB,
) -> float:
    """Cut ``score >= t`` that maximises :func:`asimov_significance`.

    Meant for the validation split: the cut is then applied unchanged to the
    test split, where the yields for the limit are computed. Candidates are
    quantiles of the signal scores; a candidate is allowed only if at least
    ``min_background_events`` simulated background events pass, so the cut does
    not chase a downward fluctuation of the background simulation.

    Parameters
    ----------
    signal_scores, signal_weight_pb
        Scores and cross sections per event [pb] of the signal, shapes ``(n_s,)``.
    background_scores, background_weight_pb
        The same for the background, shapes ``(n_b,)``.
    rel_unc
        Relative background uncertainty used in the significance.
    min_background_events
        Minimum number of simulated background events above the cut.
    n_candidates
        Number of candidate cuts (signal-score quantiles from 0 to 0.99).
    lumi_ifb
        Integrated luminosity [fb^-1].

    Returns
    -------
    float
        The threshold ``t``.

    Raises
    ------
    ValueError
        If no candidate keeps ``min_background_events`` background events.
    """
    ss, bs = np.asarray(signal_scores), np.asarray(background_scores)
    ws = event_yields(signal_weight_pb, lumi_ifb)
    wb = event_yields(background_weight_pb, lumi_ifb)
    candidates = np.unique(np.quantile(ss, np.linspace(0.0, 0.99, n_candidates)))
    best_t, best_z = None, -np.inf
    for t in candidates:
        passed = bs >= t
        if passed.sum() < min_background_events:
            continue
        z = float(asimov_significance(ws[ss >= t].sum(), wb[passed].sum(), rel_unc))
        if z > best_z:
            best_t, best_z = float(t), z
    if best_t is None:
        msg = (
            f"no cut keeps {min_background_events} simulated background events: "
            "lower min_background_events or use more background events."
        )
        raise ValueError(msg)
    log.info("chosen cut %.4g: significance %.3f sigma", best_t, best_z)
    return best_t


def signal_region_edges(
    threshold: float,
    signal_scores: ArrayLike,
    signal_weight_pb: ArrayLike,
    n_bins: int = 3,
    *,
    background_scores: ArrayLike | None = None,
    min_background_events: int = 0,
) -> np.ndarray:
    """Bins above a cut, each holding the same share of the signal.

    Bins whose simulated background is too small to estimate are merged with
    their lower neighbour, so that every bin keeps at least
    ``min_background_events`` simulated background events.

    Parameters
    ----------
    threshold
        Lower edge of the signal region (from :func:`choose_threshold`).
    signal_scores, signal_weight_pb
        Signal scores and cross sections per event [pb], shapes ``(n_s,)``.
    n_bins
        Number of bins before merging; fewer are returned where quantiles
        coincide or bins are merged.
    background_scores
        Scores of the simulated background, shape ``(n_b,)``; needed when
        ``min_background_events > 0``.
    min_background_events
        Minimum number of simulated background events per bin.

    Returns
    -------
    numpy.ndarray
        Edges ``[threshold, ..., inf]``, shape ``(n_bins + 1,)`` at most.

    Examples
    --------
    >>> signal_region_edges(0.5, [0.6, 0.7, 0.8, 0.9], [1.0] * 4, 2).tolist()
    [0.5, 0.75, inf]
    >>> signal_region_edges(0.5, [0.6, 0.7, 0.8, 0.9], [1.0] * 4, 2,
    ...                     background_scores=[0.6, 0.7], min_background_events=1)
    array([0.5, inf])
    """
    if n_bins < 1:
        msg = f"n_bins must be at least 1; got {n_bins}."
        raise ValueError(msg)
    s = np.asarray(signal_scores, dtype=np.float64)
    w = np.asarray(signal_weight_pb, dtype=np.float64)
    above = s >= threshold
    if not above.any():
        msg = f"no signal event has a score >= {threshold}: lower the threshold."
        raise ValueError(msg)
    order = np.argsort(s[above])
    w_sorted = w[above][order]
    # Cumulative fraction at the middle of each event's weight (weighted median).
    cum = (np.cumsum(w_sorted) - 0.5 * w_sorted) / w_sorted.sum()
    inner = [
        float(np.interp(q, cum, s[above][order])) for q in np.arange(1, n_bins) / n_bins
    ]
    edges = list(np.unique([threshold, *[x for x in inner if x > threshold]]))
    if min_background_events > 0:
        if background_scores is None:
            msg = "min_background_events needs the background_scores."
            raise ValueError(msg)
        b = np.asarray(background_scores, dtype=np.float64)
        while len(edges) > 1:
            counts = np.histogram(b, bins=[*edges, np.inf])[0]
            sparse = np.flatnonzero(counts < min_background_events)
            if len(sparse) == 0:
                break
            # Merge the highest sparse bin into the bin below it (the lowest
            # sparse bin merges upwards).
            k = int(sparse[-1])
            edges.pop(k if k > 0 else 1)
    return np.r_[edges, np.inf]


def _check_yields(
    signal: ArrayLike, background: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    s = np.atleast_1d(np.asarray(signal, dtype=np.float64))
    b = np.atleast_1d(np.asarray(background, dtype=np.float64))
    if s.shape != b.shape or s.ndim != 1:
        msg = f"signal and background need one yield per bin; got {s.shape}, {b.shape}."
        raise ValueError(msg)
    if (b <= 0).any() or not np.isfinite(b).all():
        msg = (
            f"every bin needs a positive, finite background yield; got {b.tolist()}. "
            "Merge the empty bins or loosen the cut."
        )
        raise ValueError(msg)
    if (s < 0).any() or s.sum() <= 0 or not np.isfinite(s).all():
        msg = f"signal yields must be finite, >= 0 and not all 0; got {s.tolist()}."
        raise ValueError(msg)
    return s, b


def rough_limit(
    signal: ArrayLike, background: ArrayLike, bkg_norm_unc: float = 0.2
) -> float:
    """Quick estimate of the expected limit on ``mu``, to set scan ranges.

    Uses the best single bin and ``mu ~ 2 sqrt(b + (u b)^2 + 1) / s``.

    Parameters
    ----------
    signal, background
        Yields per bin, shapes ``(n_bins,)``.
    bkg_norm_unc
        Relative background normalisation uncertainty.

    Returns
    -------
    float
        The estimate, > 0.
    """
    s, b = _check_yields(signal, background)
    with np.errstate(divide="ignore"):
        per_bin = 2 * np.sqrt(b + (bkg_norm_unc * b) ** 2 + 1.0) / s
    return float(np.min(per_bin))


def build_model(
    signal: ArrayLike,
    background: ArrayLike,
    *,
    bkg_norm_unc: float = 0.2,
    bkg_mc_stat: ArrayLike | None = None,
    mu_max: float | None = None,
) -> pyhf.Model:
    """One-channel HistFactory model: signal times ``mu`` plus background.

    Parameters
    ----------
    signal, background
        Expected events per bin, shapes ``(n_bins,)``; every background yield
        must be positive.
    bkg_norm_unc
        Relative uncertainty on the background normalisation, the same in all
        bins (a ``normsys`` modifier ``bkg_norm`` scaling the background by
        ``1 +- bkg_norm_unc`` at +-1 sigma); 0 for none.
    bkg_mc_stat
        Absolute statistical uncertainty of the background simulation per bin
        (``staterror`` modifier ``bkg_mc_stat``), shape ``(n_bins,)``; None for
        none.
    mu_max
        Upper bound of ``mu`` in the fits; by default 20 times
        :func:`rough_limit`.

    Returns
    -------
    pyhf.Model
        Model whose parameter of interest is ``mu``.

    Raises
    ------
    ValueError
        For yields of mismatched shapes, a non-positive background or an
        uncertainty outside [0, 1).
    """
    s, b = _check_yields(signal, background)
    if not 0 <= bkg_norm_unc < 1:
        msg = f"bkg_norm_unc is relative and must lie in [0, 1); got {bkg_norm_unc}."
        raise ValueError(msg)
    modifiers: list[dict] = []
    if bkg_norm_unc > 0:
        factors = {"hi": 1.0 + bkg_norm_unc, "lo": 1.0 - bkg_norm_unc}
        modifiers.append({"name": "bkg_norm", "type": "normsys", "data": factors})
    if bkg_mc_stat is not None:
        stat = np.asarray(bkg_mc_stat, dtype=np.float64)
        if stat.shape != b.shape or (stat < 0).any():
            msg = "bkg_mc_stat needs one non-negative uncertainty per bin."
            raise ValueError(msg)
        modifiers.append(
            {"name": "bkg_mc_stat", "type": "staterror", "data": stat.tolist()}
        )
    if mu_max is None:
        mu_max = 20.0 * rough_limit(s, b, bkg_norm_unc)
    mu_modifier = {"name": "mu", "type": "normfactor", "data": None}
    spec = {
        "channels": [
            {
                "name": "signal_region",
                "samples": [
                    {"name": "signal", "data": s.tolist(), "modifiers": [mu_modifier]},
                    {"name": "background", "data": b.tolist(), "modifiers": modifiers},
                ],
            }
        ],
        "parameters": [{"name": "mu", "bounds": [[0.0, float(mu_max)]]}],
    }
    return pyhf.Model(spec, poi_name="mu")


def asimov_background_data(model: pyhf.Model) -> np.ndarray:
    """Background-only Asimov data: expected counts at ``mu = 0``, nominal nuisances.

    Parameters
    ----------
    model
        A model from :func:`build_model`.

    Returns
    -------
    numpy.ndarray
        Main-measurement counts followed by the auxiliary data, the layout that
        ``pyhf.infer.hypotest`` expects.
    """
    pars = np.asarray(model.config.suggested_init(), dtype=np.float64)
    pars[model.config.poi_index] = 0.0
    return np.asarray(model.expected_data(pars))


@dataclass
class LimitResult:
    """Expected upper limit on ``mu`` and the CLs scan behind it.

    Attributes
    ----------
    expected
        Median expected 95 % CL upper limit on ``mu``.
    band
        Expected limits at -2, -1, 0, +1, +2 sigma, shape ``(5,)``.
    mu_scan
        Tested values of ``mu``, shape ``(n_scan,)``.
    cls_expected
        Expected CLs at each tested ``mu`` for the five bands, shape
        ``(n_scan, 5)``, same order as ``band``.
    signal, background
        Yields per bin used, shapes ``(n_bins,)`` [events].
    """

    expected: float
    band: np.ndarray
    mu_scan: np.ndarray = field(default_factory=lambda: np.empty(0))
    cls_expected: np.ndarray = field(default_factory=lambda: np.empty((0, 5)))
    signal: np.ndarray = field(default_factory=lambda: np.empty(0))
    background: np.ndarray = field(default_factory=lambda: np.empty(0))


def cls_scan(model: pyhf.Model, data: ArrayLike, mu_values: ArrayLike) -> np.ndarray:
    """Expected CLs bands at each tested ``mu`` (test statistic q~_mu).

    Parameters
    ----------
    model
        The statistical model.
    data
        Counts and auxiliary data (e.g. :func:`asimov_background_data`).
    mu_values
        Values of ``mu`` to test, shape ``(n,)``, all > 0.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 5)``: CLs at -2, -1, 0, +1, +2 sigma.
    """
    rows = []
    for mu in np.asarray(mu_values, dtype=np.float64):
        _, expected_set = pyhf.infer.hypotest(
            float(mu), data, model, return_expected_set=True, test_stat="qtilde"
        )
        rows.append([float(v) for v in expected_set])
    return np.asarray(rows).reshape(-1, len(BAND_SIGMAS))


def expected_upper_limit(
    signal: ArrayLike,
    background: ArrayLike,
    *,
    bkg_norm_unc: float = 0.2,
    bkg_mc_stat: ArrayLike | None = None,
    n_scan: int = 30,
    rtol: float = 1e-3,
) -> LimitResult:
    """Expected 95 % CL CLs upper limit on ``mu`` with its +-1, +-2 sigma bands.

    The limit is found by root finding on CLs(mu) = 0.05 (pyhf's TOMS 748 scan)
    on the background-only Asimov data; the bands follow from the asymptotic
    distributions of arXiv:1007.1727, as implemented by ``pyhf.infer.hypotest``.
    A separate grid of ``n_scan`` values up to 1.2 times the +2 sigma limit gives
    the CLs curves for :func:`plot_brazil`.

    Parameters
    ----------
    signal, background
        Expected events per bin at the chosen luminosity, shapes ``(n_bins,)``.
    bkg_norm_unc, bkg_mc_stat
        Background uncertainties, as in :func:`build_model`.
    n_scan
        Number of points of the CLs scan; 0 skips the scan.
    rtol
        Relative tolerance of the root finding.

    Returns
    -------
    LimitResult
        Median limit, bands, the scan and the yields.

    Examples
    --------
    >>> r = expected_upper_limit([5.0, 10.0], [50.0, 20.0], n_scan=5)
    >>> bool(r.band[0] < r.expected < r.band[4]), r.cls_expected.shape
    (True, (5, 5))
    """
    s, b = _check_yields(signal, background)
    model = build_model(s, b, bkg_norm_unc=bkg_norm_unc, bkg_mc_stat=bkg_mc_stat)
    data = asimov_background_data(model)
    rough = rough_limit(s, b, bkg_norm_unc)
    _, expected = pyhf.infer.intervals.upper_limits.toms748_scan(
        data,
        model,
        rough / 10,
        rough * 3,
        level=CLS_LEVEL,
        rtol=rtol,
        test_stat="qtilde",
    )
    band = np.asarray([float(v) for v in expected])
    result = LimitResult(expected=float(band[2]), band=band, signal=s, background=b)
    if n_scan > 0:
        result.mu_scan = np.linspace(0, 1.2 * band[4], n_scan + 1)[1:]
        result.cls_expected = cls_scan(model, data, result.mu_scan)
    log.info(
        "expected limit on mu: %.3g (-1 sigma %.3g, +1 sigma %.3g)",
        band[2],
        band[1],
        band[3],
    )
    return result


def plot_brazil(ax: Axes, result: LimitResult, label: str = "") -> Axes:
    """Draw the expected CLs curve of a scan with its +-1 and +-2 sigma bands.

    Parameters
    ----------
    ax
        Axes to draw on.
    result
        A result of :func:`expected_upper_limit` with a scan (``n_scan > 0``).
    label
        Text put in front of the legend entries (e.g. the method).

    Returns
    -------
    Axes
        The same axes; the caller labels them (``label_axes``).
    """
    if len(result.mu_scan) == 0:
        msg = "the result holds no CLs scan: call expected_upper_limit with n_scan > 0."
        raise ValueError(msg)
    mu, cls = result.mu_scan, result.cls_expected
    prefix = f"{label}: " if label else ""
    ax.fill_between(mu, cls[:, 0], cls[:, 4], color="#ffdf00", label="±2σ")
    ax.fill_between(mu, cls[:, 1], cls[:, 3], color="#00c000", label="±1σ")
    ax.plot(mu, cls[:, 2], "k--", label=f"{prefix}expected CLs")
    ax.axhline(CLS_LEVEL, color="#bd1f01", label="CLs = 0.05")
    ax.axvline(result.expected, color="0.4", linestyle=":", label=None)
    ax.set_ylim(0, 1)
    return ax
