"""glia.nn.functional: scaled dot-product attention.

The common case is one fused, blockwise C++ op (glia._C.scaled_dot_product_attention) with
its own backward. Dropout on the attention probabilities, and a float mask that needs its
own gradient, take a composed path of ordinary ops instead (the fused op does not draw
random numbers nor differentiate the mask).
"""
import math

import glia
from glia import _C
from glia.nn.functional.dropout import _check_p

__all__ = ["scaled_dot_product_attention"]


def _check_composed_inputs(query, key, value, attn_mask, is_causal):
    """The fused op's input checks, for the composed path (same messages)."""
    op = "scaled_dot_product_attention"
    shapes = f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ValueError(f"{op}: query, key and value must have at least 2 dims, got {shapes}")
    if key.shape[-1] != query.shape[-1] or value.shape[-2] != key.shape[-2]:
        raise ValueError(f"{op}: key must be (..., S, E) and value (..., S, Ev) for query "
                         f"(..., L, E), got {shapes}")
    if not (query.dtype == key.dtype == value.dtype) or not query.is_floating_point():
        raise TypeError(f"{op}: query, key and value must share a floating dtype, got "
                        f"{query.dtype}, {key.dtype} and {value.dtype}")
    try:
        batch = glia.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except (ValueError, RuntimeError):
        raise ValueError(f"{op}: the leading dims do not broadcast, got {shapes}") from None
    if attn_mask is not None:
        if is_causal:
            raise ValueError(f"{op}: pass either attn_mask or is_causal=True, not both")
        if attn_mask.dtype != glia.bool and not attn_mask.is_floating_point():
            raise TypeError(f"{op}: attn_mask must be bool or floating point, got "
                            f"{attn_mask.dtype}")
        scores = tuple(batch) + (query.shape[-2], key.shape[-2])
        try:
            ok = tuple(glia.broadcast_shapes(attn_mask.shape, scores)) == scores
        except (ValueError, RuntimeError):
            ok = False
        if not ok:
            raise ValueError(f"{op}: attn_mask of shape {tuple(attn_mask.shape)} does not "
                             f"broadcast to the attention scores' shape {scores} ({shapes})")


def _causal_mask(L, S, past=0):
    """(L, S) bool, True where key s may be seen by query l: s <= past + l. past = 0 is
    top-left aligned (as torch); past = the number of cached positions puts query l at
    absolute position past + l (incremental decoding)."""
    return (glia.arange(L).unsqueeze(1) + past) >= glia.arange(S).unsqueeze(0)


def attention_probs(query, key, attn_mask=None, is_causal=False, scale=None):
    """softmax(query @ key^T * scale + mask) over keys, composed of ordinary ops: the
    attention weights (..., L, S), for callers that return them. Rows that see no key are 0.
    """
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    scores = glia.matmul(query * scale, key.transpose(-2, -1))
    if is_causal:
        attn_mask = _causal_mask(query.shape[-2], key.shape[-2])
    if attn_mask is None:
        return glia.nn.functional.softmax(scores, -1)
    if attn_mask.dtype == glia.bool:
        scores = glia.where(attn_mask, scores, glia.tensor(-math.inf, dtype=scores.dtype))
    else:
        scores = scores + attn_mask.to(scores.dtype)
    with glia.no_grad():
        seen = scores.amax(-1, keepdim=True) > -math.inf
        every_row_sees = bool(seen.all())
    if every_row_sees:
        return glia.nn.functional.softmax(scores, -1)
    # Rows that see no key: softmax would give NaN; the fused op (and torch's SDPA) give 0.
    probs = glia.nn.functional.softmax(glia.where(seen, scores, glia.zeros_like(scores)), -1)
    return probs * seen.to(probs.dtype)


def _composed_attention(query, key, value, attn_mask, dropout_p, is_causal, scale):
    """The same maths as the fused op, step by step (scores, softmax, dropout, @ value)."""
    probs = attention_probs(query, key, attn_mask, is_causal, scale)
    if dropout_p > 0.0:
        probs = glia.nn.functional.dropout(probs, dropout_p, training=True)
    return glia.matmul(probs, value)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    """softmax(query @ key^T * scale + attn_mask) @ value, as torch.nn.functional's.

    Args:
        query: (..., L, E); key: (..., S, E); value: (..., S, Ev). Leading dims broadcast.
        attn_mask: bool (True = may attend) or additive float, broadcastable to (..., L, S).
        dropout_p: probability of dropping an attention weight. Applied whenever > 0 (as
            torch: pass 0.0 in evaluation); takes the composed (non-fused) path.
        is_causal: query l attends to keys s <= l (top-left aligned, as torch). Cannot be
            combined with attn_mask.
        scale: defaults to 1 / sqrt(E).
    Returns:
        (..., L, Ev). A query row that may attend to no key gives zeros (as torch).

    Blockwise: the (L, S) matrix is never materialised; the backward recomputes the
    probabilities from each row's log-sum-exp. The backward is not itself differentiable.
    """
    _check_p(dropout_p, "scaled_dot_product_attention", "dropout_p")
    mask_needs_grad = (attn_mask is not None and attn_mask.requires_grad
                       and glia.is_grad_enabled())
    if dropout_p == 0.0 and not mask_needs_grad:
        return _C.scaled_dot_product_attention(query, key, value, attn_mask, is_causal, scale)
    _check_composed_inputs(query, key, value, attn_mask, is_causal)
    return _composed_attention(query, key, value, attn_mask, dropout_p, is_causal, scale)
