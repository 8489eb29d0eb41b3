"""Dropout, Dropout2d, AlphaDropout and DropConnect: drop rates and preserved moments,
agreement with torch on the elements both keep (and both drop), eval and p = 0 identity,
p = 1, gradients equal to mask * scale, reproducibility under glia.manual_seed, errors."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F
from glia import nn
from glia.nn.parameter import Parameter
from helpers import assert_close, check_raises, randn, to_glia, to_torch

N_BIG = (200, 500)  # 1e5 elements: the drop fraction has std <= 0.0016


class _Lin(nn.Module):
    """A minimal linear layer (weight (out, in), optional bias) for DropConnect to wrap."""

    def __init__(self, weight, bias=None):
        super().__init__()
        self.weight = Parameter(to_glia(weight))
        self.bias = None if bias is None else Parameter(to_glia(bias))
        if bias is None:
            self.register_parameter("bias", None)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_rate_scale_and_mean(p):
    x = glia.ones(*N_BIG)
    out = F.dropout(x, p).numpy()
    assert abs((out == 0).mean() - p) < 0.01
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1.0 / (1.0 - p), rtol=1e-6)
    # inverted scaling keeps the mean: std of the mean is sqrt(p / (1 - p) / 1e5) <= 0.0063
    assert abs(out.mean() - 1.0) < 0.03
    t = TF.dropout(torch.ones(*N_BIG), p)
    assert abs((out == 0).mean() - (t == 0).float().mean().item()) < 0.015


@pytest.mark.parametrize("p", [0.2, 0.6])
@pytest.mark.parametrize("shape", [(3, 7), (1, 5), (2, 3, 4), (40,)], ids=str)
def test_dropout_matches_torch_where_both_keep(shape, p):
    for x in (randn(*shape), np.swapaxes(randn(*shape[::-1]), 0, -1)):  # plain, non-contiguous
        g = F.dropout(glia.from_numpy(x), p).numpy()
        t = TF.dropout(to_torch(x), p).numpy()
        both = (g != 0) & (t != 0)
        np.testing.assert_allclose(g[both], t[both], rtol=1e-12)
        np.testing.assert_allclose(g[g != 0], x[g != 0] / (1 - p), rtol=1e-12)


def test_dropout_gradient_is_mask_times_scale():
    p = 0.3
    x = to_glia(randn(6, 8) + 5.0, requires_grad=True)  # no zeros, so the mask is out != 0
    out = F.dropout(x, p)
    cot = randn(6, 8)
    (out * to_glia(cot)).sum().backward()
    mask = (out.detach().numpy() != 0).astype(np.float64)
    np.testing.assert_allclose(x.grad.numpy(), cot * mask / (1 - p), rtol=1e-12)
    assert 0 < mask.sum() < mask.size


def test_dropout_eval_p0_p1():
    x = to_glia(randn(4, 5), requires_grad=True)
    m = nn.Dropout(0.5)
    assert m.training
    m.eval()
    assert m(x) is x  # eval: identity, no copy
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0.7, training=False) is x
    out = F.dropout(x, 1.0)
    np.testing.assert_array_equal(out.detach().numpy(), np.zeros((4, 5)))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((4, 5)))
    assert_close(F.dropout(x, 1.0), TF.dropout(to_torch(x.detach().numpy()), 1.0))
    assert repr(nn.Dropout(0.25)) == repr(torch.nn.Dropout(0.25))


def test_inplace_dropout_overwrites_input_without_grad():
    x = glia.ones(50, 40)
    out = nn.Dropout(0.5, inplace=True)(x)
    assert out is x
    vals = np.unique(x.numpy())
    np.testing.assert_array_equal(vals, [0.0, 2.0])


@pytest.mark.parametrize("fn", [F.dropout, F.dropout2d, F.alpha_dropout], ids=lambda f: f.__name__)
def test_masks_reproducible_under_manual_seed(fn):
    x = glia.randn(4, 3, 5, 5)
    glia.manual_seed(7)
    a = fn(x, 0.5, True).numpy()
    b = fn(x, 0.5, True).numpy()
    glia.manual_seed(7)
    c = fn(x, 0.5, True).numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)  # a fresh mask each call


@pytest.mark.parametrize("shape", [(30, 40, 3, 2), (500, 2, 3), (1, 7, 2, 2)], ids=str)
def test_dropout2d_drops_whole_channels(shape):
    p = 0.4
    x = randn(*shape) + 10.0  # no zeros
    out = nn.Dropout2d(p)(to_glia(x)).numpy()
    per_channel = out.reshape(shape[:-2] + (-1,))
    dropped = (per_channel == 0).all(-1)
    kept = (per_channel != 0).all(-1)
    assert np.all(dropped | kept)  # never a partly dropped channel
    np.testing.assert_allclose(out, x * kept[..., None, None] / (1 - p),
                               rtol=1e-12)
    if dropped.size >= 1000:
        assert abs(dropped.mean() - p) < 0.05


def test_dropout2d_matches_torch_and_gradient():
    p = 0.5
    x = randn(8, 6, 3, 4) + 10.0
    gx = to_glia(x, requires_grad=True)
    g = F.dropout2d(gx, p)
    t = TF.dropout2d(to_torch(x), p).numpy()
    gn = g.detach().numpy()
    both = (gn != 0) & (t != 0)
    np.testing.assert_allclose(gn[both], t[both], rtol=1e-12)
    cot = randn(8, 6, 3, 4)
    (g * to_glia(cot)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), cot * (gn != 0) / (1 - p), rtol=1e-12)
    m = nn.Dropout2d(p).eval()
    assert m(gx) is gx
    check_raises(lambda: F.dropout2d(glia.randn(3, 4), 0.5), ValueError, "dropout2d", "(3, 4)")


ALPHA = 1.7580993408473766


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_keeps_moments_and_matches_torch(p):
    x = randn(*N_BIG)
    g = F.alpha_dropout(to_glia(x), p, training=True).numpy()
    t = TF.alpha_dropout(to_torch(x), p, training=True).numpy()
    # SELU's fixed point (mean 0, variance 1) survives
    assert abs(g.mean()) < 0.02 and abs(g.std() - 1.0) < 0.02
    # both set dropped elements to one constant; find torch's as its most common value
    vals, counts = np.unique(t, return_counts=True)
    t_const = vals[counts.argmax()]
    g_drop, t_drop = np.isclose(g, t_const, rtol=0, atol=1e-12), t == t_const
    assert abs(g_drop.mean() - p) < 0.01 and abs(t_drop.mean() - p) < 0.01
    both = ~g_drop & ~t_drop
    np.testing.assert_allclose(g[both], t[both], rtol=1e-10, atol=1e-12)
    a = 1.0 / math.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    np.testing.assert_allclose(t_const, a * (ALPHA * p - ALPHA), rtol=1e-12)


def test_alpha_dropout_gradient_eval_and_module():
    p = 0.3
    x = to_glia(randn(5, 7), requires_grad=True)
    out = F.alpha_dropout(x, p, True)
    a = 1.0 / math.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    kept = ~np.isclose(out.detach().numpy(), a * (ALPHA * p - ALPHA), rtol=0, atol=1e-12)
    cot = randn(5, 7)
    (out * to_glia(cot)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), cot * kept * a, rtol=1e-12)
    assert F.alpha_dropout(x, p) is x  # torch's functional default is training=False
    m = nn.AlphaDropout(p)
    assert m.eval()(x) is x
    np.testing.assert_array_equal(F.alpha_dropout(x, 1.0, True).detach().numpy(), 0.0)
    assert repr(m) == repr(torch.nn.AlphaDropout(p))


@pytest.mark.parametrize("layer", ["Dropout", "Dropout2d", "AlphaDropout"])
def test_bad_p_raises_naming_the_layer(layer):
    for p in (-0.1, 1.5):
        check_raises(lambda p=p: getattr(nn, layer)(p), ValueError, layer, str(p))
    check_raises(lambda: F.dropout(glia.randn(2), 2.0), ValueError, "dropout", "2.0")


def _dropconnect_mask(dc, x, cot):
    """The forward's weight mask, read off the weight gradient: dW = (M / (1 - p)) * cot^T x
    with every entry of cot^T x nonzero."""
    dc.module.weight.grad = None
    out = dc(to_glia(x))
    (out * to_glia(cot)).sum().backward()
    out_f, in_f = dc.module.weight.shape
    outer = cot.reshape(-1, out_f).T @ x.reshape(-1, in_f)
    return out, dc.module.weight.grad.numpy() / outer * (1 - dc.p)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape", [(5, 4), (1, 4), (2, 3, 4)], ids=str)
def test_dropconnect_matches_linear_with_masked_weight(bias, x_shape):
    p = 0.4
    w, b = randn(3, 4), randn(3) if bias else None
    dc = nn.DropConnect(_Lin(w, b), p)
    x = np.abs(randn(*x_shape)) + 0.5
    cot = np.abs(randn(*x_shape[:-1], 3)) + 0.5  # positive, so cot^T x has no zeros
    out, mask = _dropconnect_mask(dc, x, cot)
    out = out.detach().numpy()
    np.testing.assert_allclose(mask, np.round(mask), atol=1e-9)  # a 0/1 mask
    ref = TF.linear(to_torch(x), to_torch(w * np.round(mask) / (1 - p)),
                    None if b is None else to_torch(b))
    np.testing.assert_allclose(out, ref.numpy(), rtol=1e-10, atol=1e-12)
    if bias:
        np.testing.assert_allclose(dc.module.bias.grad.numpy(), cot.reshape(-1, 3).sum(0))
    # eval: the full weight, like torch's F.linear (a second forward: with batch 1 this also
    # catches a linear op that writes its output into the bias)
    dc.eval()
    ref = TF.linear(to_torch(x), to_torch(w), None if b is None else to_torch(b))
    np.testing.assert_allclose(dc(to_glia(x)).detach().numpy(), ref.numpy(), rtol=1e-12)


def test_dropconnect_fresh_masks_rate_and_seed():
    p = 0.3
    dc = nn.DropConnect(_Lin(randn(100, 100), randn(100)), p)
    x, cot = np.ones((1, 100)), np.ones((1, 100))
    glia.manual_seed(11)
    _, m1 = _dropconnect_mask(dc, x, cot)
    _, m2 = _dropconnect_mask(dc, x, cot)
    glia.manual_seed(11)
    _, m3 = _dropconnect_mask(dc, x, cot)
    np.testing.assert_array_equal(m1, m3)
    assert not np.array_equal(m1, m2)
    for m in (m1, m2):
        assert abs((np.round(m) == 0).mean() - p) < 0.02  # 1e4 weights: std 0.0046
    names = [n for n, _ in dc.named_parameters()]
    assert names == ["module.weight", "module.bias"]
    assert repr(dc).startswith("DropConnect(p=0.3")


def test_dropconnect_errors():
    check_raises(lambda: nn.DropConnect(_Lin(randn(2, 3)), 1.2), ValueError, "DropConnect", "1.2")
    check_raises(lambda: nn.DropConnect(nn.ReLU(), 0.5), ValueError, "DropConnect", "weight")
