"""Preprocessing of flat event features and the tabular networks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from lessons_code import metrics, tabular
from lessons_code.training import fit, predict

torch.set_num_threads(1)

FEATURES = ["met", "mt", "bjet_pt", "bjet_score", "dr_lep_bjet"]


def _events(n: int, seed: int, missing_fraction: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "met": rng.exponential(100.0, n) + 200.0,
            "mt": rng.exponential(50.0, n),
            "bjet_pt": rng.exponential(30.0, n) + 20.0,
            "bjet_score": rng.uniform(0, 1, n),
            "dr_lep_bjet": rng.uniform(0.4, 4.0, n),
        }
    )
    no_jet = rng.uniform(size=n) < missing_fraction
    df.loc[no_jet, list(tabular.BJET_FIELDS)] = np.nan
    return df


def test_missing_object_gets_indicator_and_training_median() -> None:
    train, test = _events(2000, 1), _events(500, 2)
    prep = tabular.TabularPreprocessor(FEATURES).fit(train)
    x = prep.transform(test)
    assert prep.output_names == [*FEATURES, "has_bjet"]
    assert x.shape == (500, 6) and x.dtype == np.float32
    assert np.isfinite(x).all()
    absent = test["bjet_pt"].isna().to_numpy()
    np.testing.assert_array_equal(x[:, -1], (~absent).astype(np.float32))
    for j, name in enumerate(FEATURES[2:], start=2):
        assert np.allclose(x[absent, j], np.nanmedian(train[name]))
        np.testing.assert_allclose(x[~absent, j], test[name][~absent], rtol=1e-6)
    # Nothing far from the bulk: the imputed values lie inside the training range.
    assert (x[:, 2] >= np.nanmin(train["bjet_pt"])).all()


def test_imputation_is_learnt_from_the_training_split_only() -> None:
    train, test = _events(2000, 1), _events(500, 2)
    prep = tabular.TabularPreprocessor(FEATURES).fit(train)
    before = prep.transform(test)
    shifted = test.copy()
    shifted["bjet_pt"] += 1000.0
    after = prep.transform(shifted)
    absent = test["bjet_pt"].isna().to_numpy()
    np.testing.assert_array_equal(before[absent], after[absent])


def test_log_features_are_logarithms() -> None:
    df = _events(100, 3)
    prep = tabular.TabularPreprocessor(FEATURES, log_features=["met"]).fit(df)
    np.testing.assert_allclose(prep.transform(df)[:, 0], np.log(df["met"]), rtol=1e-6)
    bad = df.assign(mt=-1.0)
    prep = tabular.TabularPreprocessor(FEATURES, log_features=["mt"])
    with pytest.raises(ValueError, match="positive"):
        prep.fit(bad)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda d: d.assign(bjet_pt=d["bjet_pt"].fillna(-999.0)), ValueError, "magic"),
        (lambda d: d.assign(met=np.nan), ValueError, "not an optional"),
        (lambda d: d.drop(columns="mt"), KeyError, "lacks the columns"),
    ],
)
def test_bad_tables_are_refused(change, error, match) -> None:
    prep = tabular.TabularPreprocessor(FEATURES)
    with pytest.raises(error, match=match):
        prep.fit(change(_events(100, 4)))


def test_transform_before_fit_and_unknown_optional_columns_fail() -> None:
    with pytest.raises(RuntimeError, match="fit"):
        tabular.TabularPreprocessor(FEATURES).transform(_events(10, 5))
    with pytest.raises(ValueError, match="not among the features"):
        tabular.TabularPreprocessor(["met"], optional={"bjet": ["bjet_pt"]})


def test_class_balanced_weights_keep_physics_proportions() -> None:
    y = np.array([0, 0, 0, 1, 1])
    w_pb = np.array([10.0, 5.0, 5.0, 0.002, 0.001])
    w = tabular.class_balanced_weights(y, w_pb)
    assert w[y == 0].sum() == pytest.approx(w[y == 1].sum())
    assert w.mean() == pytest.approx(1.0)
    assert w[0] / w[1] == pytest.approx(2.0) and w[3] / w[4] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="non-negative"):
        tabular.class_balanced_weights(y, -w_pb)


def test_standardiser_scales_training_data_and_is_saved() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(5.0, 3.0, size=(1000, 3)).astype(np.float32)
    x[:, 2] = 7.0  # a constant column stays finite
    scaler = tabular.Standardiser.fit(x)
    z = scaler(torch.from_numpy(x))
    np.testing.assert_allclose(z[:, :2].mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z[:, :2].std(0, unbiased=False), 1.0, atol=1e-4)
    assert torch.all(z[:, 2] == 0)
    assert set(scaler.state_dict()) == {"mean", "std"}
    with pytest.raises(ValueError, match="impute"):
        tabular.Standardiser.fit(np.array([[np.nan, 1.0]]))


def _separable(n: int, seed: int) -> tuple[torch.Tensor, ...]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 4)) * [1, 1, 50, 1] + [0, 0, 300, 0]
    x[:, 0] += 1.5 * y
    x[:, 2] += 60 * y  # signal shifted in a large-scale (GeV-like) column
    t = torch.tensor
    return (
        t(x, dtype=torch.float32),
        t(y, dtype=torch.float32),
        t(np.ones(n), dtype=torch.float32),
    )


def test_mlp_learns_deterministically_and_per_event() -> None:
    train, valid = _separable(3000, 7), _separable(1000, 8)
    aucs, outputs = [], []
    for _ in range(2):
        torch.manual_seed(0)
        model = tabular.MLPClassifier(tabular.Standardiser.fit(train[0]), (16, 16))
        fit(
            model,
            train,
            valid,
            tabular.weighted_bce_loss,
            epochs=8,
            lr=3e-3,
            seed=1,
            progress=False,
        )
        out = predict(model, (valid[0],))
        outputs.append(out)
        aucs.append(metrics.auc(valid[1].numpy(), out.numpy()))
    assert aucs[0] > 0.85
    torch.testing.assert_close(outputs[0], outputs[1])
    # Each event's score depends on that event only: shuffling permutes the output.
    perm = torch.randperm(len(valid[0]), generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(predict(model, (valid[0][perm],)), outputs[1][perm])


def test_autoencoder_flags_events_unlike_its_training_sample() -> None:
    rng = np.random.default_rng(9)
    # Background on a 2-d plane inside 6-d space; the anomalies leave the plane.
    basis = rng.normal(size=(2, 6))
    background = rng.normal(size=(4000, 2)) @ basis
    anomalies = rng.normal(size=(500, 2)) @ basis + rng.normal(0, 1.5, (500, 6))
    x_tr = torch.tensor(background[:3000], dtype=torch.float32)
    x_va = torch.tensor(background[3000:], dtype=torch.float32)
    ones = torch.ones
    torch.manual_seed(0)
    model = tabular.TabularAutoencoder(tabular.Standardiser.fit(x_tr), (16,), latent=2)
    result = fit(
        model,
        (x_tr, ones(3000)),
        (x_va, ones(1000)),
        tabular.weighted_reconstruction_loss,
        epochs=30,
        lr=3e-3,
        seed=0,
        progress=False,
    )
    assert result.valid_loss[result.best_epoch] < 0.5 * result.valid_loss[0]
    test = torch.tensor(np.r_[background[3000:], anomalies], dtype=torch.float32)
    labels = np.r_[np.zeros(1000), np.ones(500)]
    score = predict(model, (test,), fn=lambda m, x: m.anomaly_score(x))
    assert score.shape == (1500,)
    assert metrics.auc(labels, score.numpy()) > 0.9
    with pytest.raises(ValueError, match="latent"):
        tabular.TabularAutoencoder(tabular.Standardiser.fit(x_tr), latent=6)
