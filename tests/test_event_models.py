"""Tests of the ttH event models: symmetries they claim, inputs, losses, the scan."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest
import torch

from lessons_code.event_models import (
    COLUMN,
    HIGH_LEVEL,
    OBJECT_FEATURES,
    PIXEL_PT_GEV,
    DeepSets,
    EventInputs,
    HighLevelDense,
    ModelSpec,
    ObjectDense,
    PhiCircularCNN,
    augment_objects,
    event_images,
    event_inputs,
    high_level_inputs,
    image_inputs,
    make_loss,
    object_inputs,
    pad_phi_circular,
    reflect_eta,
    rotate_phi,
    sample_efficiency,
    summarise,
)

torch.set_num_threads(1)


def synthetic_events(n: int, seed: int = 0) -> ak.Array:
    """Events with the ``tth`` schema; ttH has two extra central b-tagged jets."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        is_tth = i % 2
        n_jets = int(rng.integers(4, 9))
        pt = np.sort(rng.exponential(60.0, n_jets) + 25.0)[::-1]
        tagged = (rng.random(n_jets) < 0.3).astype(np.int32)
        tagged[:2] = 1
        truth = np.zeros(n_jets, dtype=np.int32)
        if is_tth:
            tagged[2:4] = 1
            truth[2:4] = 1
        n_b = int(tagged.sum())
        records.append(
            {
                "jets": {
                    "pt": pt,
                    "eta": rng.normal(0.0, 0.5 if is_tth else 1.2, n_jets),
                    "phi": rng.uniform(-math.pi, math.pi, n_jets),
                    "mass": rng.uniform(5.0, 20.0, n_jets),
                    "btag": np.where(tagged, 0.9, 0.1),
                    "is_btagged": tagged,
                    "truth": truth,
                },
                "lep_pt": rng.uniform(30.0, 100.0),
                "lep_eta": rng.uniform(-2.0, 2.0),
                "lep_phi": rng.uniform(-math.pi, math.pi),
                "met": rng.uniform(10.0, 150.0),
                "met_phi": rng.uniform(-math.pi, math.pi),
                "ht": float(pt.sum()),
                "n_jets": n_jets,
                "n_btags": n_b,
                "m_bb_min_dr": rng.uniform(20.0, 200.0),
                "dr_bb_min": rng.uniform(0.4, 3.0),
                "dr_bb_mean": rng.uniform(0.4, 3.0),
                "m_bb_max_pt": rng.uniform(20.0, 300.0),
                "m_lep_b_min": rng.uniform(20.0, 200.0) if n_b else float("nan"),
                "process": is_tth,
                "weight_pb": 0.5 if is_tth else 2.0,
            }
        )
    events = ak.Array(records)
    jets = ak.zip({name: events.jets[name] for name in events.jets.fields})
    return ak.with_field(events, jets, "jets")


@pytest.fixture(scope="module")
def data() -> EventInputs:
    return event_inputs(synthetic_events(400, seed=3))


def permute(objects: torch.Tensor, mask: torch.Tensor, seed: int):
    gen = torch.Generator().manual_seed(seed)
    perm = torch.stack([torch.randperm(objects.shape[1], generator=gen) for _ in mask])
    rows = torch.arange(len(mask))[:, None]
    return objects[rows, perm], mask[rows, perm], perm


# ---------------------------------------------------------------- inputs


def test_event_inputs_shapes_and_targets(data: EventInputs) -> None:
    n = len(data)
    assert data.objects.shape == (n, 12, len(OBJECT_FEATURES))
    assert data.mask.shape == (n, 12) and data.mask.dtype == torch.bool
    assert data.high_level.shape == (n, len(HIGH_LEVEL))
    assert torch.isfinite(data.high_level).all()  # the NaN m_lep_b_min is replaced
    # lepton and MET always present, one of each type per event
    assert data.mask[:, 10:].all()
    assert (data.objects[..., COLUMN["is_lepton"]].sum(1) == 1).all()
    assert (data.objects[..., COLUMN["is_met"]].sum(1) == 1).all()
    # padding slots are zeros
    assert (data.objects[~data.mask] == 0).all()
    # Higgs jets only in ttH, exactly two per event in this sample
    assert (data.higgs.sum(1) == 2 * data.label).all()
    # class-balanced training weights: mean one per class
    for value in (0.0, 1.0):
        mean = data.weight[data.label == value].mean()
        assert mean == pytest.approx(1.0, rel=1e-5)
    phi = torch.atan2(data.objects[..., 3], data.objects[..., 2])
    assert phi.abs().max() <= math.pi + 1e-6


def test_event_inputs_keeps_the_hardest_jets() -> None:
    events = synthetic_events(20, seed=1)
    inputs = event_inputs(events, max_jets=4)
    assert inputs.objects.shape[1] == 6
    leading = np.log(ak.to_numpy(events.jets.pt[:, 0]))
    np.testing.assert_allclose(inputs.objects[:, 0, 0].numpy(), leading, rtol=1e-5)


def test_event_inputs_missing_fields_raise() -> None:
    events = synthetic_events(4)
    with pytest.raises(ValueError, match="met_phi"):
        event_inputs(events[[f for f in events.fields if f != "met_phi"]])


def test_subset_selects_rows(data: EventInputs) -> None:
    sub = data.subset(torch.tensor([3, 1]))
    assert len(sub) == 2
    assert torch.equal(sub.objects[1], data.objects[1])


# ---------------------------------------------------------------- symmetries


def test_rotation_shifts_phi_and_keeps_padding(data: EventInputs) -> None:
    angle = torch.linspace(-3.0, 3.0, len(data))
    rotated = rotate_phi(data.objects, angle)
    assert (rotated[~data.mask] == 0).all()
    before = torch.atan2(data.objects[..., 3], data.objects[..., 2])
    after = torch.atan2(rotated[..., 3], rotated[..., 2])
    diff = torch.remainder(after - before - angle[:, None] + math.pi, 2 * math.pi)
    np.testing.assert_allclose(diff[data.mask].numpy(), math.pi, atol=1e-4)
    full = rotate_phi(data.objects, torch.full((len(data),), 2 * math.pi))
    torch.testing.assert_close(full, data.objects, atol=1e-5, rtol=0)
    # eta, pT and everything else unchanged
    keep = [i for i in range(len(OBJECT_FEATURES)) if i not in (2, 3)]
    assert torch.equal(rotated[..., keep], data.objects[..., keep])


def test_reflection_flips_eta_only(data: EventInputs) -> None:
    flip = torch.arange(len(data)) % 3 == 0
    out = reflect_eta(data.objects, flip)
    eta = COLUMN["eta"]
    assert torch.equal(out[flip][..., eta], -data.objects[flip][..., eta])
    assert torch.equal(out[~flip], data.objects[~flip])
    assert torch.equal(reflect_eta(out, flip), data.objects)


def test_augmentation_is_seeded_and_changes_events(data: EventInputs) -> None:
    a = augment_objects(data.objects, torch.Generator().manual_seed(1))
    b = augment_objects(data.objects, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    assert not torch.equal(a, data.objects)
    pt = COLUMN["log_pt"]
    assert torch.equal(a[..., pt], data.objects[..., pt])


def test_image_sums_the_transverse_momenta(data: EventInputs) -> None:
    images = event_images(data.objects, data.mask, n_eta=10, n_phi=16)
    assert images.shape == (len(data), 4, 10, 16)
    pt = torch.exp(data.objects[..., 0]) * data.mask / PIXEL_PT_GEV
    is_met = data.objects[..., COLUMN["is_met"]] > 0
    expected = (pt * torch.where(is_met, 10.0, 1.0)).sum(1)
    torch.testing.assert_close(images.sum((1, 2, 3)), expected, rtol=1e-4, atol=0)
    # b-tagged jets in channel 1, lepton in channel 2
    tagged = data.objects[..., COLUMN["is_btagged"]] > 0
    torch.testing.assert_close(
        images[:, 1].sum((1, 2)), (pt * tagged).sum(1), rtol=1e-4, atol=0
    )


def test_rotation_by_one_pixel_rolls_the_image() -> None:
    # objects at pixel centres, so a rotation by a pixel width moves whole pixels
    n_phi = 16
    width = 2 * math.pi / n_phi
    data = event_inputs(synthetic_events(50, seed=5))
    objects = data.objects.clone()
    k = torch.randint(0, n_phi, data.mask.shape, generator=torch.Generator())
    centre = -math.pi + (k + 0.5) * width
    objects[..., 2] = torch.cos(centre) * data.mask
    objects[..., 3] = torch.sin(centre) * data.mask
    image = event_images(objects, data.mask, n_phi=n_phi)
    rotated = rotate_phi(objects, torch.full((50,), 3 * width))
    torch.testing.assert_close(
        event_images(rotated, data.mask, n_phi=n_phi), image.roll(3, dims=-1)
    )


# ---------------------------------------------------------------- models


def test_pad_phi_circular_wraps_phi_and_zero_pads_eta() -> None:
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).view(2, 3, 4, 5)
    padded = pad_phi_circular(x, 1)
    assert padded.shape == (2, 3, 6, 7)
    assert torch.equal(padded[..., 1:-1, 0], x[..., -1])
    assert torch.equal(padded[..., 1:-1, -1], x[..., 0])
    assert (padded[..., 0, :] == 0).all() and (padded[..., -1, :] == 0).all()


def test_cnn_feature_maps_are_equivariant_under_phi_rolls() -> None:
    torch.manual_seed(0)
    model = PhiCircularCNN(n_eta=6, n_phi=8, channels=4, width=8).eval()
    image = torch.rand(5, 4, 6, 8)
    maps = model.features(image)
    for shift in (1, 3, 7):
        rolled = model.features(image.roll(shift, dims=-1))
        torch.testing.assert_close(rolled, maps.roll(shift, dims=-1))


def test_cnn_output_is_invariant_under_phi_rolls_not_eta_rolls() -> None:
    torch.manual_seed(1)
    model = PhiCircularCNN(n_eta=6, n_phi=8, channels=4, width=8).eval()
    image = torch.rand(5, 4, 6, 8)
    out = model(image)
    for shift in range(1, 8):
        torch.testing.assert_close(model(image.roll(shift, dims=-1)), out)
    assert not torch.allclose(model(image.roll(2, dims=-2)), out, atol=1e-4)


def test_cnn_rejects_images_of_the_wrong_size() -> None:
    with pytest.raises(ValueError, match="event_images"):
        PhiCircularCNN(n_eta=6, n_phi=8)(torch.zeros(1, 4, 10, 16))


@pytest.mark.parametrize("aux", [False, True])
def test_deep_sets_is_permutation_invariant(data: EventInputs, aux: bool) -> None:
    torch.manual_seed(2)
    model = DeepSets(width=16, aux=aux).fit_scaling(data).eval()
    objects, mask = data.objects[:64], data.mask[:64]
    event, per_object = model.forward_all(objects, mask)
    p_obj, p_mask, perm = permute(objects, mask, seed=4)
    p_event, p_per_object = model.forward_all(p_obj, p_mask)
    torch.testing.assert_close(p_event, event, atol=1e-5, rtol=1e-5)
    if aux:
        rows = torch.arange(64)[:, None]
        torch.testing.assert_close(p_per_object, per_object[rows, perm])


def test_deep_sets_ignores_extra_padding(data: EventInputs) -> None:
    torch.manual_seed(3)
    model = DeepSets(width=16).fit_scaling(data).eval()
    objects, mask = data.objects[:64], data.mask[:64]
    out = model(objects, mask)
    junk = torch.randn(64, 5, objects.shape[-1])  # not zeros: the mask must hide it
    wide = torch.cat([objects, junk], dim=1)
    wide_mask = torch.cat([mask, torch.zeros(64, 5, dtype=torch.bool)], dim=1)
    torch.testing.assert_close(model(wide, wide_mask), out, atol=1e-5, rtol=1e-5)


def test_dense_model_is_not_permutation_invariant(data: EventInputs) -> None:
    torch.manual_seed(4)
    model = ObjectDense(width=16).fit_scaling(data).eval()
    objects, mask = data.objects[:64], data.mask[:64]
    p_obj, p_mask, _ = permute(objects, mask, seed=5)
    assert not torch.allclose(model(p_obj, p_mask), model(objects, mask), atol=1e-3)


def test_models_reject_a_bad_mask(data: EventInputs) -> None:
    with pytest.raises(ValueError, match="bool mask"):
        DeepSets(width=8)(data.objects[:2], data.mask[:2].float())


# ---------------------------------------------------------------- losses


def test_loss_augments_only_in_training_mode(data: EventInputs) -> None:
    torch.manual_seed(5)
    model = ObjectDense(width=16).fit_scaling(data)
    batch = (data.objects, data.mask, data.label, data.weight)
    loss_fn = make_loss(augment=True)
    model.eval()
    assert loss_fn(model, *batch) == loss_fn(model, *batch)
    assert loss_fn(model, *batch) == make_loss()(model, *batch)
    model.train()
    assert loss_fn(model, *batch) != loss_fn(model, *batch)


def test_auxiliary_loss_adds_the_higgs_jet_term(data: EventInputs) -> None:
    torch.manual_seed(6)
    model = DeepSets(width=16, aux=True).fit_scaling(data).eval()
    tensors = (data.objects, data.mask, data.label, data.weight)
    plain = make_loss()(model, *tensors)
    with_aux = make_loss(aux_weight=0.5)(model, *tensors, data.higgs)
    assert with_aux > plain
    with pytest.raises(ValueError, match="aux=True"):
        make_loss(aux_weight=1.0)(DeepSets(width=8), *tensors, data.higgs)
    with pytest.raises(ValueError, match="non-negative"):
        make_loss(aux_weight=-1.0)


# ---------------------------------------------------------------- the scan


def specs() -> list[ModelSpec]:
    return [
        ModelSpec(
            "high-level dense", lambda: HighLevelDense(width=16), high_level_inputs
        ),
        ModelSpec("dense + aug", lambda: ObjectDense(width=16), object_inputs, True),
        ModelSpec("CNN", lambda: PhiCircularCNN(channels=4, width=8), image_inputs),
        ModelSpec(
            "Deep Sets + aux",
            lambda: DeepSets(width=16, aux=True),
            object_inputs,
            aux_weight=0.5,
        ),
    ]


def test_sample_efficiency_is_deterministic_and_learns() -> None:
    train = event_inputs(synthetic_events(600, seed=7))
    valid = event_inputs(synthetic_events(200, seed=8))
    test = event_inputs(synthetic_events(400, seed=9))
    kwargs = {"epochs": 6, "batch_size": 64, "lr": 3e-3}
    scan = sample_efficiency(specs(), train, valid, test, [200, 600], [0], **kwargs)
    assert len(scan) == 4 * 2
    assert set(scan.columns) >= {"model", "n_train", "seed", "auc", "n_parameters"}
    again = sample_efficiency(specs()[3:], train, valid, test, [600], [0], **kwargs)
    ref = scan.query("model == 'Deep Sets + aux' and n_train == 600")["auc"].item()
    assert again["auc"].item() == pytest.approx(ref, abs=1e-9)
    # the jets of ttH are central here: the object models must see it
    assert ref > 0.8
    table = summarise(scan)
    assert len(table) == 8 and (table["auc_err"] == 0).all()


def test_sample_efficiency_rejects_too_large_sizes() -> None:
    train = event_inputs(synthetic_events(20, seed=7))
    with pytest.raises(ValueError, match="exceeds"):
        sample_efficiency(specs(), train, train, train, [50], [0])


def test_constant_training_features_are_not_blown_up(data: EventInputs) -> None:
    # no training event fills the last jet slot: its features must stay unscaled
    few = data.subset(torch.nonzero(~data.mask[:, 9]).squeeze(1))
    model = ObjectDense(width=8).fit_scaling(few)
    std = model.norm.std.view(12, len(OBJECT_FEATURES))
    assert (std[9] == 1.0).all()
    model.eval()
    out = model(data.objects, data.mask)
    assert torch.isfinite(out).all() and out.abs().max() < 100
