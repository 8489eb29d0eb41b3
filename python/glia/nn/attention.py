"""glia.nn: multi-head attention and the key/value cache for incremental decoding.

Parameter names and layouts follow torch.nn.MultiheadAttention (in_proj_weight, or
q/k/v_proj_weight when kdim/vdim differ from embed_dim, in_proj_bias, out_proj), so a torch
state dict loads and gives the same outputs.
"""
import math

import glia
from glia import _C
from glia.nn import init
from glia.nn.functional.attention import (_causal_mask, attention_probs,
                                          scaled_dot_product_attention)
from glia.nn.functional.dropout import _check_p
from glia.nn.linear import Linear
from glia.nn.module import Module
from glia.nn.parameter import Parameter

__all__ = ["KVCache", "MultiheadAttention"]


class KVCache:
    """Keys and values of the positions seen so far by one attention layer, for
    incremental decoding: each step appends its new keys/values and attends to all of
    them, so generating N tokens costs N attention steps of O(t) each instead of
    recomputing every past position at every step.

    Entries are (N, H, T, head_dim) per head, after projection. Under no_grad they live in
    a buffer whose capacity doubles when full (appends copy only the new positions); with
    gradients on, appends concatenate so gradients flow to the cached keys and values.

    Args:
        static: for cross-attention to a fixed memory: the keys/values are computed on the
            first call and reused afterwards (the memory passed later is ignored).
    """

    def __init__(self, static=False):
        self.static = static
        self.reset()

    def reset(self):
        self._k = self._v = None
        self.length = 0

    def __len__(self):
        return self.length

    def append(self, k, v):
        """Adds (N, H, T, D) keys and values; returns all cached ones, (N, H, length, D)."""
        if self._k is not None and (tuple(k.shape[:2]) != tuple(self._k.shape[:2])
                                    or k.shape[3] != self._k.shape[3]
                                    or v.shape[3] != self._v.shape[3]):
            raise ValueError(f"KVCache: new keys {tuple(k.shape)} / values {tuple(v.shape)} do "
                             f"not match the cached {tuple(self._k.shape)} / "
                             f"{tuple(self._v.shape)} in (batch, heads, -, head_dim)")
        t = k.shape[2]
        if glia.is_grad_enabled() and (k.requires_grad or v.requires_grad):
            keys = k if self._k is None else glia.cat([self.keys, k], 2)
            values = v if self._v is None else glia.cat([self.values, v], 2)
            self._k, self._v, self.length = keys, values, keys.shape[2]
            return keys, values
        with glia.no_grad():
            if self._k is None or self.length + t > self._k.shape[2]:
                self._grow(k, v, max(2 * (self.length + t), 16))
            self._k.narrow(2, self.length, t).copy_(k)
            self._v.narrow(2, self.length, t).copy_(v)
        self.length += t
        return self.keys, self.values

    def _grow(self, k, v, capacity):
        n, h = k.shape[0], k.shape[1]
        new_k = glia.empty(n, h, capacity, k.shape[3], dtype=k.dtype)
        new_v = glia.empty(n, h, capacity, v.shape[3], dtype=v.dtype)
        if self.length:
            new_k.narrow(2, 0, self.length).copy_(self.keys)
            new_v.narrow(2, 0, self.length).copy_(self.values)
        self._k, self._v = new_k, new_v

    @property
    def keys(self):
        return None if self._k is None else self._k.narrow(2, 0, self.length)

    @property
    def values(self):
        return None if self._v is None else self._v.narrow(2, 0, self.length)


def _additive(mask, dtype, name):
    """A bool mask where True means *masked out* (torch's MHA convention) as 0 / -inf."""
    if mask.dtype == glia.bool:
        return glia.where(mask, glia.tensor(-math.inf, dtype=dtype), glia.tensor(0.0, dtype=dtype))
    if not mask.is_floating_point():
        raise TypeError(f"MultiheadAttention: {name} must be bool or floating point, got "
                        f"{mask.dtype}")
    return mask.to(dtype)


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al. 2017), as torch.nn.MultiheadAttention:

        head_i = softmax(Q_i K_i^T / sqrt(d) + mask) V_i,  Q_i = query W_q,i + b_q,i, ...
        output = concat(head_1, ..., head_H) W_o^T + b_o,   d = embed_dim / num_heads.

    Args:
        embed_dim: model width E (query features); must be divisible by num_heads.
        num_heads: number of parallel heads H.
        dropout: dropout on the attention weights in training.
        bias: learn input and output projection biases.
        add_bias_kv: learn a bias key and value appended to the key/value sequence.
        add_zero_attn: append a zero key and value (after projection).
        kdim, vdim: key/value feature sizes (default embed_dim); when they differ, the
            projections are q_proj_weight, k_proj_weight, v_proj_weight instead of the
            packed in_proj_weight (3E, E).
        batch_first: inputs and output are (N, L, E) rather than (L, N, E).
    Forward:
        query (L, N, E), key (S, N, kdim), value (S, N, vdim) (or batch first, or unbatched
        without N); key_padding_mask (N, S) with True = ignore that key (or additive float);
        attn_mask (L, S) or (N * H, L, S) with True = may NOT attend (or additive float);
        is_causal: queries attend only to keys at or before their position (used when
        attn_mask is None, otherwise attn_mask is taken as the causal mask); cache: a KVCache
        for incremental decoding (new key/value positions are appended to it).
    Returns:
        (output (L, N, E), weights (N, L, S) averaged over heads or (N, H, L, S) with
        average_attn_weights=False; None when need_weights=False).

    With need_weights=False (and no dropout) the output uses the fused attention op;
    otherwise it is weights @ V from the weights already computed. A query that may attend
    to no key gives zeros here; torch's weight-returning path gives NaN for such rows.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads != 0:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be positive and "
                             f"divisible by num_heads ({num_heads})")
        _check_p(dropout, "MultiheadAttention", "dropout")
        dtype = dtype or glia.float32
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first, self.add_zero_attn = dropout, batch_first, add_zero_attn
        E = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(glia.empty(3 * E, E, dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(glia.empty(E, E, dtype=dtype))
            self.k_proj_weight = Parameter(glia.empty(E, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(glia.empty(E, self.vdim, dtype=dtype))
        if bias:
            self.in_proj_bias = Parameter(glia.empty(3 * E, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(glia.empty(1, 1, E, dtype=dtype))
            self.bias_v = Parameter(glia.empty(1, 1, E, dtype=dtype))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self._reset_parameters()

    def _reset_parameters(self):
        """torch's init: xavier-uniform projections, zero biases, xavier-normal bias_k/v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _projection_weights(self):
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            ws = (w.narrow(0, 0, E), w.narrow(0, E, E), w.narrow(0, 2 * E, E))
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        bs = (None,) * 3 if b is None else (b.narrow(0, 0, E), b.narrow(0, E, E),
                                            b.narrow(0, 2 * E, E))
        return ws, bs

    def _heads(self, x):
        """(N, T, E) -> (N, H, T, head_dim), a view."""
        n, t = x.shape[0], x.shape[1]
        return x.reshape(n, t, self.num_heads, self.head_dim).transpose(1, 2)

    def _check(self, query, key, value, batched):
        name = "MultiheadAttention"
        shapes = (f"query {tuple(query.shape)}, key {tuple(key.shape)}, value "
                  f"{tuple(value.shape)}")
        rank = 3 if batched else 2
        if query.ndim not in (2, 3) or key.ndim != rank or value.ndim != rank:
            raise ValueError(f"{name}: query, key and value must all be 3-D (batched) or 2-D "
                             f"(unbatched), got {shapes}")
        if (query.shape[-1] != self.embed_dim or key.shape[-1] != self.kdim
                or value.shape[-1] != self.vdim):
            raise ValueError(f"{name}: expected feature sizes (embed_dim {self.embed_dim}, kdim "
                             f"{self.kdim}, vdim {self.vdim}), got {shapes}")
        if tuple(key.shape[:-1]) != tuple(value.shape[:-1]):
            raise ValueError(f"{name}: key and value must have the same batch and sequence "
                             f"dims, got {shapes}")
        b = 0 if self.batch_first else 1
        if batched and query.shape[b] != key.shape[b]:
            raise ValueError(f"{name}: query and key have different batch sizes, got {shapes}")

    def _merged_mask(self, attn_mask, key_padding_mask, n, L, S, dtype):
        """attn_mask and key_padding_mask as one additive mask broadcastable to (N, H, L, S)."""
        mask = None
        if attn_mask is not None:
            shape = tuple(attn_mask.shape)
            if shape == (L, S):
                mask = _additive(attn_mask, dtype, "attn_mask")
            elif shape == (n * self.num_heads, L, S):
                mask = _additive(attn_mask, dtype, "attn_mask").reshape(n, self.num_heads, L, S)
            else:
                raise ValueError(f"MultiheadAttention: attn_mask must be ({L}, {S}) or "
                                 f"({n * self.num_heads}, {L}, {S}), got {shape}")
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (n, S):
                raise ValueError(f"MultiheadAttention: key_padding_mask must be ({n}, {S}), "
                                 f"got {tuple(key_padding_mask.shape)}")
            kpm = _additive(key_padding_mask, dtype, "key_padding_mask").reshape(n, 1, 1, S)
            mask = kpm if mask is None else mask + kpm
        return mask

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False, cache=None):
        batched = query.ndim == 3
        self._check(query, key, value, batched)
        same_input = query is key and key is value
        if not batched:  # one sample: add N = 1 and treat as batch-first
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        n, L = query.shape[0], query.shape[1]
        (wq, wk, wv), (bq, bk, bv) = self._projection_weights()
        static_hit = cache is not None and cache.static and len(cache) > 0
        if static_hit:
            q, (k, v) = _C.linear(query, wq, bq), (None, None)
        elif self._qkv_same_embed_dim and same_input:
            # self-attention: one GEMM for the three projections
            q, k, v = _C.linear(query, self.in_proj_weight, self.in_proj_bias).chunk(3, -1)
        else:
            q, k, v = _C.linear(query, wq, bq), _C.linear(key, wk, bk), _C.linear(value, wv, bv)
        if self.bias_k is not None and not static_hit:
            if cache is not None:
                raise NotImplementedError("MultiheadAttention: add_bias_kv cannot be combined "
                                          "with a KV cache")
            k = glia.cat([k, self.bias_k.expand(n, 1, self.embed_dim)], 1)
            v = glia.cat([v, self.bias_v.expand(n, 1, self.embed_dim)], 1)
            attn_mask = _pad_last(attn_mask)
            key_padding_mask = _pad_last(key_padding_mask)
        q = self._heads(q)
        if static_hit:
            k, v = cache.keys, cache.values
        else:
            k, v = self._heads(k), self._heads(v)
            if self.add_zero_attn:
                if cache is not None:
                    raise NotImplementedError("MultiheadAttention: add_zero_attn cannot be "
                                              "combined with a KV cache")
                k = glia.cat([k, glia.zeros(n, self.num_heads, 1, self.head_dim, dtype=k.dtype)], 2)
                v = glia.cat([v, glia.zeros(n, self.num_heads, 1, self.head_dim, dtype=v.dtype)], 2)
                attn_mask = _pad_last(attn_mask)
                key_padding_mask = _pad_last(key_padding_mask)
        past = 0
        if cache is not None and not static_hit:
            past = len(cache) if not cache.static else 0
            k, v = cache.append(k, v)
        S = k.shape[2]
        mask = self._merged_mask(attn_mask, key_padding_mask, n, L, S, q.dtype)
        causal = is_causal and attn_mask is None
        if causal and past > 0 and L == 1:
            causal = False  # one new position sees every cached one
        if causal and (mask is not None or past > 0):
            # fold causality (offset by the cached positions) into the additive mask
            c = _additive(glia.logical_not(_causal_mask(L, S, past)), q.dtype, "attn_mask")
            mask, causal = (c if mask is None else mask + c), False
        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights or p > 0.0:
            weights = attention_probs(q, k, mask, causal)
            if p > 0.0:  # as torch, the returned weights are the dropped-out ones
                weights = glia.nn.functional.dropout(weights, p, training=True)
        if weights is not None:
            out = glia.matmul(weights, v)  # the probabilities are at hand: one more GEMM
        else:
            # F's wrapper composes the op when a float mask needs its own gradient
            out = scaled_dot_product_attention(q, k, v, mask, 0.0, causal)
        out = self.out_proj(out.transpose(1, 2).reshape(n, L, self.embed_dim))
        if need_weights and average_attn_weights:
            weights = weights.mean(1)
        if not need_weights:
            weights = None
        if not batched:
            return out.squeeze(0), None if weights is None else weights.squeeze(0)
        if not self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
                f"kdim={self.kdim}, vdim={self.vdim}, batch_first={self.batch_first}")


def _pad_last(mask):
    """Appends one column that masks nothing (for the extra bias / zero key)."""
    if mask is None:
        return None
    shape = list(mask.shape)
    shape[-1] = 1
    return glia.cat([mask, glia.zeros(shape, dtype=mask.dtype)], -1)
