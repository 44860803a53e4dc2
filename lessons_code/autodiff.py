"""Automatic differentiation written out for teaching: forward and reverse mode.

Two small engines live here. :class:`Dual` implements forward mode with dual
numbers ``a + b ε`` (``ε² = 0``): evaluating a function on ``x + 1 ε`` carries the
derivative along with the value. :class:`Var` implements reverse mode on numpy
arrays: every operation records its inputs and a rule that maps the gradient of
its output to the gradients of its inputs (a vector-Jacobian product), and
:meth:`Var.backward` walks the recorded graph once, from the output back to the
leaves. This is the algorithm behind ``torch.autograd``, without the speed: use
torch for real models.

Shapes: ``N`` is the number of examples, ``D`` the number of input features,
``H`` the width of a hidden layer.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

Number = float | int


# --------------------------------------------------------------------------
# Forward mode: dual numbers
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Dual:
    """A dual number ``value + tangent ε`` with ``ε² = 0``.

    Arithmetic on dual numbers follows the rules of differentiation: for any
    smooth ``f``, ``f(a + b ε) = f(a) + f'(a) b ε``. Seeding ``tangent = 1`` on
    one input therefore returns the derivative with respect to that input.

    Parameters
    ----------
    value
        The ordinary (primal) part.
    tangent
        The derivative part, the coefficient of ``ε``.

    Examples
    --------
    >>> x = Dual(3.0, 1.0)
    >>> y = x * x + 2 * x
    >>> y.value, y.tangent
    (15.0, 8.0)
    """

    value: float
    tangent: float = 0.0

    @staticmethod
    def lift(other: Dual | Number) -> Dual:
        """Return ``other`` as a dual number (a constant has zero tangent)."""
        return other if isinstance(other, Dual) else Dual(float(other), 0.0)

    def __add__(self, other: Dual | Number) -> Dual:
        o = Dual.lift(other)
        return Dual(self.value + o.value, self.tangent + o.tangent)

    __radd__ = __add__

    def __neg__(self) -> Dual:
        return Dual(-self.value, -self.tangent)

    def __sub__(self, other: Dual | Number) -> Dual:
        return self + (-Dual.lift(other))

    def __rsub__(self, other: Dual | Number) -> Dual:
        return Dual.lift(other) - self

    def __mul__(self, other: Dual | Number) -> Dual:
        o = Dual.lift(other)
        return Dual(
            self.value * o.value, self.tangent * o.value + self.value * o.tangent
        )

    __rmul__ = __mul__

    def __truediv__(self, other: Dual | Number) -> Dual:
        o = Dual.lift(other)
        tangent = (self.tangent * o.value - self.value * o.tangent) / o.value**2
        return Dual(self.value / o.value, tangent)

    def __rtruediv__(self, other: Dual | Number) -> Dual:
        return Dual.lift(other) / self

    def __pow__(self, n: Number) -> Dual:
        if isinstance(n, Dual):
            msg = "Dual ** Dual is not supported; write exp(b * log(a)) instead."
            raise TypeError(msg)
        return Dual(self.value**n, n * self.value ** (n - 1) * self.tangent)


def _unary(
    x: Dual | Number,
    f: Callable[[float], float],
    df: Callable[[float], float],
) -> Dual | float:
    """Apply ``f`` to a number, or ``f`` with chain rule ``df`` to a dual number."""
    if isinstance(x, Dual):
        return Dual(f(x.value), df(x.value) * x.tangent)
    return f(float(x))


def exp(x: Dual | Number) -> Dual | float:
    """Exponential of a number or a dual number."""
    return _unary(x, math.exp, math.exp)


def log_(x: Dual | Number) -> Dual | float:
    """Natural logarithm of a number or a dual number (named to avoid ``log``)."""
    return _unary(x, math.log, lambda a: 1.0 / a)


def sin(x: Dual | Number) -> Dual | float:
    """Sine of a number or a dual number."""
    return _unary(x, math.sin, math.cos)


def cos(x: Dual | Number) -> Dual | float:
    """Cosine of a number or a dual number."""
    return _unary(x, math.cos, lambda a: -math.sin(a))


def tanh(x: Dual | Number) -> Dual | float:
    """Hyperbolic tangent of a number or a dual number."""
    return _unary(x, math.tanh, lambda a: 1.0 - math.tanh(a) ** 2)


def forward_derivative(f: Callable[..., Dual], x: Sequence[float], i: int) -> float:
    """Return ``∂f/∂x_i`` at ``x`` with one forward-mode pass.

    Parameters
    ----------
    f
        A function of ``len(x)`` scalar arguments built from the operations of
        :class:`Dual` and the functions of this module.
    x
        The point, shape ``(n,)``.
    i
        Index of the input to differentiate with respect to.

    Returns
    -------
    float
        The partial derivative.

    Raises
    ------
    IndexError
        If ``i`` is not a valid index into ``x``.

    Examples
    --------
    >>> forward_derivative(lambda a, b: a * b + sin(a), [0.0, 2.0], 0)
    3.0
    """
    if not 0 <= i < len(x):
        msg = f"input index {i} is out of range for a point with {len(x)} inputs."
        raise IndexError(msg)
    args = [Dual(float(v), 1.0 if j == i else 0.0) for j, v in enumerate(x)]
    out = Dual.lift(f(*args))
    return out.tangent


# --------------------------------------------------------------------------
# Reverse mode: a graph of array-valued nodes
# --------------------------------------------------------------------------


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched.

    Parameters
    ----------
    grad
        Gradient with the broadcast shape.
    shape
        Shape of the input that was broadcast.

    Returns
    -------
    numpy.ndarray
        Gradient with shape ``shape``.
    """
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Var:
    """A node of a computational graph holding an array and, later, its gradient.

    Parameters
    ----------
    value
        The array (or number) this node holds; stored as float64.
    parents
        Pairs ``(parent, vjp)``: ``vjp`` maps the gradient of the loss with
        respect to this node to the contribution to the parent's gradient.
        Leaves (inputs and parameters) have none.
    op
        Name of the operation that made this node, for printing the graph.

    Examples
    --------
    >>> w = Var([1.0, 2.0])
    >>> loss = (w * w).sum()
    >>> loss.backward()
    >>> w.grad
    array([2., 4.])
    """

    def __init__(
        self,
        value: np.ndarray | Number | Sequence[float],
        parents: Iterable[tuple[Var, Callable[[np.ndarray], np.ndarray]]] = (),
        op: str = "leaf",
    ) -> None:
        self.value = np.asarray(value, dtype=np.float64)
        self.parents = tuple(parents)
        self.op = op
        self.grad: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"Var(op={self.op!r}, shape={self.value.shape})"

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the held array."""
        return self.value.shape

    # ---- arithmetic -------------------------------------------------------

    def __add__(self, other: Var | Number | np.ndarray) -> Var:
        o = as_var(other)
        return Var(
            self.value + o.value,
            [
                (self, lambda g: _unbroadcast(g, self.shape)),
                (o, lambda g: _unbroadcast(g, o.shape)),
            ],
            "add",
        )

    __radd__ = __add__

    def __neg__(self) -> Var:
        return Var(-self.value, [(self, lambda g: -g)], "neg")

    def __sub__(self, other: Var | Number | np.ndarray) -> Var:
        return self + (-as_var(other))

    def __rsub__(self, other: Var | Number | np.ndarray) -> Var:
        return as_var(other) + (-self)

    def __mul__(self, other: Var | Number | np.ndarray) -> Var:
        o = as_var(other)
        return Var(
            self.value * o.value,
            [
                (self, lambda g: _unbroadcast(g * o.value, self.shape)),
                (o, lambda g: _unbroadcast(g * self.value, o.shape)),
            ],
            "mul",
        )

    __rmul__ = __mul__

    def __truediv__(self, other: Var | Number | np.ndarray) -> Var:
        return self * as_var(other) ** -1

    def __rtruediv__(self, other: Var | Number | np.ndarray) -> Var:
        return as_var(other) * self**-1

    def __pow__(self, n: Number) -> Var:
        if isinstance(n, Var):
            msg = "Var ** Var is not supported; use exp(b * log(a)) instead."
            raise TypeError(msg)
        return Var(
            self.value**n,
            [(self, lambda g: g * n * self.value ** (n - 1))],
            f"pow{n}",
        )

    def __matmul__(self, other: Var | np.ndarray) -> Var:
        o = as_var(other)
        if self.value.ndim != 2 or o.value.ndim != 2:
            msg = (
                f"matmul needs two 2-d arrays, got shapes {self.shape} and "
                f"{o.shape}; reshape vectors to (n, 1) or (1, n) first."
            )
            raise ValueError(msg)
        return Var(
            self.value @ o.value,
            [(self, lambda g: g @ o.value.T), (o, lambda g: self.value.T @ g)],
            "matmul",
        )

    # ---- reductions ---------------------------------------------------------

    def sum(self) -> Var:
        """Sum of all elements, a scalar node."""
        return Var(
            self.value.sum(),
            [(self, lambda g: np.broadcast_to(g, self.shape).copy())],
            "sum",
        )

    def mean(self) -> Var:
        """Mean of all elements, a scalar node."""
        return self.sum() * (1.0 / self.value.size)

    # ---- backward pass ----------------------------------------------------

    def backward(self) -> None:
        """Fill ``.grad`` of every node this scalar depends on.

        The gradients of earlier calls are discarded: each call starts from
        zero, unlike torch, which accumulates.

        Raises
        ------
        ValueError
            If this node is not a scalar (reverse mode needs one output to
            start from).
        """
        if self.value.size != 1:
            msg = (
                f"backward() starts from a scalar, got shape {self.shape}; "
                "reduce the output with .sum() or .mean() first."
            )
            raise ValueError(msg)
        order = topological_order(self)
        for node in order:
            node.grad = np.zeros_like(node.value)
        self.grad = np.ones_like(self.value)
        for node in reversed(order):
            for parent, vjp in node.parents:
                parent.grad = parent.grad + vjp(node.grad)


def as_var(x: Var | Number | np.ndarray | Sequence[float]) -> Var:
    """Return ``x`` as a graph node (a constant leaf if it is not one already)."""
    return x if isinstance(x, Var) else Var(x, op="const")


def topological_order(root: Var) -> list[Var]:
    """Return the nodes ``root`` depends on, every node after its parents.

    Parameters
    ----------
    root
        The output node.

    Returns
    -------
    list of Var
        Leaves first, ``root`` last; each node appears once even when it is
        used several times.
    """
    order: list[Var] = []
    seen: set[int] = set()
    stack: list[tuple[Var, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p, _ in node.parents if id(p) not in seen)
    return order


def describe_graph(root: Var) -> list[str]:
    """List the nodes of a graph in evaluation order, one line each.

    Parameters
    ----------
    root
        The output node.

    Returns
    -------
    list of str
        ``"n3 = mul(n1, n2)  shape (2, 1)"``-style lines, leaves first.
    """
    order = topological_order(root)
    names = {id(node): f"n{i}" for i, node in enumerate(order)}
    lines = []
    for node in order:
        args = ", ".join(names[id(p)] for p, _ in node.parents)
        rhs = f"{node.op}({args})" if node.parents else node.op
        lines.append(f"{names[id(node)]} = {rhs:<22s} shape {node.shape}")
    return lines


def exp_v(x: Var) -> Var:
    """Elementwise exponential of a node."""
    out = np.exp(x.value)
    return Var(out, [(x, lambda g: g * out)], "exp")


def log_v(x: Var) -> Var:
    """Elementwise natural logarithm of a node."""
    return Var(np.log(x.value), [(x, lambda g: g / x.value)], "log")


def tanh_v(x: Var) -> Var:
    """Elementwise hyperbolic tangent of a node."""
    out = np.tanh(x.value)
    return Var(out, [(x, lambda g: g * (1.0 - out**2))], "tanh")


def sin_v(x: Var) -> Var:
    """Elementwise sine of a node."""
    return Var(np.sin(x.value), [(x, lambda g: g * np.cos(x.value))], "sin")


def relu_v(x: Var) -> Var:
    """Elementwise ``max(x, 0)`` of a node (gradient 0 at exactly 0)."""
    return Var(np.maximum(x.value, 0.0), [(x, lambda g: g * (x.value > 0))], "relu")


def sigmoid_v(x: Var) -> Var:
    """Elementwise logistic function ``1 / (1 + exp(-x))`` of a node."""
    out = 0.5 * (1.0 + np.tanh(0.5 * x.value))  # stable for large |x|
    return Var(out, [(x, lambda g: g * out * (1.0 - out))], "sigmoid")


def bce_with_logits_v(logits: Var, y: np.ndarray) -> Var:
    """Mean binary cross-entropy from logits, as one stable node.

    Parameters
    ----------
    logits
        Network outputs before the sigmoid, shape ``(N, 1)``.
    y
        Labels 0 or 1, shape ``(N, 1)``.

    Returns
    -------
    Var
        Scalar ``mean(softplus(z) - y z)``, the Bernoulli negative
        log-likelihood per example.
    """
    z = logits.value
    y = np.asarray(y, dtype=np.float64).reshape(z.shape)
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    p = 0.5 * (1.0 + np.tanh(0.5 * z))
    return Var(loss, [(logits, lambda g: g * (p - y) / z.size)], "bce_logits")


# --------------------------------------------------------------------------
# A small network and two references to check gradients against
# --------------------------------------------------------------------------


def init_mlp(sizes: Sequence[int], seed: int = 0) -> list[np.ndarray]:
    """Draw the weights of a fully connected network.

    Parameters
    ----------
    sizes
        Layer widths, input first, e.g. ``(2, 8, 1)``.
    seed
        Seed of the random generator.

    Returns
    -------
    list of numpy.ndarray
        ``[W1, b1, W2, b2, ...]``; ``Wk`` has shape ``(sizes[k-1], sizes[k])``
        with entries of variance ``1 / sizes[k-1]``, ``bk`` has shape
        ``(1, sizes[k])`` and is zero.

    Raises
    ------
    ValueError
        If fewer than two sizes are given.
    """
    if len(sizes) < 2:
        msg = f"need at least an input and an output size, got {list(sizes)}."
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    params: list[np.ndarray] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        params.append(rng.normal(0.0, 1.0 / math.sqrt(n_in), size=(n_in, n_out)))
        params.append(np.zeros((1, n_out)))
    return params


def mlp_loss(params: Sequence[Var], x: np.ndarray, y: np.ndarray) -> Var:
    """Binary cross-entropy of a tanh network on one batch, as a graph.

    Parameters
    ----------
    params
        ``[W1, b1, ..., WL, bL]`` as :class:`Var` leaves (see :func:`init_mlp`).
    x
        Inputs, shape ``(N, D)``.
    y
        Labels 0 or 1, shape ``(N,)`` or ``(N, 1)``.

    Returns
    -------
    Var
        The scalar mean loss; call ``.backward()`` to fill the parameters'
        ``.grad``.
    """
    h = as_var(x)
    n_layers = len(params) // 2
    for k in range(n_layers):
        h = h @ params[2 * k] + params[2 * k + 1]
        if k < n_layers - 1:
            h = tanh_v(h)
    return bce_with_logits_v(h, np.asarray(y).reshape(-1, 1))


def reverse_gradients(
    params: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """Loss and its gradient for every parameter, by this module's reverse mode.

    Parameters
    ----------
    params
        ``[W1, b1, ...]`` as numpy arrays (see :func:`init_mlp`).
    x
        Inputs, shape ``(N, D)``.
    y
        Labels 0 or 1, shape ``(N,)``.

    Returns
    -------
    loss : float
        The mean binary cross-entropy.
    grads : list of numpy.ndarray
        One array per parameter, same shapes as ``params``.
    """
    leaves = [Var(p) for p in params]
    loss = mlp_loss(leaves, x, y)
    loss.backward()
    return float(loss.value), [leaf.grad for leaf in leaves]


def torch_gradients(
    params: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """The same loss and gradients as :func:`reverse_gradients`, by torch.autograd.

    Parameters
    ----------
    params, x, y
        As in :func:`reverse_gradients`.

    Returns
    -------
    loss : float
        The mean binary cross-entropy.
    grads : list of numpy.ndarray
        One array per parameter, computed in float64.
    """
    import torch

    leaves = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    h = torch.as_tensor(x, dtype=torch.float64)
    n_layers = len(leaves) // 2
    for k in range(n_layers):
        h = h @ leaves[2 * k] + leaves[2 * k + 1]
        if k < n_layers - 1:
            h = torch.tanh(h)
    target = torch.as_tensor(np.asarray(y), dtype=torch.float64).reshape(-1, 1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(h, target)
    loss.backward()
    return loss.item(), [leaf.grad.numpy() for leaf in leaves]


def finite_difference_gradients(
    params: Sequence[np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    eps: float = 1e-6,
) -> list[np.ndarray]:
    """Gradients by central finite differences, one parameter entry at a time.

    Costs two loss evaluations per parameter entry: fine for checking a network
    with tens of parameters, hopeless for training one with millions.

    Parameters
    ----------
    params, x, y
        As in :func:`reverse_gradients`.
    eps
        Step of the central difference; the truncation error scales as
        ``eps**2`` and the rounding error as ``1e-16 / eps``.

    Returns
    -------
    list of numpy.ndarray
        One array per parameter, same shapes as ``params``.

    Raises
    ------
    ValueError
        If ``eps`` is not positive.
    """
    if eps <= 0:
        msg = f"the finite-difference step must be positive, got eps={eps}."
        raise ValueError(msg)

    def loss_at(ps: Sequence[np.ndarray]) -> float:
        return float(mlp_loss([Var(p) for p in ps], x, y).value)

    work = [np.array(p, dtype=np.float64) for p in params]
    grads = []
    for p in work:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            saved = p[idx]
            p[idx] = saved + eps
            up = loss_at(work)
            p[idx] = saved - eps
            down = loss_at(work)
            p[idx] = saved
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def max_relative_difference(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    """Worst disagreement between two lists of gradients, relative to their size.

    For each pair of arrays we take ``max|a - b| / max(max|a|, max|b|)``, so an
    entry that is nearly zero in both does not blow the ratio up.

    Parameters
    ----------
    a, b
        Lists of arrays with matching shapes.

    Returns
    -------
    float
        The largest ratio over the pairs (0 when identical).

    Raises
    ------
    ValueError
        If the lists or shapes do not match.

    Examples
    --------
    >>> max_relative_difference([np.array([1.0, 2.0])], [np.array([1.0, 2.5])])
    0.2
    """
    if len(a) != len(b):
        msg = f"cannot compare {len(a)} arrays with {len(b)} arrays."
        raise ValueError(msg)
    worst = 0.0
    for u, v in zip(a, b, strict=True):
        if np.shape(u) != np.shape(v):
            msg = f"shape mismatch {np.shape(u)} vs {np.shape(v)}."
            raise ValueError(msg)
        scale = max(float(np.max(np.abs(u))), float(np.max(np.abs(v))), 1e-300)
        worst = max(worst, float(np.max(np.abs(np.asarray(u) - v))) / scale)
    return worst
