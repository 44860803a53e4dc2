"""The teaching autodiff engine: forward mode, reverse mode, agreement with torch."""

import math

import numpy as np
import pytest
import torch

from lessons_code import autodiff as ad
from lessons_code.toys import GaussianToy


def _batch(n=40, seed=3):
    x, y = GaussianToy().sample(n // 2, seed=seed)
    return x, y


def test_dual_numbers_follow_the_product_and_chain_rules():
    def f(a, b):
        return ad.sin(a * b) + ad.exp(a) / b

    a, b = 0.7, 1.3
    expected_da = b * math.cos(a * b) + math.exp(a) / b
    expected_db = a * math.cos(a * b) - math.exp(a) / b**2
    assert ad.forward_derivative(f, [a, b], 0) == pytest.approx(expected_da, 1e-12)
    assert ad.forward_derivative(f, [a, b], 1) == pytest.approx(expected_db, 1e-12)


def test_dual_value_is_the_ordinary_function_value():
    x = ad.Dual(0.4, 1.0)
    out = ad.tanh(x) * ad.log_(x + 2) - x**3
    assert out.value == pytest.approx(math.tanh(0.4) * math.log(2.4) - 0.4**3)


def test_forward_derivative_rejects_a_bad_index():
    with pytest.raises(IndexError, match="out of range"):
        ad.forward_derivative(lambda a: a, [1.0], 1)


def test_reverse_mode_handles_reuse_and_broadcasting():
    w = ad.Var(np.array([[1.0, -2.0, 0.5]]))  # (1, 3), broadcast over rows
    x = ad.Var(np.arange(6.0).reshape(2, 3))
    out = (x * w + w * w).sum()  # w is used twice
    out.backward()
    expected = x.value.sum(axis=0, keepdims=True) + 2 * 2 * w.value
    np.testing.assert_allclose(w.grad, expected)
    np.testing.assert_allclose(x.grad, np.broadcast_to(w.value, (2, 3)))


def test_backward_needs_a_scalar():
    with pytest.raises(ValueError, match="scalar"):
        ad.Var(np.ones(3)).backward()


def test_backward_twice_gives_the_same_gradient():
    w = ad.Var([1.0, 3.0])
    loss = (ad.tanh_v(w) * w).sum()
    loss.backward()
    first = w.grad.copy()
    loss.backward()
    np.testing.assert_allclose(w.grad, first)


@pytest.mark.parametrize("sizes", [(2, 1), (2, 5, 1), (2, 4, 3, 1)])
def test_engine_matches_torch_autograd(sizes):
    x, y = _batch()
    params = ad.init_mlp(sizes, seed=7)
    loss, grads = ad.reverse_gradients(params, x, y)
    loss_t, grads_t = ad.torch_gradients(params, x, y)
    assert loss == pytest.approx(loss_t, rel=1e-12)
    assert ad.max_relative_difference(grads, grads_t) < 1e-10


def test_engine_matches_finite_differences():
    x, y = _batch()
    params = ad.init_mlp((2, 4, 1), seed=1)
    _, grads = ad.reverse_gradients(params, x, y)
    numeric = ad.finite_difference_gradients(params, x, y, eps=1e-6)
    assert ad.max_relative_difference(grads, numeric) < 1e-6


def test_the_check_can_fail():
    x, y = _batch()
    params = ad.init_mlp((2, 4, 1), seed=1)
    _, grads = ad.reverse_gradients(params, x, y)
    wrong = [g.copy() for g in grads]
    wrong[0][0, 0] += 0.1 * np.abs(wrong[0]).max()
    assert ad.max_relative_difference(wrong, grads) > 0.05


def test_elementwise_ops_match_torch():
    v = np.array([[-1.5, 0.2, 2.0]])
    for ours, theirs in [
        (ad.exp_v, torch.exp),
        (ad.sin_v, torch.sin),
        (ad.tanh_v, torch.tanh),
        (ad.sigmoid_v, torch.sigmoid),
        (ad.relu_v, torch.relu),
    ]:
        a = ad.Var(v)
        ours(a * a + a).sum().backward()
        t = torch.tensor(v, requires_grad=True)
        theirs(t * t + t).sum().backward()
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-12)


def test_gradient_descent_with_the_engine_lowers_the_loss():
    x, y = _batch(200)
    params = ad.init_mlp((2, 8, 1), seed=0)
    first, _ = ad.reverse_gradients(params, x, y)
    for _ in range(50):
        _, grads = ad.reverse_gradients(params, x, y)
        params = [p - 0.5 * g for p, g in zip(params, grads, strict=True)]
    last, _ = ad.reverse_gradients(params, x, y)
    assert last < 0.8 * first


def test_graph_description_lists_each_node_once():
    w = ad.Var([1.0])
    y = (w * w + w).sum()
    lines = ad.describe_graph(y)
    assert len(lines) == len(ad.topological_order(y))
    assert lines[-1].startswith(f"n{len(lines) - 1} = sum(")


def test_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="at least"):
        ad.init_mlp([3])
    with pytest.raises(ValueError, match="positive"):
        ad.finite_difference_gradients(ad.init_mlp((2, 1)), *_batch(), eps=0.0)
    with pytest.raises(ValueError, match="matmul"):
        _ = ad.Var(np.ones(3)) @ ad.Var(np.ones(3))
