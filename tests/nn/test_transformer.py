"""Transformer layers, stacks and nn.Transformer against torch with the same weights
(post- and pre-norm, relu/gelu, batch first or not, train with dropout 0 and eval):
outputs, input and parameter gradients; the causal mask helper; incremental decoding with
the KV cache against full recomputation; constructor and input errors."""
import numpy as np
import pytest
import torch

import glia
from glia import nn
from helpers import assert_close, check_raises, randn, to_glia, to_torch

D, H, FF = 8, 2, 16
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # torch nested-tensor notes


def _load(gm, tm, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * 0.3)
    gm.load_state_dict({k: v.numpy().copy() for k, v in tm.state_dict().items()})
    assert list(gm.state_dict()) == list(tm.state_dict())


def _compare(gm, tm, shapes, g_kw=None, t_kw=None, train=True, rtol=1e-9, atol=1e-10):
    """Forward on fresh inputs of `shapes`, then compare outputs and all gradients."""
    gm.train(train)
    tm.train(train)
    arrays = [randn(*s) for s in shapes]
    gi = [glia.tensor(a, requires_grad=True) for a in arrays]
    ti = [to_torch(a, True) for a in arrays]
    go, to = gm(*gi, **(g_kw or {})), tm(*ti, **(t_kw or {}))
    assert_close(go, to, rtol, atol)
    cot = randn(*to.shape)
    (go * to_glia(cot)).sum().backward()
    (to * to_torch(cot)).sum().backward()
    for a, b in zip(gi, ti):
        assert_close(a.grad, b.grad, rtol * 10, atol * 10)
    for (gn, gp), (tn, tp) in zip(gm.named_parameters(), tm.named_parameters(), strict=True):
        assert gn == tn
        assert_close(gp.grad, tp.grad, rtol * 10, atol * 10)


def _mask_pair(m):
    return to_glia(m), to_torch(m)


LAYER_VARIANTS = [
    dict(norm_first=False, activation="relu", batch_first=False, train=True),
    dict(norm_first=True, activation="relu", batch_first=True, train=False),
    dict(norm_first=False, activation="gelu", batch_first=True, train=True),
    dict(norm_first=True, activation="gelu", batch_first=False, train=True),
]


@pytest.mark.parametrize("v", LAYER_VARIANTS, ids=lambda v: "-".join(map(str, v.values())))
def test_encoder_layer_matches_torch(v):
    v = dict(v)
    train = v.pop("train")
    tm = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, **v).double()
    gm = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, **v).double()
    _load(gm, tm)
    shape = (3, 5, D) if v["batch_first"] else (5, 3, D)
    am = np.triu(np.full((5, 5), -np.inf), 1)  # float causal mask
    kpm = np.array([[False] * 5, [False] * 4 + [True], [False] * 3 + [True] * 2])
    (ga, ta), (gk, tk) = _mask_pair(am), _mask_pair(kpm)
    _compare(gm, tm, [shape], dict(src_mask=ga, src_key_padding_mask=gk),
             dict(src_mask=ta, src_key_padding_mask=tk), train=train)
    _compare(gm, tm, [shape], train=train)


@pytest.mark.parametrize("v", LAYER_VARIANTS, ids=lambda v: "-".join(map(str, v.values())))
def test_decoder_layer_matches_torch(v):
    v = dict(v)
    train = v.pop("train")
    tm = torch.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, **v).double()
    gm = nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, **v).double()
    _load(gm, tm)
    bf = v["batch_first"]
    shapes = [(3, 5, D), (3, 7, D)] if bf else [(5, 3, D), (7, 3, D)]
    causal = nn.Transformer.generate_square_subsequent_mask(5).double()
    mkpm = np.zeros((3, 7), dtype=bool)
    mkpm[1, 5:] = True
    (gk, tk) = _mask_pair(mkpm)
    _compare(gm, tm, shapes,
             dict(tgt_mask=causal, tgt_is_causal=True, memory_key_padding_mask=gk),
             dict(tgt_mask=to_torch(causal.numpy()), tgt_is_causal=True,
                  memory_key_padding_mask=tk), train=train)


def test_layer_callable_activation_and_no_bias():
    tm = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, bias=False,
                                          activation=torch.tanh).double()
    gm = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, bias=False,
                                    activation=glia.tanh).double()
    _load(gm, tm)
    _compare(gm, tm, [(4, 2, D)])


@pytest.mark.parametrize("norm_first", [False, True])
def test_stacks_match_torch(norm_first):
    kw = dict(dim_feedforward=FF, dropout=0.0, norm_first=norm_first, batch_first=True)
    tm = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H, **kw), 2,
                                     norm=torch.nn.LayerNorm(D), enable_nested_tensor=False)
    gm = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, **kw), 2, norm=nn.LayerNorm(D))
    tm, gm = tm.double(), gm.double()
    _load(gm, tm)
    _compare(gm, tm, [(2, 6, D)])
    _compare(gm, tm, [(2, 6, D)], train=False)
    tm = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, H, **kw), 2).double()
    gm = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, **kw), 2).double()
    _load(gm, tm)
    m = nn.Transformer.generate_square_subsequent_mask(4).double()
    _compare(gm, tm, [(2, 4, D), (2, 6, D)], dict(tgt_mask=m),
             dict(tgt_mask=to_torch(m.numpy())))


def test_transformer_matches_torch():
    tm = torch.nn.Transformer(D, H, 2, 2, FF, dropout=0.0).double()
    gm = nn.Transformer(D, H, 2, 2, FF, dropout=0.0).double()
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    _load(gm, tm)
    m = nn.Transformer.generate_square_subsequent_mask(5).double()
    kpm = np.zeros((3, 7), dtype=bool)
    kpm[2, 6] = True
    gk, tk = _mask_pair(kpm)
    _compare(gm, tm, [(7, 3, D), (5, 3, D)],
             dict(tgt_mask=m, src_key_padding_mask=gk, memory_key_padding_mask=gk),
             dict(tgt_mask=to_torch(m.numpy()), src_key_padding_mask=tk,
                  memory_key_padding_mask=tk))


def test_generate_square_subsequent_mask():
    g = nn.Transformer.generate_square_subsequent_mask(4)
    t = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert_close(g, t)
    assert nn.Transformer.generate_square_subsequent_mask(1).numpy().tolist() == [[0.0]]
    g64 = nn.Transformer.generate_square_subsequent_mask(5, dtype=glia.float64)
    assert g64.dtype == glia.float64
    np.testing.assert_array_equal(g64.numpy(), np.triu(np.full((5, 5), -np.inf), 1))


def test_dropout_active_in_train_only():
    gm = nn.TransformerEncoderLayer(D, H, FF, dropout=0.5)
    x = glia.randn(5, 2, D)
    assert not np.allclose(gm(x).detach().numpy(), gm(x).detach().numpy())
    gm.eval()
    np.testing.assert_array_equal(gm(x).detach().numpy(), gm(x).detach().numpy())


@pytest.mark.parametrize("norm_first", [False, True])
def test_kv_cache_encoder_stack_decoding(norm_first):
    """Decoder-only use: causal self-attention one token at a time with the cache equals
    one causal pass over the whole sequence."""
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True,
                                       norm_first=norm_first)
    stack = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(D)).double().eval()
    x = to_glia(randn(2, 9, D))
    with glia.no_grad():
        full = stack(x, is_causal=True)
        cache = stack.new_cache()
        parts = [stack(x.narrow(1, 0, 4), is_causal=True, cache=cache)]
        parts += [stack(x.narrow(1, t, 1), is_causal=True, cache=cache) for t in range(4, 9)]
    assert [len(c) for c in cache] == [9, 9, 9]
    np.testing.assert_allclose(glia.cat(parts, 1).numpy(), full.numpy(), rtol=1e-10,
                               atol=1e-12)


def test_kv_cache_decoder_stack_decoding():
    layer = nn.TransformerDecoderLayer(D, H, FF, dropout=0.0)
    stack = nn.TransformerDecoder(layer, 2).double().eval()
    tgt, mem = to_glia(randn(6, 2, D)), to_glia(randn(5, 2, D))
    mask = nn.Transformer.generate_square_subsequent_mask(6).double()
    with glia.no_grad():
        full = stack(tgt, mem, tgt_mask=mask, tgt_is_causal=True)
        cache = stack.new_cache()
        parts = [stack(tgt.narrow(0, t, 1), mem, cache=cache) for t in range(6)]
    np.testing.assert_allclose(glia.cat(parts, 0).numpy(), full.numpy(), rtol=1e-10,
                               atol=1e-12)


def test_errors():
    check_raises(lambda: nn.TransformerEncoderLayer(10, 3), ValueError, "divisible")
    check_raises(lambda: nn.TransformerEncoderLayer(8, 2, activation="swish"), ValueError,
                 "TransformerEncoderLayer", "swish")
    check_raises(lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 0),
                 ValueError, "TransformerEncoder", "num_layers", "0")
    check_raises(lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2), -1),
                 ValueError, "TransformerDecoder", "num_layers", "-1")
    tr = nn.Transformer(8, 2, 1, 1, 16)
    check_raises(lambda: tr(glia.randn(4, 2, 8), glia.randn(3, 3, 8)), ValueError,
                 "Transformer", "batch size")
    check_raises(lambda: tr(glia.randn(4, 2, 6), glia.randn(3, 2, 6)), ValueError,
                 "d_model", "(4, 2, 6)")
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    check_raises(lambda: layer(glia.randn(4, 2, 8), src_mask=glia.ones(3, 3)), ValueError,
                 "attn_mask", "(3, 3)")
