"""The pyhf helper: yields, model, expected limits and the working-point choice."""

from __future__ import annotations

import numpy as np
import pyhf
import pytest
from scipy.stats import norm

from lessons_code import limits

pyhf.set_backend("numpy")


def test_event_yields_convert_pb_to_events() -> None:
    # 1 pb at 138 fb^-1 = 138 000 pb^-1 is 138 000 events.
    assert limits.event_yields([1.0, 0.5]).tolist() == [138_000.0, 69_000.0]
    with pytest.raises(ValueError, match="lumi_ifb"):
        limits.event_yields([1.0], lumi_ifb=0.0)


def test_binned_yields_sum_weights_and_ignore_events_below_the_cut() -> None:
    scores = np.array([0.1, 0.55, 0.6, 0.95, 2.0])
    w_pb = np.array([1.0, 2.0, 3.0, 4.0, 5.0]) * 1e-3
    yields, stat, counts = limits.binned_yields(scores, w_pb, [0.5, 0.9, np.inf])
    assert counts.tolist() == [2, 2]
    np.testing.assert_allclose(yields, np.array([5.0, 9.0]) * 138.0)
    np.testing.assert_allclose(stat, np.sqrt([2**2 + 3**2, 4**2 + 5**2]) * 138.0)
    with pytest.raises(ValueError, match="increase"):
        limits.binned_yields(scores, w_pb, [0.9, 0.5])
    with pytest.raises(ValueError, match="NaN"):
        limits.binned_yields([np.nan], [1.0], [0.0, 1.0])


def test_model_has_mu_and_a_20_percent_background_normalisation() -> None:
    model = limits.build_model([5.0, 10.0], [50.0, 20.0])
    assert model.config.poi_name == "mu"
    assert set(model.config.parameters) == {"mu", "bkg_norm"}
    pars = np.asarray(model.config.suggested_init(), dtype=float)
    pars[model.config.poi_index] = 1.0
    n = model.config.nmaindata
    np.testing.assert_allclose(model.expected_actualdata(pars)[:n], [55.0, 30.0])
    pars[model.config.poi_index] = 0.0
    pars[model.config.par_slice("bkg_norm")] = 1.0  # +1 sigma
    np.testing.assert_allclose(model.expected_actualdata(pars)[:n], [60.0, 24.0])


@pytest.mark.parametrize(
    ("signal", "background", "match"),
    [
        ([1.0, 2.0], [10.0], "one yield per bin"),
        ([1.0, 2.0], [10.0, 0.0], "positive"),
        ([0.0, 0.0], [10.0, 5.0], "not all 0"),
    ],
)
def test_model_rejects_bad_yields(signal, background, match) -> None:
    with pytest.raises(ValueError, match=match):
        limits.build_model(signal, background)


def test_model_rejects_an_uncertainty_of_100_percent() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        limits.build_model([1.0], [10.0], bkg_norm_unc=1.0)


def _direct_pyhf_limits(signal, background, unc):
    """The same model written by hand and fed to pyhf's own upper_limit."""
    mu = {"name": "mu", "type": "normfactor", "data": None}
    spec = {
        "channels": [
            {
                "name": "sr",
                "samples": [
                    {
                        "name": "sig",
                        "data": signal,
                        "modifiers": [mu],
                    },
                    {
                        "name": "bkg",
                        "data": background,
                        "modifiers": [
                            {
                                "name": "norm",
                                "type": "normsys",
                                "data": {"hi": 1 + unc, "lo": 1 - unc},
                            }
                        ],
                    },
                ],
            }
        ],
        "parameters": [{"name": "mu", "bounds": [[0, 10]]}],
    }
    model = pyhf.Model(spec)
    data = list(background) + model.config.auxdata
    scan = np.linspace(0.3, 1.8, 151)  # brackets the -2 to +2 sigma limits
    _, expected = pyhf.infer.intervals.upper_limits.upper_limit(
        data, model, scan, test_stat="qtilde"
    )
    return np.asarray([float(v) for v in expected])


def test_limit_matches_a_direct_pyhf_computation() -> None:
    signal, background = [4.0, 8.0, 12.0], [120.0, 40.0, 15.0]
    result = limits.expected_upper_limit(signal, background, n_scan=0)
    direct = _direct_pyhf_limits(signal, background, 0.2)
    np.testing.assert_allclose(result.band, direct, rtol=5e-3)
    assert result.expected == pytest.approx(direct[2], rel=5e-3)


def test_limit_and_bands_match_the_asymptotic_formula() -> None:
    # Large background, no systematic: sigma_mu = sqrt(b) / s and the expected
    # CLs limit at N sigma is sigma_mu * (Phi^-1(1 - 0.05 Phi(N)) + N), from the
    # asymptotic distributions of arXiv:1007.1727.
    s, b = 200.0, 40_000.0
    result = limits.expected_upper_limit([s], [b], bkg_norm_unc=0.0, n_scan=0)
    sigma_mu = np.sqrt(b) / s
    n = np.array(limits.BAND_SIGMAS, dtype=float)
    formula = sigma_mu * (norm.ppf(1 - 0.05 * norm.cdf(n)) + n)
    np.testing.assert_allclose(result.band, formula, rtol=0.02)


def test_limit_scales_inversely_with_the_signal() -> None:
    one = limits.expected_upper_limit([3.0, 6.0], [30.0, 10.0], n_scan=0)
    two = limits.expected_upper_limit([6.0, 12.0], [30.0, 10.0], n_scan=0)
    np.testing.assert_allclose(two.band, one.band / 2, rtol=2e-3)


def test_uncertainties_weaken_the_limit() -> None:
    s, b = [10.0], [400.0]
    none = limits.expected_upper_limit(s, b, bkg_norm_unc=0.0, n_scan=0).expected
    norm20 = limits.expected_upper_limit(s, b, n_scan=0).expected
    with_stat = limits.expected_upper_limit(s, b, bkg_mc_stat=[40.0], n_scan=0).expected
    assert none < norm20 < with_stat
    # With b = 400 the 20 % systematic (80 events) dominates sqrt(b) = 20.
    assert norm20 > 3 * none


def test_brazil_scan_is_ordered_and_crosses_005_at_the_limits() -> None:
    result = limits.expected_upper_limit([5.0, 10.0], [50.0, 20.0], n_scan=40)
    assert np.all(np.diff(result.band) > 0)
    cls = result.cls_expected
    assert cls.shape == (40, 5)
    # CLs falls with mu, and the -2 sigma curve lies below the +2 sigma curve.
    assert np.all(np.diff(cls[:, 2]) < 0)
    assert np.all(cls[:, 0] <= cls[:, 4] + 1e-12)
    for k in range(5):
        crossing = np.interp(0.05, cls[::-1, k], result.mu_scan[::-1])
        assert crossing == pytest.approx(result.band[k], rel=0.03)


def test_asimov_significance_limits() -> None:
    s, b = 10.0, 100.0
    exact = limits.asimov_significance(s, b, 0.0)
    assert float(exact) == pytest.approx(np.sqrt(2 * (110 * np.log(1.1) - 10)))
    assert float(limits.asimov_significance(s, b, 1e-6)) == pytest.approx(
        float(exact), rel=1e-4
    )
    # For s << b: Z ~ s / sqrt(b + sigma_b^2).
    z = float(limits.asimov_significance(1.0, 1e4, 0.01))
    assert z == pytest.approx(1.0 / np.sqrt(1e4 + 100.0**2), rel=0.01)
    with pytest.raises(ValueError, match="b > 0"):
        limits.asimov_significance(1.0, 0.0)


def _scored_sample(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    s_scores = rng.beta(5, 1, 5000)
    b_scores = rng.beta(1, 5, 50_000)
    return s_scores, np.full(5000, 1e-5), b_scores, np.full(50_000, 1e-3)


def test_choose_threshold_prefers_a_tight_cut_and_keeps_background_events() -> None:
    ss, ws, bs, wb = _scored_sample(np.random.default_rng(1))
    t = limits.choose_threshold(ss, ws, bs, wb, min_background_events=20)
    assert t > 0.5
    assert (bs >= t).sum() >= 20
    strict = limits.choose_threshold(ss, ws, bs, wb, min_background_events=2000)
    assert (bs >= strict).sum() >= 2000 and strict < t
    with pytest.raises(ValueError, match="no cut keeps"):
        limits.choose_threshold(ss, ws, bs, wb, min_background_events=10**6)


def test_signal_region_bins_share_the_signal_equally() -> None:
    rng = np.random.default_rng(2)
    scores, w_pb = rng.uniform(size=20_000), rng.uniform(0.5, 1.5, 20_000)
    edges = limits.signal_region_edges(0.4, scores, w_pb, n_bins=4)
    assert edges[0] == 0.4 and np.isinf(edges[-1]) and len(edges) == 5
    yields, _, _ = limits.binned_yields(scores, w_pb, edges)
    np.testing.assert_allclose(yields / yields.sum(), 0.25, atol=0.01)
    with pytest.raises(ValueError, match="no signal event"):
        limits.signal_region_edges(2.0, scores, w_pb)


def test_signal_region_bins_keep_enough_background_events() -> None:
    rng = np.random.default_rng(3)
    s_scores, w_pb = rng.beta(5, 1, 20_000), np.ones(20_000)
    b_scores = rng.beta(1, 5, 20_000)
    free = limits.signal_region_edges(0.5, s_scores, w_pb, n_bins=4)
    counts_free = np.histogram(b_scores, bins=free)[0]
    assert counts_free.min() < 30  # the top bin is almost empty of background
    edges = limits.signal_region_edges(
        0.5,
        s_scores,
        w_pb,
        n_bins=4,
        background_scores=b_scores,
        min_background_events=30,
    )
    counts = np.histogram(b_scores, bins=edges)[0]
    assert counts.min() >= 30 and 2 <= len(edges) < len(free)
    assert edges[0] == 0.5 and set(edges[1:-1]) <= set(free[1:-1])
    with pytest.raises(ValueError, match="background_scores"):
        limits.signal_region_edges(0.5, s_scores, w_pb, min_background_events=3)
