"""Attention from scratch: agreement with torch, masks, symmetries."""

import math

import pytest
import torch
from torch import nn

from lessons_code import attention as att


def _padded_batch(b=3, n=6, d=8, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(b, n, d, generator=gen)
    lengths = torch.tensor([n, n - 2, 1][:b])
    mask = torch.arange(n)[None, :] < lengths[:, None]  # True for real entries
    return x, mask


def test_sdpa_matches_formula():
    gen = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(4, 5, generator=gen) for _ in range(3))
    out, w = att.scaled_dot_product_attention(q, k, v)
    expected_w = torch.softmax(q @ k.T / math.sqrt(5), dim=-1)
    torch.testing.assert_close(w, expected_w)
    torch.testing.assert_close(out, expected_w @ v)


def test_sdpa_matches_torch_functional_with_causal_mask():
    gen = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(2, 3, 7, 4, generator=gen) for _ in range(3))
    out, _ = att.scaled_dot_product_attention(q, k, v, causal=True)
    ref = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(out, ref)


@pytest.mark.parametrize("num_heads", [1, 2, 4])
def test_mha_matches_torch_with_padding(num_heads):
    torch.manual_seed(3)
    x, mask = _padded_batch()
    ref = nn.MultiheadAttention(8, num_heads, batch_first=True)
    ours = att.MultiHeadAttention(8, num_heads).load_from_torch(ref)
    # torch's key_padding_mask is True for PADDED positions: the opposite of ours
    ref_out, ref_w = ref(x, x, x, key_padding_mask=~mask, average_attn_weights=False)
    out, w = ours(x, x, x, key_mask=mask)
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(w, ref_w, atol=1e-6, rtol=1e-5)


def test_mha_matches_torch_with_causal_mask():
    torch.manual_seed(4)
    x, _ = _padded_batch()
    ref = nn.MultiheadAttention(8, 2, batch_first=True)
    ours = att.MultiHeadAttention(8, 2).load_from_torch(ref)
    float_mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
    ref_out, _ = ref(x, x, x, attn_mask=float_mask)
    out, _ = ours(x, x, x, causal=True)
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=1e-5)


def test_padded_keys_get_zero_weight_and_do_not_change_real_outputs():
    torch.manual_seed(5)
    x, mask = _padded_batch()
    mha = att.MultiHeadAttention(8, 2)
    out, w = mha(x, x, x, key_mask=mask)
    assert torch.all(w.masked_select(~mask[:, None, None, :]) == 0)
    garbage = torch.where(mask[..., None], x, 1e3 * torch.randn_like(x))
    out2, _ = mha(garbage, garbage, garbage, key_mask=mask)
    real = mask[..., None].expand_as(out)
    torch.testing.assert_close(out2[real], out[real])


def test_causal_weights_are_lower_triangular():
    x = torch.randn(1, 6, 4)
    _, w = att.scaled_dot_product_attention(x, x, x, causal=True)
    assert torch.all(w[0].triu(diagonal=1) == 0)
    torch.testing.assert_close(w.sum(-1), torch.ones(1, 6))


def test_self_attention_is_permutation_equivariant():
    torch.manual_seed(6)
    block = att.TransformerBlock(8, 2)
    x, mask = _padded_batch()
    perm = torch.randperm(x.shape[1])
    out = block(x, mask)
    out_perm = block(x[:, perm], mask[:, perm])
    torch.testing.assert_close(out_perm, out[:, perm], atol=1e-5, rtol=1e-5)


def test_positional_encoding_breaks_equivariance():
    torch.manual_seed(7)
    block = att.TransformerBlock(8, 2)
    x = torch.randn(1, 5, 8)
    pe = att.sinusoidal_positions(5, 8)
    perm = torch.tensor([4, 2, 0, 1, 3])
    out = block(x + pe)
    out_perm = block(x[:, perm] + pe)
    assert not torch.allclose(out_perm, out[:, perm], atol=1e-3)


def test_attention_pooling_is_permutation_invariant_and_ignores_padding():
    torch.manual_seed(8)
    pool = att.AttentionPooling(8, 2)
    x, mask = _padded_batch()
    perm = torch.randperm(x.shape[1])
    torch.testing.assert_close(pool(x[:, perm], mask[:, perm]), pool(x, mask))
    x_trim = x[1:2, : int(mask[1].sum())]
    torch.testing.assert_close(pool(x_trim), pool(x[1:2], mask[1:2]))


def test_unscaled_scores_saturate_the_softmax():
    gen = torch.Generator().manual_seed(9)
    d = 512
    q, k = torch.randn(200, d, generator=gen), torch.randn(200, d, generator=gen)
    v = torch.zeros(200, 1)
    _, w_scaled = att.scaled_dot_product_attention(q, k, v, scale=True)
    _, w_raw = att.scaled_dot_product_attention(q, k, v, scale=False)
    assert w_raw.max(-1).values.mean() > 0.75
    assert w_scaled.max(-1).values.mean() < 0.2


def test_layer_norm_matches_torch():
    torch.manual_seed(10)
    ln = nn.LayerNorm(6)
    nn.init.normal_(ln.weight)
    nn.init.normal_(ln.bias)
    x = 3 * torch.randn(4, 5, 6) + 2
    ours = att.layer_norm(x, ln.weight, ln.bias, ln.eps)
    torch.testing.assert_close(ours, ln(x))


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="does not divide"):
        att.MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match="must match"):
        att.scaled_dot_product_attention(
            torch.randn(2, 4), torch.randn(2, 5), torch.randn(2, 5)
        )
    with pytest.raises(ValueError, match="D=8, H=2"):
        att.MultiHeadAttention(8, 4).load_from_torch(nn.MultiheadAttention(8, 2))
    with pytest.raises(ValueError, match="even"):
        att.sinusoidal_positions(3, 5)


def test_flops_grow_quadratically_at_long_sequences():
    d = 64
    ratio = att.attention_flops(8192, d) / att.attention_flops(4096, d)
    assert 3.5 < ratio < 4.0
