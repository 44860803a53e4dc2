"""The flavour taggers respect the symmetries of a set of tracks and stay finite.

Invariances are checked on untrained models with random weights and inputs: a
symmetry that holds by construction holds for any weights, and a mask leak shows
up at once. The evaluation helpers are checked against cases with known answers.
"""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import torch

from lessons_code import taggers as tg
from lessons_code.training import fit

torch.set_num_threads(1)

B, N, F, J = 6, 9, len(tg.TRACK_FEATURES), len(tg.JET_FEATURES)
ATOL = 1e-5


def _transformer() -> tg.TransformerTagger:
    torch.manual_seed(0)
    return tg.TransformerTagger(tg.TransformerConfig(embed_dim=16, num_heads=4))


def _deep_sets() -> tg.DeepSetsTagger:
    torch.manual_seed(0)
    return tg.DeepSetsTagger(width=16)


MODELS = {"transformer": _transformer, "deep_sets": _deep_sets}


def _batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random jets with 0 to N real tracks, padding filled with large junk."""
    gen = torch.Generator().manual_seed(seed)
    tracks = torch.randn(B, N, F, generator=gen)
    n_real = torch.tensor([N, 5, 1, 3, 0, 7])
    mask = torch.arange(N) < n_real[:, None]
    tracks[~mask] = 1e3  # any padding value must be ignored
    jet = torch.randn(B, J, generator=gen)
    return tracks, mask, jet


def _jets(n: int, seed: int) -> ak.Array:
    """A tiny stand-in for loaded flavour_tagging jets with the stored fields."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 8, n)
    total = int(counts.sum())
    label = rng.integers(0, 3, n)
    shift = np.repeat(label * 2.0, counts)  # b jets have displaced tracks
    d0_sig = rng.normal(shift, 1.0, total)
    tracks = {
        "ptfrac": rng.uniform(0.01, 0.5, total),
        "deta": rng.normal(0, 0.1, total),
        "dphi": rng.normal(0, 0.1, total),
        "d0_sig": d0_sig,
        "z0_sig": rng.normal(0, 1.0, total),
        "origin": np.repeat(np.where(label == 2, 1, 0), counts).astype(np.int8),
    }
    sorted_tracks = ak.sort(ak.unflatten(d0_sig, counts), ascending=False)
    tracks["d0_sig"] = ak.to_numpy(ak.flatten(sorted_tracks))
    return ak.Array(
        {
            "jet_pt": rng.uniform(20, 200, n),
            "jet_eta": rng.uniform(-2.5, 2.5, n),
            "label": label.astype(np.int8),
            "n_tracks": counts,
            "tracks": ak.unflatten(ak.Array(tracks), counts),
        }
    )


@pytest.mark.parametrize("name", MODELS)
def test_output_invariant_under_track_permutations(name: str) -> None:
    model = MODELS[name]().eval()
    tracks, mask, jet = _batch()
    reference = model(tracks, mask, jet)
    gen = torch.Generator().manual_seed(1)
    for _ in range(3):
        order = torch.stack([torch.randperm(N, generator=gen) for _ in range(B)])
        shuffled = torch.gather(tracks, 1, order[..., None].expand(-1, -1, F))
        out = model(shuffled, torch.gather(mask, 1, order), jet)
        torch.testing.assert_close(out, reference, atol=ATOL, rtol=0)


@pytest.mark.parametrize("name", MODELS)
def test_padding_can_be_added_or_removed(name: str) -> None:
    model = MODELS[name]().eval()
    tracks, mask, jet = _batch()
    reference = model(tracks, mask, jet)
    extra = torch.full((B, 4, F), -7.0)
    no_track = torch.zeros(B, 4, dtype=torch.bool)
    padded = model(torch.cat([tracks, extra], 1), torch.cat([mask, no_track], 1), jet)
    torch.testing.assert_close(padded, reference, atol=ATOL, rtol=0)
    longest = int(mask.sum(1).max())
    trimmed = model(tracks[:, :longest], mask[:, :longest], jet)
    torch.testing.assert_close(trimmed, reference, atol=ATOL, rtol=0)


@pytest.mark.parametrize("name", MODELS)
def test_jet_output_does_not_depend_on_other_jets(name: str) -> None:
    model = MODELS[name]().eval()
    tracks, mask, jet = _batch()
    reference = model(tracks, mask, jet)
    other_tracks, other_mask, other_jet = _batch(seed=5)
    for i in range(B):
        alone = model(tracks[i : i + 1], mask[i : i + 1], jet[i : i + 1])
        torch.testing.assert_close(alone, reference[i : i + 1], atol=ATOL, rtol=0)
    mixed = model(
        torch.cat([other_tracks[:3], tracks]),
        torch.cat([other_mask[:3], mask]),
        torch.cat([other_jet[:3], jet]),
    )
    torch.testing.assert_close(mixed[3:], reference, atol=ATOL, rtol=0)


@pytest.mark.parametrize("name", MODELS)
def test_jet_without_tracks_is_finite_in_value_and_gradient(name: str) -> None:
    model = MODELS[name]().train()
    tracks, mask, jet = _batch()
    mask[:] = False
    loss_fn = tg.make_loss(0.5 if name == "transformer" else 0.0)
    label = torch.arange(B) % 3
    origin = torch.full((B, N), -1)
    loss = loss_fn(model, tracks, mask, jet, label, origin)
    assert torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    out = model.eval()(tracks, mask, jet)
    assert torch.isfinite(out).all()
    none = model(tracks[:, :0], mask[:, :0], jet)
    torch.testing.assert_close(none, out, atol=ATOL, rtol=0)


def test_jet_without_tracks_depends_only_on_the_jet() -> None:
    model = _transformer().eval()
    tracks, mask, jet = _batch()
    mask[:] = False
    out = model(tracks, mask, jet)
    out_other = model(torch.randn_like(tracks), mask, jet)
    torch.testing.assert_close(out, out_other, atol=ATOL, rtol=0)
    assert not torch.allclose(out, model(tracks, mask, jet + 1.0))


def test_pooling_weights_are_a_distribution_over_real_tracks() -> None:
    model = _transformer().eval()
    tracks, mask, jet = _batch()
    out = model.forward_all(tracks, mask, jet)
    weights = out.pool_weights
    assert (weights[~mask] == 0).all()
    sums = weights.sum(1)
    has = mask.any(1)
    torch.testing.assert_close(sums[has], torch.ones(int(has.sum())))
    assert (sums[~has] == 0).all()
    assert out.track_logits.shape == (B, N, len(tg.ORIGINS))


def test_model_input_errors_are_explained() -> None:
    model = _transformer()
    tracks, mask, jet = _batch()
    with pytest.raises(ValueError, match="bool mask"):
        model(tracks, mask.float(), jet)
    with pytest.raises(ValueError, match="jet features"):
        model(tracks, mask, jet[:2])
    with pytest.raises(ValueError, match="divisible"):
        tg.TransformerTagger(tg.TransformerConfig(embed_dim=10, num_heads=4))
    with pytest.raises(ValueError, match="track head"):
        no_head = tg.TransformerTagger(tg.TransformerConfig(n_origins=0))
        tg.make_loss(1.0)(no_head, tracks, mask, jet, torch.zeros(B, dtype=int), mask)
    with pytest.raises(ValueError, match="non-negative"):
        tg.make_loss(-1.0)


def test_inputs_from_jets_have_documented_shapes_and_padding() -> None:
    jets = _jets(50, seed=0)
    x = tg.tagger_inputs(jets, max_tracks=5)
    counts = np.minimum(ak.to_numpy(ak.num(jets.tracks)), 5)
    assert x.tracks.shape == (50, 5, F) and x.jet.shape == (50, J)
    np.testing.assert_array_equal(x.mask.sum(1).numpy(), counts)
    assert (x.tracks[~x.mask] == 0).all() and (x.origin[~x.mask] == -1).all()
    assert torch.isfinite(x.tracks).all()
    first = ak.to_numpy(jets.tracks.d0_sig[counts > 0][:, 0])
    expected = np.sign(first) * np.log1p(np.abs(first))
    np.testing.assert_allclose(x.tracks[counts > 0, 0, 0].numpy(), expected, rtol=1e-5)


def test_high_level_features_count_displaced_tracks() -> None:
    jets = _jets(200, seed=1)
    table = tg.high_level_features(jets)
    assert list(table.columns) == list(tg.HIGH_LEVEL_FEATURES)
    d0 = jets.tracks.d0_sig
    np.testing.assert_array_equal(table.n_sig_2, ak.to_numpy(ak.sum(d0 > 2, axis=1)))
    empty = ak.to_numpy(ak.num(d0)) == 0
    assert table.d0_sig_1[empty].isna().all() and table.d0_sig_1[~empty].notna().all()
    has3 = ak.to_numpy(ak.num(d0)) >= 3
    assert (table.d0_sig_1[has3] >= table.d0_sig_3[has3]).all()


def test_b_discriminant_formula_and_fc() -> None:
    probs = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    f_c = 0.2
    expected = np.log(probs[:, 2] / (f_c * probs[:, 1] + (1 - f_c) * probs[:, 0]))
    np.testing.assert_allclose(tg.b_discriminant(probs, f_c), expected)
    # f_c = 0: only light jets in the denominator
    np.testing.assert_allclose(tg.b_discriminant(probs, 0.0), np.log([1 / 6, 7.0]))
    assert np.isfinite(tg.b_discriminant([[0.0, 0.0, 1.0]])).all()
    with pytest.raises(ValueError, match="f_c"):
        tg.b_discriminant(probs, 1.5)
    with pytest.raises(ValueError, match="shape"):
        tg.b_discriminant(probs[:, :2])


def test_rejection_on_a_known_case() -> None:
    # 10 b jets with scores 10..19; light jets at 0..8 and two at 15, 16;
    # c jets all at 12.5. At 50% b efficiency (keep scores >= 15), 2 of 11
    # light jets pass: rejection 5.5; at 70% (>= 13), still 2 light, 0 c.
    disc = np.r_[np.arange(10, 20), np.arange(9), 15, 16, [12.5] * 4].astype(float)
    labels = np.r_[[2] * 10, [0] * 11, [1] * 4]
    assert tg.rejection(0.5, disc, labels, "light") == pytest.approx(5.5)
    assert tg.rejection(0.7, disc, labels, "c") == np.inf
    assert tg.rejection(1.0, disc, labels, "c") == pytest.approx(1.0)
    table = tg.rejection_table({"toy": disc}, labels, (0.5,))
    assert table.loc["toy", "light rej. @ 50%"] == pytest.approx(5.5)
    with pytest.raises(ValueError, match="background"):
        tg.rejection(0.5, disc, labels, "tau")


def test_short_training_learns_displaced_tracks_deterministically() -> None:
    train, valid = tg.tagger_inputs(_jets(600, 2)), tg.tagger_inputs(_jets(200, 3))

    def run() -> tuple[list[float], np.ndarray]:
        torch.manual_seed(0)
        model = tg.TransformerTagger(tg.TransformerConfig(embed_dim=16, num_layers=1))
        model.fit_scaling(train)
        result = fit(
            model, train.tensors(), valid.tensors(), tg.make_loss(0.5),
            epochs=6, batch_size=64, lr=3e-3, seed=3, progress=False,
        )  # fmt: skip
        return result.valid_loss, tg.predict_proba(model, valid)

    losses, probs = run()
    assert losses[-1] < losses[0]
    labels = valid.label.numpy()
    has = valid.mask.any(1).numpy()
    disc = tg.b_discriminant(probs)
    assert tg.rejection(0.7, disc[has], labels[has], "light") > 3
    losses_again, probs_again = run()
    assert losses == losses_again
    np.testing.assert_array_equal(probs, probs_again)


def test_bootstrap_ratio_of_a_tagger_to_itself_is_one() -> None:
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 3000)
    disc = labels + rng.normal(0, 1.0, 3000)
    ratios = tg.bootstrap_rejection_ratio(disc, disc, labels, 0.7, "light", 30)
    np.testing.assert_allclose(ratios, 1.0)
    better = tg.bootstrap_rejection_ratio(
        2 * labels + rng.normal(0, 1.0, 3000), disc, labels, 0.7, "light", 30
    )
    assert (better > 1).all()
    with pytest.raises(ValueError, match="one value per jet"):
        tg.bootstrap_rejection_ratio(disc, disc[:-1], labels, 0.7, "light")
