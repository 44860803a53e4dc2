"""Clustering, EM, PCA, the generative models and the CWoLa toy."""

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from lessons_code import clustering, generative, weak_supervision


def _blobs(seed=0, n=300):
    rng = np.random.default_rng(seed)
    centres = np.array([[-4.0, 0.0], [4.0, 0.0], [0.0, 5.0]])
    x = np.concatenate([rng.normal(c, 0.7, size=(n, 2)) for c in centres])
    return x, np.repeat(np.arange(3), n), centres


def test_kmeans_finds_separated_blobs_and_inertia_never_rises():
    x, truth, centres = _blobs()
    res = clustering.kmeans(x, 3, n_init=10, rng=np.random.default_rng(1))
    found = res.centres[np.argsort(res.centres[:, 0] + 10 * res.centres[:, 1])]
    expected = centres[np.argsort(centres[:, 0] + 10 * centres[:, 1])]
    np.testing.assert_allclose(found, expected, atol=0.2)
    assert np.all(np.diff(res.inertia) <= 1e-9)
    # each true blob maps to one cluster
    for j in range(3):
        assert len(np.unique(res.labels[truth == j])) == 1


def test_kmeans_restarts_keep_the_best_run():
    x, _, _ = _blobs()
    rng = np.random.default_rng(0)  # the same draws, one run at a time
    single = [clustering.kmeans(x, 3, rng=rng).inertia[-1] for _ in range(8)]
    best = clustering.kmeans(x, 3, n_init=8, rng=np.random.default_rng(0))
    assert best.inertia[-1] == pytest.approx(min(single))
    assert max(single) > 1.5 * min(single)  # some starts do end badly


def test_kmeans_rejects_bad_input():
    with pytest.raises(ValueError, match="shape \\(n, d\\)"):
        clustering.kmeans(np.zeros(5), 2)
    with pytest.raises(ValueError, match="k=6"):
        clustering.kmeans(np.zeros((5, 2)), 6)


def test_em_likelihood_never_decreases_and_recovers_the_mixture():
    rng = np.random.default_rng(2)
    x = np.concatenate(
        [
            rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], 600),
            rng.multivariate_normal([3, -2], [[0.3, 0], [0, 0.3]], 300),
        ]
    )
    gmm, history = clustering.fit_gmm(x, 2, rng=np.random.default_rng(0))
    assert np.all(np.diff(history) >= -1e-9)
    big = int(np.argmax(gmm.weights))
    assert gmm.weights[big] == pytest.approx(2 / 3, abs=0.05)
    np.testing.assert_allclose(gmm.covs[big], [[1, 0.8], [0.8, 1]], atol=0.2)


def test_responsibilities_are_normalised_posteriors():
    x, _, centres = _blobs(n=20)
    gmm = clustering.GaussianMixture(
        np.full(3, 1 / 3), centres, np.repeat(np.eye(2)[None], 3, axis=0)
    )
    resp, _ = clustering.e_step(x, gmm)
    np.testing.assert_allclose(resp.sum(1), 1.0)
    assert np.all(resp.argmax(1) == np.repeat(np.arange(3), 20))


def test_pca_matches_covariance_eigenvectors():
    rng = np.random.default_rng(3)
    x = rng.multivariate_normal([1, 2, 3], np.diag([9.0, 4.0, 0.25]), 5000)
    res = clustering.pca(x)
    eigval = np.sort(np.linalg.eigvalsh(np.cov(x.T)))[::-1]
    np.testing.assert_allclose(res.variance, eigval, rtol=1e-8)
    np.testing.assert_allclose(np.abs(res.components), np.eye(3), atol=0.05)
    proj = clustering.pca_project(x, res)
    np.testing.assert_allclose(np.cov(proj.T), np.diag(eigval), atol=1e-8)
    with pytest.raises(ValueError, match="n_components"):
        clustering.pca(x, 4)


def test_flow_inverse_and_log_det_match_autograd_jacobian():
    torch.manual_seed(0)
    flow = generative.CouplingFlow(2, n_layers=4, hidden=16)
    x = torch.randn(3, 2)
    z, log_det = flow(x)
    torch.testing.assert_close(flow.inverse(z), x, atol=1e-5, rtol=1e-5)
    for i in range(3):
        jac = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x[i])
        torch.testing.assert_close(
            log_det[i], torch.linalg.slogdet(jac).logabsdet, atol=1e-5, rtol=1e-5
        )


def test_flow_density_integrates_to_one():
    torch.manual_seed(1)
    flow = generative.CouplingFlow(2, n_layers=4, hidden=16)
    grid = torch.linspace(-8, 8, 321)
    xx, yy = torch.meshgrid(grid, grid, indexing="ij")
    with torch.no_grad():
        p = flow.log_prob(torch.stack([xx.ravel(), yy.ravel()], 1)).exp()
    cell = (grid[1] - grid[0]) ** 2
    assert float(p.sum() * cell) == pytest.approx(1.0, abs=0.02)


def test_flow_training_lowers_the_negative_log_likelihood():
    rng = np.random.default_rng(4)
    x = torch.tensor(
        rng.normal([2.0, -1.0], [0.5, 2.0], (2000, 2)), dtype=torch.float32
    )
    flow = generative.CouplingFlow(2, n_layers=4, hidden=16)
    history = generative.fit(flow, x, 300)
    assert np.mean(history[-20:]) < np.mean(history[:20]) - 0.5


def test_vae_kl_is_zero_only_at_the_prior():
    vae = generative.VAE(4, 2)
    x = torch.randn(5, 4)
    with torch.no_grad():
        for p in vae.encoder[-1].parameters():
            p.zero_()
        _, kl = vae.elbo_terms(x)
    torch.testing.assert_close(kl, torch.zeros(5))
    with torch.no_grad():
        vae.encoder[-1].bias[0] = 1.0  # shift the mean of one latent by 1
        _, kl = vae.elbo_terms(x)
    torch.testing.assert_close(kl, torch.full((5,), 0.5))


def test_autoencoder_scores_off_manifold_points_higher():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(3000, 1))
    x = torch.tensor(np.hstack([z, 2 * z, -z]), dtype=torch.float32)
    ae = generative.Autoencoder(3, 1, hidden=16)
    generative.fit(ae, x, 400)
    off = torch.tensor(rng.normal(size=(500, 3)), dtype=torch.float32)
    on = x[:500]
    s = np.r_[ae.anomaly_score(on).numpy(), ae.anomaly_score(off).numpy()]
    assert roc_auc_score(np.r_[np.zeros(500), np.ones(500)], s) > 0.9


def test_fit_rejects_zero_steps():
    with pytest.raises(ValueError, match="n_steps"):
        generative.fit(generative.Autoencoder(2, 1), torch.zeros(4, 2), 0)


def test_mixture_ratio_is_monotonic_in_the_likelihood_ratio():
    x, _ = weak_supervision.mixed_sample(2000, 0.5, np.random.default_rng(6))
    ratio = weak_supervision.likelihood_ratio(x)
    mix = weak_supervision.mixture_ratio(ratio, 0.3, 0.1)
    assert spearmanr(ratio, mix).statistic == pytest.approx(1.0)


def test_cwola_classifier_separates_signal_without_labels():
    rng = np.random.default_rng(7)
    x1, _ = weak_supervision.mixed_sample(10_000, 0.25, rng)
    x2, _ = weak_supervision.mixed_sample(10_000, 0.05, rng)
    xt, yt = weak_supervision.mixed_sample(10_000, 0.5, rng)
    clf = HistGradientBoostingClassifier(max_iter=50, random_state=0)
    clf.fit(np.r_[x1, x2], np.r_[np.ones(len(x1)), np.zeros(len(x2))])
    auc = roc_auc_score(yt, clf.predict_proba(xt)[:, 1])
    best = roc_auc_score(yt, weak_supervision.likelihood_ratio(xt))
    assert auc > best - 0.05
    with pytest.raises(ValueError, match="signal_fraction"):
        weak_supervision.mixed_sample(10, 1.5, rng)
