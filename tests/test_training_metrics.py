"""The shared training loop and the performance metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from torch import nn
from torch.nn import functional as F

from lessons_code import metrics
from lessons_code.training import batches, fit, predict

torch.set_num_threads(1)


def _toy(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)) + 1.5 * y[:, None]
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


def _loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(model(x).squeeze(-1), y)


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))


def test_batches_cover_every_row_once() -> None:
    x = torch.arange(10)
    seen = torch.cat([b[0] for b in batches((x,), 3, torch.Generator().manual_seed(1))])
    assert sorted(seen.tolist()) == list(range(10))


def test_batches_reject_mismatched_tensors() -> None:
    with pytest.raises(ValueError, match="same first dimension"):
        list(batches((torch.zeros(3), torch.zeros(4)), 2))


def test_fit_learns_and_is_deterministic() -> None:
    train, valid = _toy(2000, 1), _toy(500, 2)
    results = []
    for _ in range(2):
        model = _model()
        res = fit(
            model,
            train,
            valid,
            _loss,
            epochs=10,
            batch_size=64,
            lr=1e-2,
            seed=3,
            progress=False,
        )
        out = predict(model, (valid[0],)).squeeze(-1)
        results.append((res, out))
    (r1, o1), (r2, o2) = results
    assert torch.equal(o1, o2)
    assert r1.valid_loss == r2.valid_loss
    assert min(r1.valid_loss) < np.log(2) - 0.1  # better than guessing
    assert metrics.auc(valid[1].numpy(), o1.numpy()) > 0.8


def test_early_stopping_restores_the_best_epoch() -> None:
    train, valid = _toy(200, 1), _toy(200, 2)
    # A huge learning rate makes the validation loss bounce; patience 1 stops it.
    model = _model()
    res = fit(model, train, valid, _loss, epochs=40, lr=0.5, patience=1, progress=False)
    assert res.stopped_early
    from lessons_code.training import evaluate_loss

    assert evaluate_loss(model, valid, _loss) == pytest.approx(
        min(res.valid_loss), rel=1e-5
    )


def test_fit_reports_a_nan_loss() -> None:
    x, y = _toy(100, 1)
    x[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        fit(_model(), (x, y), _toy(50, 2), _loss, epochs=2, progress=False)


def test_auc_matches_sklearn_with_weights() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 500)
    s = y + rng.normal(size=500)
    w = rng.uniform(0.1, 2.0, 500)
    expected = roc_auc_score(y, s, sample_weight=w)
    assert metrics.auc(y, s, w) == pytest.approx(expected)
    assert metrics.auc(y, -s, w) == pytest.approx(1 - expected)


def test_rejection_on_a_hand_computed_case() -> None:
    # Signal scores 3, 4; background 1, 2, 3.5, 5: keeping half of the signal
    # (score >= 4) keeps one background event of four.
    y = [1, 1, 0, 0, 0, 0]
    s = [3.0, 4.0, 1.0, 2.0, 3.5, 5.0]
    assert metrics.background_efficiency_at(0.5, y, s) == pytest.approx(0.25)
    assert metrics.rejection_at(0.5, y, s) == pytest.approx(4.0)


def test_rejection_grows_with_separation() -> None:
    rng = np.random.default_rng(5)
    y = np.r_[np.zeros(5000), np.ones(5000)]
    noise = rng.normal(size=10_000)
    weak = metrics.rejection_at(0.5, y, y + noise)
    strong = metrics.rejection_at(0.5, y, 3 * y + noise)
    assert strong > 5 * weak


def test_threshold_keeps_the_requested_fraction() -> None:
    s = np.linspace(0, 1, 101)
    t = metrics.threshold_at(0.3, s)
    assert np.mean(s >= t) == pytest.approx(0.3, abs=0.011)


@pytest.mark.parametrize(
    ("labels", "scores", "match"),
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], "0 \\(background\\) or 1"),
        ([1, 1], [0.1, 0.2], "at least one signal"),
        ([0, 1], [0.1, float("nan")], "NaN or infinite"),
        ([0, 1], [0.1], "equal length"),
    ],
)
def test_metrics_reject_bad_input(labels: list, scores: list, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        metrics.auc(labels, scores)
