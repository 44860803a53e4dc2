"""Toys of the first lectures: exact likelihood ratio, bias and variance."""

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from sklearn.metrics import roc_auc_score

from lessons_code import toys
from lessons_code.optimisers import small_mlp


def test_gaussian_toy_is_balanced_shuffled_and_reproducible():
    toy = toys.GaussianToy()
    x1, y1 = toy.sample(300, seed=4)
    x2, y2 = toy.sample(300, seed=4)
    np.testing.assert_array_equal(x1, x2)
    assert y1.sum() == 300
    assert not np.all(y1[:300] == 1)  # shuffled, not blocked by class
    with pytest.raises(ValueError, match="positive"):
        toy.sample(0)


def test_log_likelihood_ratio_matches_the_densities():
    toy = toys.GaussianToy()
    x = np.array([[0.0, 0.0], [1.0, 2.0], [-3.0, 0.5]])
    sig = multivariate_normal(toy.mean_sig, toy.cov_sig).pdf(x)
    bkg = multivariate_normal(toy.mean_bkg, toy.cov_bkg).pdf(x)
    np.testing.assert_allclose(toy.log_likelihood_ratio(x), np.log(sig / bkg))


def test_exact_ratio_beats_any_other_score():
    # Neyman-Pearson: no function of x separates better than the ratio.
    toy = toys.GaussianToy()
    x, y = toy.sample(20_000, seed=5)
    auc_exact = roc_auc_score(y, toy.log_likelihood_ratio(x))
    auc_linear = roc_auc_score(y, x @ np.array([1.0, 0.5]))
    auc_first = roc_auc_score(y, x[:, 0])
    assert auc_exact > auc_linear
    assert auc_exact > auc_first
    # A monotonic transform of the ratio is just as good.
    auc_sigmoid = roc_auc_score(y, 1 / (1 + np.exp(-toy.log_likelihood_ratio(x))))
    assert auc_sigmoid == pytest.approx(auc_exact, abs=1e-12)


def test_noisy_sine_noise_level():
    x, y = toys.noisy_sine(20_000, noise=0.3, seed=1)
    assert np.all(np.diff(x) >= 0)
    assert np.std(y - np.sin(2 * np.pi * x)) == pytest.approx(0.3, rel=0.03)
    with pytest.raises(ValueError):
        toys.noisy_sine(10, noise=-1.0)


def test_bias_falls_and_variance_rises_with_degree():
    scan = toys.bias_variance_scan([0, 3, 9], n_train=20, n_repeats=100)
    assert scan["bias2"][0] > 10 * scan["bias2"][1]
    assert scan["variance"][2] > 3 * scan["variance"][1]
    # The measured test error decomposes into bias^2 + variance + noise^2.
    np.testing.assert_allclose(
        scan["test_mse"], scan["bias2"] + scan["variance"] + 0.3**2, rtol=0.1
    )


def test_fit_polynomial_needs_more_points_than_degree():
    with pytest.raises(ValueError, match="needs more than"):
        toys.fit_polynomial(np.arange(3.0), np.arange(3.0), 3)


def test_trained_classifier_logit_approaches_the_log_likelihood_ratio():
    # The introduction's claim: a network trained with cross-entropy on balanced
    # classes learns log Lambda, so its ROC curve reaches the exact one.
    torch.manual_seed(0)
    torch.set_num_threads(1)
    toy = toys.GaussianToy()
    x_train, y_train = toy.sample(2000, seed=1)
    x_test, y_test = toy.sample(2000, seed=2)
    model = small_mlp(n_in=2, width=16, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    xt = torch.as_tensor(x_train, dtype=torch.float32)
    yt = torch.as_tensor(y_train, dtype=torch.float32).reshape(-1, 1)
    for _ in range(400):
        opt.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(model(xt), yt).backward()
        opt.step()
    with torch.no_grad():
        logit = model(torch.as_tensor(x_test, dtype=torch.float32)).numpy().ravel()
    llr = toy.log_likelihood_ratio(x_test)
    assert roc_auc_score(y_test, logit) > roc_auc_score(y_test, llr) - 0.01
    core = (llr > -4) & (llr < 3)
    assert np.sqrt(np.mean((logit - llr)[core] ** 2)) < 0.5
