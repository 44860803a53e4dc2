"""Attention written out step by step, for teaching.

The lecture on transformers builds every piece here by hand and checks it against
:class:`torch.nn.MultiheadAttention`. The code favours readability over speed: use
the torch layers in real models.

Masks follow the convention of the course data: a boolean array that is True for
real entries and False for padding. (Torch's ``key_padding_mask`` is the
opposite: True marks padding.) Shapes use ``B`` for the batch, ``N`` for the
number of elements (particles, tracks, tokens), ``D`` for the embedding width and
``H`` for the number of heads.
"""

from __future__ import annotations

import logging
import math

import torch
from torch import Tensor, nn

log = logging.getLogger(__name__)


def causal_mask(n: int, device: torch.device | str | None = None) -> Tensor:
    """Return the mask that lets position ``i`` look only at positions ``j <= i``.

    Parameters
    ----------
    n
        Sequence length.
    device
        Device of the returned tensor.

    Returns
    -------
    Tensor
        Boolean, shape ``(n, n)``; True where query ``i`` may attend to key ``j``.

    Examples
    --------
    >>> causal_mask(3).int()
    tensor([[1, 0, 0],
            [1, 1, 0],
            [1, 1, 1]], dtype=torch.int32)
    """
    return torch.ones(n, n, dtype=torch.bool, device=device).tril()


def scaled_dot_product_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    key_mask: Tensor | None = None,
    causal: bool = False,
    scale: bool = True,
) -> tuple[Tensor, Tensor]:
    """Compute ``softmax(q k^T / sqrt(d)) v`` with optional masks.

    Parameters
    ----------
    q
        Queries, shape ``(..., N_q, d)``.
    k
        Keys, shape ``(..., N_k, d)``.
    v
        Values, shape ``(..., N_k, d_v)``.
    key_mask
        Boolean, shape ``(..., N_k)`` broadcastable to the leading dimensions of
        ``q``; True for real keys, False for padding. Padded keys get zero weight.
    causal
        If True, query ``i`` attends only to keys ``j <= i`` (needs N_q == N_k).
    scale
        Divide the scores by ``sqrt(d)`` (True, as in the transformer). False
        shows what goes wrong without it.

    Returns
    -------
    out : Tensor
        Shape ``(..., N_q, d_v)``: for each query, a weighted mean of the values.
    weights : Tensor
        Shape ``(..., N_q, N_k)``: the attention weights, each row sums to 1 (or
        is all zero when every key of that row is masked).

    Raises
    ------
    ValueError
        If the widths of ``q`` and ``k`` differ, or ``causal`` is asked for with
        different query and key lengths.

    Examples
    --------
    >>> x = torch.randn(2, 5, 8)
    >>> out, w = scaled_dot_product_attention(x, x, x)
    >>> out.shape, w.shape
    (torch.Size([2, 5, 8]), torch.Size([2, 5, 5]))
    """
    d = q.shape[-1]
    if k.shape[-1] != d:
        msg = f"queries have width {d} but keys {k.shape[-1]}: they must match."
        raise ValueError(msg)
    scores = q @ k.transpose(-2, -1)  # (..., N_q, N_k)
    if scale:
        scores = scores / math.sqrt(d)
    allowed = torch.ones_like(scores, dtype=torch.bool)
    if key_mask is not None:
        allowed = allowed & key_mask.unsqueeze(-2)  # same mask for every query
    if causal:
        if q.shape[-2] != k.shape[-2]:
            msg = "a causal mask needs as many queries as keys; got "
            msg += f"{q.shape[-2]} and {k.shape[-2]}."
            raise ValueError(msg)
        allowed = allowed & causal_mask(q.shape[-2], q.device)
    scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    weights = torch.nan_to_num(weights, nan=0.0)  # a row with no allowed key
    return weights @ v, weights


class MultiHeadAttention(nn.Module):
    """Multi-head attention from scratch, with the parameters torch uses.

    Each of ``H`` heads projects the inputs to width ``D / H``, attends, and the
    heads' outputs are concatenated and projected back to width ``D``.

    Parameters
    ----------
    embed_dim
        Width ``D`` of the inputs and outputs.
    num_heads
        Number of heads ``H``; must divide ``embed_dim``.

    Raises
    ------
    ValueError
        If ``num_heads`` does not divide ``embed_dim``.

    Examples
    --------
    >>> mha = MultiHeadAttention(16, 4)
    >>> x = torch.randn(3, 7, 16)
    >>> out, w = mha(x, x, x)
    >>> out.shape, w.shape
    (torch.Size([3, 7, 16]), torch.Size([3, 4, 7, 7]))
    """

    def __init__(self, embed_dim: int, num_heads: int) -> None:
        super().__init__()
        if embed_dim % num_heads != 0:
            msg = f"num_heads={num_heads} does not divide embed_dim={embed_dim}; "
            msg += "choose a divisor."
            raise ValueError(msg)
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def _split(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        x = x.view(b, n, self.num_heads, self.head_dim)  # (B, N, H, D/H)
        return x.transpose(1, 2)  # (B, H, N, D/H)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_mask: Tensor | None = None,
        causal: bool = False,
    ) -> tuple[Tensor, Tensor]:
        """Attend from ``query`` to ``key``/``value``.

        Parameters
        ----------
        query
            Shape ``(B, N_q, D)``.
        key, value
            Shape ``(B, N_k, D)``.
        key_mask
            Boolean, shape ``(B, N_k)``; True for real entries.
        causal
            Apply a causal mask.

        Returns
        -------
        out : Tensor
            Shape ``(B, N_q, D)``.
        weights : Tensor
            Shape ``(B, H, N_q, N_k)``, one attention map per head.
        """
        q = self._split(self.q_proj(query))
        k = self._split(self.k_proj(key))
        v = self._split(self.v_proj(value))
        mask = None if key_mask is None else key_mask[:, None, :]  # (B, 1, N_k)
        out, weights = scaled_dot_product_attention(q, k, v, mask, causal)
        b, _, n_q, _ = out.shape
        out = out.transpose(1, 2).reshape(b, n_q, self.embed_dim)  # concat heads
        return self.out_proj(out), weights

    @torch.no_grad()
    def load_from_torch(self, mha: nn.MultiheadAttention) -> MultiHeadAttention:
        """Copy the parameters of a torch layer into this one.

        Parameters
        ----------
        mha
            A :class:`torch.nn.MultiheadAttention` with the same ``embed_dim``
            and ``num_heads``, with biases and equal query/key/value widths.

        Returns
        -------
        MultiHeadAttention
            ``self``, now computing the same function as ``mha``.

        Raises
        ------
        ValueError
            If the shapes or the head count do not match.
        """
        if mha.embed_dim != self.embed_dim or mha.num_heads != self.num_heads:
            msg = f"torch layer has D={mha.embed_dim}, H={mha.num_heads}; this "
            msg += f"one D={self.embed_dim}, H={self.num_heads}. Build a match."
            raise ValueError(msg)
        if mha.in_proj_weight is None or mha.in_proj_bias is None:
            msg = "copy needs a torch layer with packed projections and biases "
            msg += "(kdim = vdim = embed_dim, bias=True)."
            raise ValueError(msg)
        w_q, w_k, w_v = mha.in_proj_weight.chunk(3, dim=0)
        b_q, b_k, b_v = mha.in_proj_bias.chunk(3, dim=0)
        for lin, w, b in (
            (self.q_proj, w_q, b_q),
            (self.k_proj, w_k, b_k),
            (self.v_proj, w_v, b_v),
            (self.out_proj, mha.out_proj.weight, mha.out_proj.bias),
        ):
            lin.weight.copy_(w)
            lin.bias.copy_(b)
        return self


def layer_norm(x: Tensor, gain: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    """Normalise each vector over its last axis, then scale and shift.

    Parameters
    ----------
    x
        Shape ``(..., D)``.
    gain, bias
        Shape ``(D,)``, the learned scale and shift.
    eps
        Added to the variance for numerical safety.

    Returns
    -------
    Tensor
        Shape ``(..., D)``; before the gain and bias each vector has mean 0 and
        (biased) variance 1.

    Examples
    --------
    >>> x = torch.randn(4, 8)
    >>> y = layer_norm(x, torch.ones(8), torch.zeros(8))
    >>> bool(y.mean(-1).abs().max() < 1e-6)
    True
    """
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gain + bias


class TransformerBlock(nn.Module):
    """One pre-norm transformer encoder block without positional information.

    ``x + MHA(LN(x))`` followed by ``x + FFN(LN(x))``, where the feed-forward
    network acts on each element separately.

    Parameters
    ----------
    embed_dim
        Width ``D``.
    num_heads
        Number of heads.
    ffn_factor
        Hidden width of the feed-forward block in units of ``D``.

    Examples
    --------
    >>> block = TransformerBlock(16, 4)
    >>> block(torch.randn(2, 5, 16)).shape
    torch.Size([2, 5, 16])
    """

    def __init__(self, embed_dim: int, num_heads: int, ffn_factor: int = 4) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dim)
        self.attn = MultiHeadAttention(embed_dim, num_heads)
        self.norm2 = nn.LayerNorm(embed_dim)
        self.ffn = nn.Sequential(
            nn.Linear(embed_dim, ffn_factor * embed_dim),
            nn.GELU(),
            nn.Linear(ffn_factor * embed_dim, embed_dim),
        )

    def forward(self, x: Tensor, key_mask: Tensor | None = None) -> Tensor:
        """Apply the block.

        Parameters
        ----------
        x
            Shape ``(B, N, D)``.
        key_mask
            Boolean, shape ``(B, N)``; True for real entries.

        Returns
        -------
        Tensor
            Shape ``(B, N, D)``.
        """
        h = self.norm1(x)
        x = x + self.attn(h, h, h, key_mask)[0]
        return x + self.ffn(self.norm2(x))


class AttentionPooling(nn.Module):
    """Summarise a set into one vector with a learned query.

    A single learned query attends over the elements; the output does not depend
    on their order, and padded elements do not contribute.

    Parameters
    ----------
    embed_dim
        Width ``D``.
    num_heads
        Number of heads.

    Examples
    --------
    >>> pool = AttentionPooling(16, 4)
    >>> pool(torch.randn(2, 5, 16)).shape
    torch.Size([2, 16])
    """

    def __init__(self, embed_dim: int, num_heads: int = 1) -> None:
        super().__init__()
        self.query = nn.Parameter(torch.randn(1, 1, embed_dim) / embed_dim**0.5)
        self.attn = MultiHeadAttention(embed_dim, num_heads)

    def forward(self, x: Tensor, key_mask: Tensor | None = None) -> Tensor:
        """Pool the set.

        Parameters
        ----------
        x
            Shape ``(B, N, D)``.
        key_mask
            Boolean, shape ``(B, N)``; True for real entries.

        Returns
        -------
        Tensor
            Shape ``(B, D)``.
        """
        q = self.query.expand(x.shape[0], 1, -1)
        return self.attn(q, x, x, key_mask)[0][:, 0]


def sinusoidal_positions(n: int, d: int) -> Tensor:
    """Return the sinusoidal position encodings of the original transformer.

    Parameters
    ----------
    n
        Number of positions.
    d
        Width, even.

    Returns
    -------
    Tensor
        Shape ``(n, d)``; column ``2i`` is ``sin(p / 10000^(2i/d))`` and column
        ``2i + 1`` the matching cosine.

    Raises
    ------
    ValueError
        If ``d`` is odd.

    Examples
    --------
    >>> sinusoidal_positions(4, 6).shape
    torch.Size([4, 6])
    """
    if d % 2:
        msg = f"the width must be even to pair sines and cosines; got d={d}."
        raise ValueError(msg)
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    freq = torch.exp(-math.log(10_000.0) * torch.arange(0, d, 2) / d)
    pe = torch.zeros(n, d)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)
    return pe


def attention_flops(n: int, d: int) -> int:
    """Count the multiply-adds of one self-attention head of width ``d``.

    Parameters
    ----------
    n
        Sequence length.
    d
        Width of queries, keys and values.

    Returns
    -------
    int
        Floating-point operations (a multiply-add counts 2) of the projections
        (``3 * 2 n d^2``), the scores ``Q K^T`` (``2 n^2 d``) and the weighted sum
        (``2 n^2 d``); the softmax is left out.

    Examples
    --------
    >>> attention_flops(10, 4)
    2560
    """
    return 6 * n * d * d + 4 * n * n * d
