"""Scaled dot-product attention (the fused op and its composed dropout path) and
MultiheadAttention against torch: outputs and gradients for every mask kind, broadcast and
non-contiguous inputs, several key blocks; float64 gradient checks; errors; KV cache."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F
from glia import nn
from helpers import assert_close, check_op, check_raises, gradcheck, randn, to_glia, to_torch

RNG = np.random.default_rng(6)


def _mask(shape, kind):
    if kind == "bool":
        m = RNG.random(shape) > 0.3
        m[..., 0] = True  # keep every row attending somewhere (fully masked rows tested apart)
        return m
    return RNG.standard_normal(shape)


# (query, key, value, mask shape or None, mask kind, is_causal)
SDPA_CASES = [
    ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6), None, None, False),  # L != S, Ev != E
    ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4), (5, 7), "bool", False),
    ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4), (2, 1, 5, 7), "float", False),  # per batch
    ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4), (3, 1, 7), "bool", False),  # per head, per key
    ((2, 3, 6, 4), (2, 3, 6, 4), (2, 3, 6, 5), None, None, True),
    ((2, 3, 9, 4), (2, 3, 4, 4), (2, 3, 4, 5), None, None, True),  # causal with L > S
    ((2, 1, 5, 4), (1, 3, 7, 4), (3, 7, 2), None, None, False),  # broadcast leading dims
    ((5, 4), (7, 4), (7, 3), (5, 7), "float", False),  # no batch dims
    ((1, 1, 1, 1), (1, 1, 1, 1), (1, 1, 1, 1), None, None, False),  # size-1 everything
    ((2, 0, 5, 4), (2, 0, 7, 4), (2, 0, 7, 4), None, None, False),  # empty batch
    ((2, 0, 4), (2, 7, 4), (2, 7, 4), None, None, False),  # no queries
    # several query and key blocks (64 x 128), with masks and causality
    ((1, 2, 150, 8), (1, 2, 300, 8), (1, 2, 300, 6), None, None, False),
    ((1, 2, 200, 8), (1, 2, 200, 8), (1, 2, 200, 6), None, None, True),
    ((1, 2, 70, 8), (1, 2, 600, 8), (1, 2, 600, 6), None, None, True),  # causal, S >> L
    ((2, 1, 130, 8), (2, 1, 260, 8), (2, 1, 260, 8), (2, 1, 130, 260), "bool", False),
    ((2, 1, 130, 8), (2, 1, 260, 8), (2, 1, 260, 8), (1, 260), "float", False),
]


def _sdpa_pair(mask, kind, causal, scale=None):
    def g(q, k, v):
        m = None if mask is None else to_glia(mask)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=causal, scale=scale)

    def t(q, k, v):
        m = None if mask is None else to_torch(mask)
        return TF.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=causal,
                                               scale=scale)
    return g, t


@pytest.mark.parametrize("qs,ks,vs,ms,kind,causal", SDPA_CASES)
def test_sdpa_matches_torch(qs, ks, vs, ms, kind, causal):
    mask = None if ms is None else _mask(ms, kind)
    g, t = _sdpa_pair(mask, kind, causal)
    check_op(g, t, randn(*qs), randn(*ks), randn(*vs), rtol=1e-9, atol=1e-10)


def test_sdpa_float32_and_scale():
    q, k, v = (randn(2, 2, 70, 16).astype(np.float32) for _ in range(3))
    g, t = _sdpa_pair(_mask((70, 70), "float").astype(np.float32), "float", False, scale=0.3)
    check_op(g, t, q, k, v, rtol=1e-4, atol=1e-4)
    g, t = _sdpa_pair(None, None, True, scale=2.0)
    check_op(g, t, q, k, v, rtol=1e-4, atol=1e-4)


def test_sdpa_strided_views_without_copies():
    """(N, L, H, D) projections seen as (N, H, L, D), the layout MultiheadAttention passes."""
    x = randn(2, 9, 3, 4)
    g, t = _sdpa_pair(None, None, True)
    gq = glia.tensor(x, requires_grad=True)
    tq = to_torch(x, True)
    go = g(gq.transpose(1, 2), gq.transpose(1, 2), gq.transpose(1, 2))
    to = t(tq.transpose(1, 2), tq.transpose(1, 2), tq.transpose(1, 2))
    assert_close(go, to, 1e-9, 1e-10)
    go.sum().backward()
    to.sum().backward()
    assert_close(gq.grad, tq.grad, 1e-9, 1e-10)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_fully_masked_rows_are_zero_like_torch(kind):
    q, k, v = randn(2, 4, 3), randn(2, 6, 3), randn(2, 6, 3)
    mask = np.ones((4, 6), dtype=bool)
    mask[1] = False
    if kind == "float":
        mask = np.where(mask, 0.0, -np.inf)
    g, t = _sdpa_pair(mask, kind, False)
    check_op(g, t, q, k, v, rtol=1e-9, atol=1e-10)
    assert np.all(g(to_glia(q), to_glia(k), to_glia(v)).numpy()[:, 1] == 0)


def test_sdpa_float_mask_gradient_takes_composed_path():
    q, k, v, m = randn(2, 4, 3), randn(2, 5, 3), randn(2, 5, 3), randn(4, 5)
    check_op(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
             lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m),
             q, k, v, m, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("mask,causal", [(None, False), (None, True), ("bool", False),
                                         ("float", False)])
def test_sdpa_gradcheck(mask, causal):
    m = None if mask is None else to_glia(_mask((1, 4, 5), mask))
    gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=m,
                                                             is_causal=causal),
              randn(2, 3, 4, 3), randn(2, 1, 5, 3), randn(2, 3, 5, 2))


def test_sdpa_gradcheck_several_blocks():
    gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
              randn(1, 140, 2) * 0.5, randn(1, 140, 2) * 0.5, randn(1, 140, 1))


def test_sdpa_dropout_statistics():
    """Uniform attention (q = 0) onto one-hot values: each output entry is a kept weight
    1 / S / (1 - p) or a dropped 0, dropped with probability p."""
    L, S, p = 400, 50, 0.3
    q, k, v = glia.zeros(L, 4), glia.randn(S, 4), glia.eye(S)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=p).numpy()
    kept = 1.0 / S / (1 - p)
    assert np.all(np.isclose(out, 0) | np.isclose(out, kept, rtol=1e-5))
    frac = np.isclose(out, 0).mean()
    assert abs(frac - p) < 4 * math.sqrt(p * (1 - p) / out.size)
    # gradient flows through the kept weights only: d(sum out)/dv = column sums of probs
    vv = glia.eye(S).requires_grad_(True)
    glia.manual_seed(3)
    o = F.scaled_dot_product_attention(q, k, vv, dropout_p=p)
    o.sum().backward()
    np.testing.assert_allclose(vv.grad.numpy(), np.repeat(o.detach().numpy().sum(0)[:, None], S, 1),
                               rtol=1e-5)


def test_sdpa_dropout_one_and_zero():
    q, k, v = glia.randn(3, 4), glia.randn(5, 4), glia.randn(5, 2)
    assert np.all(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy() == 0)
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, dropout_p=0.0).numpy(),
                               F.scaled_dot_product_attention(q, k, v).numpy())


@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_sdpa_errors(dropout):
    q, k, v = glia.randn(2, 3, 4), glia.randn(2, 5, 4), glia.randn(2, 5, 6)
    sdpa = F.scaled_dot_product_attention
    check_raises(lambda: sdpa(q, glia.randn(2, 5, 3), v, dropout_p=dropout), ValueError,
                 "scaled_dot_product_attention", "(2, 5, 3)")
    check_raises(lambda: sdpa(q, k, glia.randn(2, 4, 6), dropout_p=dropout), ValueError,
                 "scaled_dot_product_attention", "(2, 4, 6)")
    check_raises(lambda: sdpa(q, k, v, attn_mask=glia.ones(3, 4, dtype=glia.bool),
                              dropout_p=dropout),
                 ValueError, "scaled_dot_product_attention", "attn_mask", "(3, 4)")
    check_raises(lambda: sdpa(q, k, v, attn_mask=glia.ones(3, 5, dtype=glia.bool),
                              is_causal=True, dropout_p=dropout),
                 ValueError, "scaled_dot_product_attention", "is_causal")
    check_raises(lambda: sdpa(q, k.double(), v, dropout_p=dropout), TypeError,
                 "scaled_dot_product_attention", "float64")
    check_raises(lambda: sdpa(glia.randn(4), k, v, dropout_p=dropout), ValueError,
                 "scaled_dot_product_attention", "(4,)")
    check_raises(lambda: sdpa(glia.randn(3, 3, 4), k, v, dropout_p=dropout), ValueError,
                 "scaled_dot_product_attention", "(3", "(2")
    check_raises(lambda: sdpa(q, k, v, dropout_p=1.5), ValueError,
                 "scaled_dot_product_attention", "dropout_p", "1.5")
    check_raises(lambda: sdpa(q, k, v, dropout_p=True), ValueError,
                 "scaled_dot_product_attention", "dropout_p", "True")


@pytest.mark.parametrize("dropout_p", [0.0, 0.5])
def test_sdpa_int_inputs_and_int_mask_raise(dropout_p):
    q = glia.ones(2, 3, dtype=glia.int64)
    check_raises(lambda: F.scaled_dot_product_attention(q, q, q, dropout_p=dropout_p),
                 TypeError, "scaled_dot_product_attention", "int64")
    x = glia.randn(2, 3)
    check_raises(lambda: F.scaled_dot_product_attention(x, x, x, attn_mask=glia.ones(
        2, 2, dtype=glia.int64), dropout_p=dropout_p), TypeError,
        "scaled_dot_product_attention", "attn_mask", "int64")


# ---- MultiheadAttention ----

def _load(gm, tm, seed=0):
    """Random torch parameters (biases too, which torch zeroes), copied into glia."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * 0.4)
    gm.load_state_dict({k: v.numpy().copy() for k, v in tm.state_dict().items()})
    assert list(gm.state_dict()) == list(tm.state_dict())


def _compare_mha(kw, call, L=5, S=7, N=3, self_attn=False, atol=1e-10):
    E, H = 8, 2
    tm = torch.nn.MultiheadAttention(E, H, **kw).double()
    gm = nn.MultiheadAttention(E, H, **kw).double()
    _load(gm, tm)
    bf = kw.get("batch_first", False)

    def make(T, d):
        a = randn(N, T, d) if bf else randn(T, N, d)
        return glia.tensor(a, requires_grad=True), to_torch(a, True)

    gq, tq = make(L, E)
    if self_attn:
        (gk, tk), (gv, tv) = (gq, tq), (gq, tq)
    else:
        (gk, tk), (gv, tv) = make(S, kw.get("kdim", E)), make(S, kw.get("vdim", E))
    g_args, t_args = call(N, L, S if not self_attn else L)
    go, gw = gm(gq, gk, gv, **g_args)
    to, tw = tm(tq, tk, tv, **t_args)
    assert_close(go, to, 1e-9, atol)
    loss_g, loss_t = (go * go).sum(), (to * to).sum()
    if tw is not None:
        assert_close(gw, tw, 1e-9, atol)
        loss_g, loss_t = loss_g + (gw * gw).sum() * 3, loss_t + (tw * tw).sum() * 3
    else:
        assert gw is None
    loss_g.backward()
    loss_t.backward()
    for a, b in ((gq, tq), (gk, tk), (gv, tv)):
        assert_close(a.grad, b.grad, 1e-8, atol * 10)
    for (gn, gp), (tn, tp) in zip(gm.named_parameters(), tm.named_parameters(), strict=True):
        assert gn == tn
        assert_close(gp.grad, tp.grad, 1e-8, atol * 10)


def _masks(N, L, S, kpm=False, am=None, float_masks=False, **extra):
    g, t = dict(extra), dict(extra)
    if kpm:
        m = RNG.random((N, S)) < 0.3
        m[:, 0] = False
        if float_masks:
            m = np.where(m, -np.inf, 0.0)
        g["key_padding_mask"], t["key_padding_mask"] = to_glia(m), to_torch(m)
    if am is not None:
        m = RNG.random(am(N, L, S)) < 0.3
        m[..., 0] = False
        if float_masks:
            m = np.where(m, -1e9, RNG.standard_normal(m.shape))
        g["attn_mask"], t["attn_mask"] = to_glia(m), to_torch(m)
    return g, t


MHA_CASES = [
    ("self", {}, dict(), True),
    ("cross", {}, dict(), False),
    ("batch_first", dict(batch_first=True), dict(), False),
    ("key_padding_mask", {}, dict(kpm=True), False),
    ("attn_mask 2-D", {}, dict(am=lambda n, l, s: (l, s)), False),
    ("attn_mask 3-D", {}, dict(am=lambda n, l, s: (n * 2, l, s)), False),
    ("both masks float", {}, dict(kpm=True, am=lambda n, l, s: (l, s), float_masks=True), False),
    ("kdim/vdim", dict(kdim=6, vdim=3), dict(kpm=True), False),
    ("no bias", dict(bias=False), dict(), False),
    ("add_bias_kv", dict(add_bias_kv=True), dict(kpm=True, am=lambda n, l, s: (l, s)), False),
    ("add_zero_attn", dict(add_zero_attn=True), dict(kpm=True), False),
    ("per-head weights", {}, dict(average_attn_weights=False), False),
    ("no weights", {}, dict(need_weights=False, kpm=True), False),
    ("causal", {}, dict(am=lambda n, l, s: (l, s), is_causal=True), True),
]


@pytest.mark.parametrize("name,kw,mask_kw,self_attn", MHA_CASES, ids=[c[0] for c in MHA_CASES])
def test_multihead_attention_matches_torch(name, kw, mask_kw, self_attn):
    if mask_kw.get("is_causal"):
        def call(n, l, s):
            m = np.triu(np.ones((l, s), dtype=bool), 1)
            return (dict(attn_mask=to_glia(m), is_causal=True),
                    dict(attn_mask=to_torch(m), is_causal=True))
    else:
        def call(n, l, s):
            return _masks(n, l, s, **mask_kw)
    _compare_mha(kw, call, self_attn=self_attn)


@pytest.mark.parametrize("need_weights", [False, True])
@pytest.mark.parametrize("shape", ["2-D", "3-D"])
def test_multihead_attention_learned_float_mask_gets_gradient(need_weights, shape):
    # a float attn_mask that requires grad (a learned bias) takes F's composed path
    N, L, S, E, H = 3, 4, 5, 8, 2
    tm = torch.nn.MultiheadAttention(E, H).double()
    gm = nn.MultiheadAttention(E, H).double()
    _load(gm, tm)
    q, k = randn(L, N, E), randn(S, N, E)
    m = randn(*((L, S) if shape == "2-D" else (N * H, L, S)))
    gmask, tmask = to_glia(m, True), to_torch(m, True)
    go, gw = gm(to_glia(q), to_glia(k), to_glia(k), attn_mask=gmask, need_weights=need_weights)
    to, tw = tm(to_torch(q), to_torch(k), to_torch(k), attn_mask=tmask,
                need_weights=need_weights)
    assert_close(go, to, 1e-9, 1e-10)
    if need_weights:
        assert_close(gw, tw, 1e-9, 1e-10)
    else:
        assert gw is None and tw is None
    (go * go).sum().backward()
    (to * to).sum().backward()
    assert_close(gmask.grad, tmask.grad, 1e-8, 1e-10)


def test_multihead_attention_with_weights_reuses_them(monkeypatch):
    # need_weights=True already computes the probabilities: the output is weights @ V, with
    # no second (fused) attention; the numbers still match torch (MHA_CASES checks them)
    import glia.nn.attention as mha

    def fused(*args, **kwargs):
        raise AssertionError("the fused op ran although the weights were computed")
    monkeypatch.setattr(mha, "scaled_dot_product_attention", fused)
    tm = torch.nn.MultiheadAttention(8, 2).double()
    gm = nn.MultiheadAttention(8, 2).double()
    _load(gm, tm)
    x = randn(4, 3, 8)
    gx, tx = to_glia(x, True), to_torch(x, True)
    go, gw = gm(gx, gx, gx)
    to, tw = tm(tx, tx, tx)
    assert_close(go, to, 1e-9, 1e-10)
    assert_close(gw, tw, 1e-9, 1e-10)
    (go * go).sum().backward()
    (to * to).sum().backward()
    assert_close(gx.grad, tx.grad, 1e-8, 1e-9)


def test_multihead_attention_unbatched_and_train_mode():
    tm = torch.nn.MultiheadAttention(8, 4).double()
    gm = nn.MultiheadAttention(8, 4).double()
    _load(gm, tm)
    q, k = randn(5, 8), randn(6, 8)
    go, gw = gm(to_glia(q), to_glia(k), to_glia(k), key_padding_mask=to_glia(
        np.array([False] * 5 + [True])))
    to, tw = tm(to_torch(q), to_torch(k), to_torch(k), key_padding_mask=to_torch(
        np.array([False] * 5 + [True])))
    assert_close(go, to, 1e-9, 1e-10)
    assert_close(gw, tw, 1e-9, 1e-10)
    gm.eval()
    tm.eval()
    assert_close(gm(to_glia(q), to_glia(k), to_glia(k))[0],
                 tm(to_torch(q), to_torch(k), to_torch(k))[0], 1e-9, 1e-10)


def test_multihead_attention_float32_state_dict_and_init():
    tm = torch.nn.MultiheadAttention(16, 4, kdim=5, vdim=7)
    gm = nn.MultiheadAttention(16, 4, kdim=5, vdim=7)
    assert [(n, tuple(p.shape)) for n, p in gm.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert np.all(gm.in_proj_bias.detach().numpy() == 0)
    for w, fan_in in ((gm.q_proj_weight, 16), (gm.k_proj_weight, 5), (gm.v_proj_weight, 7)):
        bound = math.sqrt(6 / (16 + fan_in))  # xavier-uniform: U(-bound, bound)
        a = w.detach().numpy()
        assert bound * 0.8 < np.abs(a).max() <= bound
        assert abs(a.std() / (bound / math.sqrt(3)) - 1) < 0.2  # a uniform's std
    _load(gm, tm)
    q, k, v = (randn(3, 2, d).astype(np.float32) for d in (16, 5, 7))
    assert_close(gm(to_glia(q), to_glia(k), to_glia(v))[0],
                 tm(to_torch(q), to_torch(k), to_torch(v))[0], 1e-4, 1e-5)


def test_multihead_attention_dropout_in_train_only():
    gm = nn.MultiheadAttention(8, 2, dropout=0.5).double()
    x = to_glia(randn(6, 2, 8))
    with glia.no_grad():
        a, wa = gm(x, x, x, average_attn_weights=False)
        b, wb = gm(x, x, x)
        assert not np.allclose(a.numpy(), b.numpy())
        wa = wa.numpy()
        assert np.isclose(wa, 0).any()
        gm.eval()
        np.testing.assert_allclose(gm(x, x, x)[0].numpy(), gm(x, x, x)[0].numpy())
        probs = gm(x, x, x, average_attn_weights=False)[1].numpy()
    kept = wa != 0  # kept weights are scaled by 1 / (1 - p)
    assert kept.any()
    np.testing.assert_allclose(wa[kept], probs[kept] / (1 - 0.5), rtol=1e-12)


def test_multihead_attention_errors():
    check_raises(lambda: nn.MultiheadAttention(10, 3), ValueError, "MultiheadAttention",
                 "divisible")
    for bad in (-0.1, 1.5, True, "0.5"):
        check_raises(lambda b=bad: nn.MultiheadAttention(8, 2, dropout=b), ValueError,
                     "MultiheadAttention", "dropout", repr(bad))
    gm = nn.MultiheadAttention(8, 2)
    x = glia.randn(5, 3, 8)
    check_raises(lambda: gm(x, glia.randn(5, 3, 6), x), ValueError, "MultiheadAttention",
                 "(5, 3, 6)")
    check_raises(lambda: gm(x, glia.randn(5, 4, 8), glia.randn(5, 4, 8)), ValueError,
                 "batch size")
    check_raises(lambda: gm(x, x, glia.randn(4, 3, 8)), ValueError, "key and value")
    check_raises(lambda: gm(x, x, x, attn_mask=glia.ones(5, 4, dtype=glia.bool)), ValueError,
                 "attn_mask", "(5, 4)")
    check_raises(lambda: gm(x, x, x, key_padding_mask=glia.ones(5, 3, dtype=glia.bool)),
                 ValueError, "key_padding_mask", "(5, 3)")
    check_raises(lambda: gm(x, x, x, key_padding_mask=glia.ones(3, 5, dtype=glia.int64)),
                 TypeError, "key_padding_mask", "int64")


def test_kv_cache_incremental_equals_full_causal():
    gm = nn.MultiheadAttention(8, 2, batch_first=True).double().eval()
    x = to_glia(randn(2, 7, 8))
    with glia.no_grad():
        full, _ = gm(x, x, x, is_causal=True, need_weights=False)
        cache = nn.KVCache()
        # a 3-token prompt, then one token per step
        parts = [gm(x.narrow(1, 0, 3), x.narrow(1, 0, 3), x.narrow(1, 0, 3), is_causal=True,
                    cache=cache, need_weights=False)[0]]
        for t in range(3, 7):
            xt = x.narrow(1, t, 1)
            parts.append(gm(xt, xt, xt, cache=cache, need_weights=False)[0])
    assert len(cache) == 7
    np.testing.assert_allclose(glia.cat(parts, 1).numpy(), full.numpy(), rtol=1e-10,
                               atol=1e-12)


def test_kv_cache_with_gradients_and_static_memory():
    gm = nn.MultiheadAttention(8, 2, batch_first=True).double()
    x, mem = to_glia(randn(1, 4, 8)), to_glia(randn(1, 5, 8))
    full, _ = gm(x, mem, mem)
    cache = nn.KVCache(static=True)
    parts = [gm(x.narrow(1, t, 1), mem, mem, cache=cache)[0] for t in range(4)]
    np.testing.assert_allclose(glia.cat(parts, 1).detach().numpy(), full.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    glia.cat(parts, 1).sum().backward()  # gradients flow through the cached keys/values
    g_inc = gm.in_proj_weight.grad.numpy().copy()
    gm.zero_grad()
    full.sum().backward()
    np.testing.assert_allclose(g_inc, gm.in_proj_weight.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_kv_cache_rejects_mismatched_heads():
    c = nn.KVCache()
    with glia.no_grad():
        c.append(glia.randn(1, 2, 3, 4), glia.randn(1, 2, 3, 4))
        check_raises(lambda: c.append(glia.randn(1, 3, 1, 4), glia.randn(1, 3, 1, 4)),
                     ValueError, "KVCache", "(1, 3, 1, 4)")


def test_sdpa_double_backward_raises_instead_of_silently_missing_terms():
    q = glia.randn(2, 3, requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q)
    check_raises(lambda: glia.autograd.grad([out.sum()], [q], create_graph=True), RuntimeError,
                 "ScaledDotProductAttentionBackward", "double backward")


@pytest.mark.parametrize("mask,causal", [(None, True), ("bool", False)])
def test_sdpa_backward_with_fewer_problems_than_threads(mask, causal, restore_threads):
    """One long problem: the backward splits key blocks and query blocks over threads."""
    glia.set_num_threads(4)
    m = None if mask is None else _mask((1, 200, 300), mask)
    g, t = _sdpa_pair(m, mask, causal)
    check_op(g, t, randn(1, 200, 8), randn(1, 300, 8), randn(1, 300, 5), rtol=1e-9,
             atol=1e-10, noncontig=False)
