"""Models and scores of the boosted-jet exercise: shapes, training, error paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lessons_code import jet_models as jm
from lessons_code.training import fit, predict

torch.set_num_threads(1)


def _images(n: int, n_pixels: int, seed: int, spread: float) -> torch.Tensor:
    """Normalised blob images whose width is set by ``spread`` (pixels)."""
    rng = np.random.default_rng(seed)
    grid = np.arange(n_pixels) - (n_pixels - 1) / 2
    width = spread * (1 + 0.1 * rng.random((n, 1, 1)))
    r2 = grid[None, :, None] ** 2 + grid[None, None, :] ** 2
    img = np.exp(-r2 / (2 * width**2)) + 0.01 * rng.random((n, n_pixels, n_pixels))
    img /= img.sum(axis=(1, 2), keepdims=True)
    return torch.tensor(img, dtype=torch.float32)


@pytest.fixture()
def config() -> jm.ImageModelConfig:
    return jm.ImageModelConfig(n_pixels=8, hidden=16, n_latent=3, pixel_scale=0.02)


def test_autoencoder_shapes_and_score(config: jm.ImageModelConfig) -> None:
    ae = jm.ImageAutoencoder(config)
    x = _images(5, 8, 0, 1.5)
    assert ae(x).shape == (5, 8, 8)
    err = ae.reconstruction_error(x)
    assert err.shape == (5,) and (err >= 0).all()
    assert jm.reconstruction_loss(ae, x).shape == ()


def test_vae_shapes_scores_and_determinism(config: jm.ImageModelConfig) -> None:
    torch.manual_seed(0)
    vae = jm.ImageVAE(config, beta=0.5)
    x = _images(6, 8, 1, 1.5)
    mu, logvar = vae.encode(x)
    assert mu.shape == logvar.shape == (6, 3)
    scores = vae.scores(x)
    assert {k: v.shape for k, v in scores.items()} == {
        "reconstruction": (6,),
        "kl": (6,),
        "total": (6,),
    }
    assert (scores["kl"] >= 0).all()
    torch.testing.assert_close(
        scores["total"], scores["reconstruction"] + 0.5 * scores["kl"]
    )
    # The scores decode the posterior mean, so they do not change between calls.
    torch.testing.assert_close(vae.scores(x)["total"], scores["total"])
    assert jm.vae_loss(vae, x).shape == ()


def test_classifier_and_pair_score(config: jm.ImageModelConfig) -> None:
    net = jm.ImageClassifier(config, n_classes=3)
    logits = net(_images(4, 8, 2, 1.5))
    assert logits.shape == (4, 3)
    z = np.array([[0.0, 2.0, -1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(jm.pair_score(z, 1, 0), [2.0, -1.0])
    assert jm.classifier_loss(net, _images(4, 8, 2, 1.5), torch.zeros(4)).shape == ()


def test_pixel_scale_is_stored_with_the_weights(config: jm.ImageModelConfig) -> None:
    ae = jm.ImageAutoencoder(config)
    assert "pixel_scale" in ae.state_dict()
    assert float(ae.state_dict()["pixel_scale"]) == pytest.approx(0.02)


def test_models_refuse_images_of_the_wrong_size(config: jm.ImageModelConfig) -> None:
    wrong = torch.zeros(2, 16, 16)
    for call in (
        jm.ImageAutoencoder(config),
        jm.ImageVAE(config).scores,
        jm.ImageClassifier(config),
    ):
        with pytest.raises(ValueError, match="n_pixels=8"):
            call(wrong)


def test_config_and_vae_reject_bad_settings() -> None:
    with pytest.raises(ValueError, match="pixel_scale"):
        jm.ImageModelConfig(pixel_scale=0.0)
    with pytest.raises(ValueError, match="n_pixels"):
        jm.ImageModelConfig(n_pixels=1)
    with pytest.raises(ValueError, match="sigma"):
        jm.ImageVAE(jm.ImageModelConfig(n_pixels=4), sigma=0.0)
    with pytest.raises(ValueError, match="empty"):
        jm.pixel_scale(np.zeros((2, 4, 4)))


def test_autoencoder_trained_on_narrow_jets_flags_wide_ones(
    config: jm.ImageModelConfig,
) -> None:
    """Trained on one kind of image, the error is larger on another kind."""
    train, valid = _images(600, 8, 3, 0.8), _images(200, 8, 4, 0.8)
    cfg = jm.ImageModelConfig(
        n_pixels=8, hidden=32, n_latent=2, pixel_scale=jm.pixel_scale(train.numpy())
    )
    ae = jm.ImageAutoencoder(cfg)
    fit(
        ae,
        (train,),
        (valid,),
        jm.reconstruction_loss,
        epochs=40,
        patience=40,
        lr=3e-3,
        batch_size=64,
        progress=False,
    )
    narrow = predict(
        ae, (_images(200, 8, 5, 0.8),), fn=lambda m, x: m.reconstruction_error(x)
    ).numpy()
    wide = predict(
        ae, (_images(200, 8, 6, 2.5),), fn=lambda m, x: m.reconstruction_error(x)
    ).numpy()
    labels = np.r_[np.zeros(200), np.ones(200)]
    assert jm.performance(labels, np.r_[narrow, wide])["AUC"] > 0.9


def test_training_is_deterministic(config: jm.ImageModelConfig) -> None:
    x = _images(128, 8, 7, 1.2)
    outs = []
    for _ in range(2):
        torch.manual_seed(123)
        ae = jm.ImageAutoencoder(config)
        fit(ae, (x,), (x,), jm.reconstruction_loss, epochs=2, seed=4, progress=False)
        outs.append(ae.reconstruction_error(x).detach())
    torch.testing.assert_close(outs[0], outs[1])


def test_observable_classifier_standardises_inside() -> None:
    mean, std = torch.tensor([100.0, 0.5]), torch.tensor([20.0, 0.1])
    net = jm.ObservableClassifier(mean, std, hidden=8)
    x = torch.tensor([[120.0, 0.6], [80.0, 0.4]])
    assert net(x).shape == (2,)
    bare = net.net(torch.tensor([[1.0, 1.0], [-1.0, -1.0]])).squeeze(1)
    torch.testing.assert_close(net(x), bare)
    with pytest.raises(ValueError, match="std > 0"):
        jm.ObservableClassifier(mean, torch.tensor([1.0, 0.0]))


def test_window_cut_score_orders_window_first() -> None:
    mass = np.array([170.0, 170.0, 60.0, 250.0])
    tau = np.array([0.4, 0.8, 0.1, 0.2])
    score = jm.window_cut_score(mass, tau, (140.0, 200.0))
    # Inside the window, lower tau is better; every jet inside beats every outside.
    assert score[0] > score[1] > max(score[2], score[3])
    with pytest.raises(ValueError, match="low < high"):
        jm.window_cut_score(mass, tau, (200.0, 140.0))


def test_cluster_purity_and_rand_index() -> None:
    truth = np.array([0, 0, 0, 1, 1, 2])
    perfect = jm.clustering_scores(truth, np.array([4, 4, 4, 9, 9, 1]))
    assert perfect == {"purity": 1.0, "adjusted_rand": 1.0}
    merged = jm.clustering_scores(truth, np.array([0, 0, 0, 0, 0, 0]))
    assert merged["purity"] == pytest.approx(0.5)
    assert merged["adjusted_rand"] == pytest.approx(0.0)


def test_mass_correlation_detects_a_sculpting_score() -> None:
    rng = np.random.default_rng(0)
    mass = rng.uniform(20, 300, 2000)
    assert jm.mass_correlation(mass + rng.normal(0, 10, 2000), mass) > 0.9
    assert abs(jm.mass_correlation(rng.normal(size=2000), mass)) < 0.1


def test_performance_matches_the_metrics_module() -> None:
    rng = np.random.default_rng(1)
    labels = np.r_[np.zeros(3000), np.ones(3000)]
    scores = labels + rng.normal(size=6000)
    out = jm.performance(labels, scores)
    assert set(out) == {"AUC", "R30", "R50"}
    assert 0.7 < out["AUC"] < 0.8  # Phi(1 / sqrt 2) = 0.760 for unit separation
    assert out["R30"] > out["R50"] > 1.0


def test_mixed_samples_have_the_requested_fractions() -> None:
    rng = np.random.default_rng(2)
    labels = np.r_[np.zeros(5000, int), np.ones(1500, int), np.full(800, 2)]
    index, sample = jm.mixed_samples(labels, 1, 0, (0.4, 0.1), rng)
    assert len(np.unique(index)) == len(index)  # disjoint samples
    assert not np.isin(labels[index], [2]).any()
    assert (sample == 1).sum() == (sample == 0).sum()
    frac1 = (labels[index][sample == 1] == 1).mean()
    frac2 = (labels[index][sample == 0] == 1).mean()
    assert frac1 == pytest.approx(0.4, abs=0.01)
    assert frac2 == pytest.approx(0.1, abs=0.01)
    with pytest.raises(ValueError, match="different"):
        jm.mixed_samples(labels, 1, 0, (0.3, 0.3), rng)
