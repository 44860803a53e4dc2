"""Optimiser comparison, overfitting curves and the differentiable selection."""

import numpy as np
import pytest
import torch

from lessons_code import optimisers, regularisation, soft_cuts, toys


@pytest.fixture(scope="module")
def toy_sample():
    return toys.GaussianToy().sample(300, seed=2)


def test_optimisers_start_equal_and_all_learn(toy_sample):
    x, y = toy_sample
    curves = optimisers.compare_optimisers(x, y, n_steps=60, seed=1)
    starts = {round(float(c[0]), 10) for c in curves.values()}
    assert len(starts) == 1  # same initial weights for every optimiser
    for name, c in curves.items():
        assert c.shape == (61,)
        assert c[-1] < 0.9 * c[0], name


def test_optimiser_comparison_is_deterministic(toy_sample):
    x, y = toy_sample
    a = optimisers.compare_optimisers(x, y, n_steps=10, seed=3)
    b = optimisers.compare_optimisers(x, y, n_steps=10, seed=3)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_optimiser_comparison_rejects_a_big_batch(toy_sample):
    x, y = toy_sample
    with pytest.raises(ValueError, match="batch_size"):
        optimisers.compare_optimisers(x, y, batch_size=10_000)


def test_overfitting_and_weight_decay():
    xt, yt = toys.noisy_sine(15, 0.3, seed=1)
    xv, yv = toys.noisy_sine(200, 0.3, seed=2)
    free = regularisation.train_curves(xt, yt, xv, yv, n_epochs=800)
    # Training loss falls below the noise floor: the net memorises noise.
    assert free["train"][-1] < 0.5 * 0.3**2
    # Validation loss turns up after its minimum.
    assert free["valid"][-1] > 1.2 * free["valid"].min()
    assert 0 < int(free["best_epoch"]) < 799
    decayed = regularisation.train_curves(
        xt, yt, xv, yv, n_epochs=800, weight_decay=1.0
    )
    assert decayed["train"][-1] > free["train"][-1]
    with pytest.raises(ValueError):
        regularisation.train_curves(xt, yt, xv, yv, n_epochs=0)


def test_asimov_significance_limits():
    s = torch.tensor(1.0, dtype=torch.float64)
    b = torch.tensor(1e6, dtype=torch.float64)
    # For s << b it tends to s / sqrt(b).
    z = soft_cuts.asimov_significance(s, b)
    assert float(z) == pytest.approx(1.0 / 1000.0, rel=1e-3)
    # For s = b it is sqrt(2 (2 ln 2 - 1)) sqrt(s).
    z_eq = soft_cuts.asimov_significance(s * 100, s * 100)
    assert float(z_eq) == pytest.approx(10 * np.sqrt(2 * (2 * np.log(2) - 1)))


def test_soft_window_tends_to_hard_window():
    m = torch.tensor([119.0, 121.0, 125.0, 129.5, 131.0])
    w = soft_cuts.window_weights(m, torch.tensor(120.0), torch.tensor(130.0), 1e-3)
    np.testing.assert_allclose(w.numpy(), [0, 1, 1, 1, 0], atol=1e-6)
    with pytest.raises(ValueError, match="tau_gev"):
        soft_cuts.window_weights(m, torch.tensor(1.0), torch.tensor(2.0), 0.0)


def test_gradient_ascent_finds_a_window_near_the_grid_optimum():
    toy = soft_cuts.MassPeakToy()
    events = toy.sample(5000, seed=3)
    path = soft_cuts.optimise_window(events, tau_gev=0.5, n_steps=200)
    assert path["z_hard"][-1] > 1.5 * path["z_hard"][0]
    lo, hi = path["lo_gev"][-1], path["hi_gev"][-1]
    assert lo < toy.mass_gev < hi  # the window brackets the peak
    grid = np.arange(115.0, 135.0, 0.5)
    best = soft_cuts.grid_scan(events, grid, grid).max()
    assert path["z_hard"][-1] > 0.93 * best


def test_soft_significance_gradient_matches_finite_differences():
    events = soft_cuts.MassPeakToy().sample(2000, seed=4)
    hi = torch.tensor(130.0, dtype=torch.float64)
    lo = torch.tensor(121.0, dtype=torch.float64, requires_grad=True)
    soft_cuts.soft_significance(events, lo, hi, tau_gev=1.0).backward()
    eps, f64 = 1e-4, torch.float64
    z_up, z_down = (
        float(soft_cuts.soft_significance(events, torch.tensor(v, dtype=f64), hi, 1.0))
        for v in (121.0 + eps, 121.0 - eps)
    )
    assert float(lo.grad) == pytest.approx((z_up - z_down) / (2 * eps), rel=1e-6)
    assert float(lo.grad) != 0.0


def test_soft_significance_tends_to_the_hard_one():
    events = soft_cuts.MassPeakToy().sample(2000, seed=5)
    lo, hi = torch.tensor(121.3, dtype=torch.float64), torch.tensor(128.7)
    z_soft = float(soft_cuts.soft_significance(events, lo, hi, tau_gev=1e-6))
    assert z_soft == pytest.approx(
        soft_cuts.hard_significance(events, 121.3, 128.7), rel=1e-6
    )
