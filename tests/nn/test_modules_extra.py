"""Layers that complete glia.nn's torch.nn coverage, each vs PyTorch with the same weights:
UpsamplingNearest2d, UpsamplingBilinear2d, AdaptiveAvgPool3d / AdaptiveMaxPool3d,
ConvTranspose3d, InstanceNorm3d, LPPool3d, MaxUnpool3d, ChannelShuffle (and their functional
forms), FeatureAlphaDropout, LazyLinear and AdaptiveLogSoftmaxWithLoss: outputs, input and
parameter gradients, float32 and float64, reprs, float64 gradchecks, errors."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
from glia import nn
from glia.nn import functional as F
from helpers import (RNG, assert_close, check_op, check_raises, compare_module, gradcheck,
                     load_from_torch, randn)

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-7, atol=1e-9)}
DTYPES = {np.float32: (glia.float32, torch.float32), np.float64: (glia.float64, torch.float64)}


# ---- upsampling layers ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls,kwargs", [("UpsamplingNearest2d", dict(size=(5, 7))),
                                        ("UpsamplingNearest2d", dict(scale_factor=2)),
                                        ("UpsamplingBilinear2d", dict(size=(6, 3))),
                                        ("UpsamplingBilinear2d", dict(scale_factor=(1.5, 2.0))),
                                        ("UpsamplingBilinear2d", dict(size=(1, 4)))])
def test_upsampling_layers(cls, kwargs, dtype):
    g, t = getattr(nn, cls)(**kwargs), getattr(torch.nn, cls)(**kwargs)
    assert repr(g) == repr(t)
    compare_module(g, t, randn(2, 3, 4, 5, dtype=dtype), **TOL[dtype])


# ---- 3-D adaptive pooling, Lp pooling and max unpooling ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,size", [((2, 3, 5, 6, 7), (2, 3, 4)), ((2, 4, 3, 5), 2),
                                        ((1, 1, 4, 1, 3), (None, 1, 5)), ((1, 2, 1, 1, 1), 1)])
def test_adaptive_pool3d(shape, size, dtype):
    x = randn(*shape, dtype=dtype)
    check_op(lambda a: F.adaptive_avg_pool3d(a, size), lambda a: TF.adaptive_avg_pool3d(a, size),
             x, **TOL[dtype])
    check_op(lambda a: F.adaptive_max_pool3d(a, size), lambda a: TF.adaptive_max_pool3d(a, size),
             x, **TOL[dtype])
    gv, gi = nn.AdaptiveMaxPool3d(size, return_indices=True)(glia.tensor(x))
    tv, ti = torch.nn.AdaptiveMaxPool3d(size, return_indices=True)(torch.tensor(x))
    assert_close(gv, tv, 0, 0)
    assert_close(gi, ti, 0, 0)
    compare_module(nn.AdaptiveAvgPool3d(size), torch.nn.AdaptiveAvgPool3d(size), x,
                   **TOL[dtype])
    assert repr(nn.AdaptiveAvgPool3d(size)) == repr(torch.nn.AdaptiveAvgPool3d(size))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type,kwargs", [(2, dict(kernel_size=2)),
                                              (1.5, dict(kernel_size=(2, 1, 3), stride=1)),
                                              (3, dict(kernel_size=2, stride=2, ceil_mode=True)),
                                              (math.inf, dict(kernel_size=(1, 2, 2)))])
def test_lp_pool3d(norm_type, kwargs, dtype):
    x = np.abs(randn(2, 2, 3, 4, 5, dtype=dtype)) + dtype(0.1)  # fractional powers need x > 0
    check_op(lambda a: F.lp_pool3d(a, norm_type, **kwargs),
             lambda a: TF.lp_pool3d(a, norm_type, **kwargs), x, **TOL[dtype])
    g, t = nn.LPPool3d(norm_type, **kwargs), torch.nn.LPPool3d(norm_type, **kwargs)
    assert repr(g) == repr(t)
    compare_module(g, t, x[0], **TOL[dtype])  # unbatched


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kwargs", [((2, 2, 4, 4, 6), dict(kernel_size=2)),
                                          ((1, 3, 5, 4, 5), dict(kernel_size=3, stride=2,
                                                                 padding=1)),
                                          ((2, 3, 3, 5), dict(kernel_size=(1, 2, 2)))])
def test_max_unpool3d(shape, kwargs, dtype):
    tv, ti = TF.max_pool3d(torch.tensor(randn(*shape, dtype=dtype)), return_indices=True,
                           **kwargs)
    size = shape[-3:]
    check_op(lambda v: F.max_unpool3d(v, glia.tensor(ti.numpy()), output_size=size, **kwargs),
             lambda v: TF.max_unpool3d(v, ti, output_size=size, **kwargs), tv.numpy(),
             **TOL[dtype])
    g, t = nn.MaxUnpool3d(**kwargs), torch.nn.MaxUnpool3d(**kwargs)
    assert repr(g) == repr(t)
    # (an element picked by 3 overlapping windows is summed 3 times and divided by 3: 1 ulp)
    assert_close(g(glia.tensor(tv.numpy()), glia.tensor(ti.numpy()), output_size=size),
                 t(tv, ti, output_size=size), **TOL[dtype])


def test_pool3d_gradcheck():
    gradcheck(lambda x: F.adaptive_avg_pool3d(x, (2, 1, 3)), randn(1, 2, 3, 2, 4))
    gradcheck(lambda x: F.lp_pool3d(x, 2, 2), np.abs(randn(1, 2, 2, 4, 2)) + 0.5)
    _, ti = TF.max_pool3d(torch.tensor(randn(1, 1, 2, 4, 4)), 2, return_indices=True)
    idx = glia.tensor(ti.numpy())
    gradcheck(lambda v: F.max_unpool3d(v, idx, 2), randn(1, 1, 1, 2, 2))


def test_pool3d_errors():
    check_raises(lambda: F.adaptive_avg_pool3d(glia.randn(2, 3, 4), 2), ValueError,
                 "adaptive_avg_pool3d", "(2, 3, 4)")
    check_raises(lambda: F.adaptive_max_pool3d(glia.randn(1, 2, 3, 4, 5), (1, 2)), ValueError,
                 "adaptive_max_pool3d", "(1, 2)")
    check_raises(lambda: F.adaptive_max_pool3d(glia.randn(1, 2, 3, 4, 5), 0), ValueError,
                 "adaptive_max_pool3d", "positive")
    check_raises(lambda: F.lp_pool3d(glia.randn(1, 2, 3, 4, 5), 2, 4), ValueError, "lp_pool3d",
                 "kernel_size")
    v, i = F.max_pool3d(glia.randn(1, 1, 2, 2, 2), 2, return_indices=True)
    check_raises(lambda: F.max_unpool3d(v, i.double(), 2), TypeError, "max_unpool3d", "int64")
    check_raises(lambda: F.max_unpool3d(v, i, 2, output_size=(5, 5, 5)), ValueError,
                 "max_unpool3d", "(5, 5, 5)")


# ---- ConvTranspose3d and InstanceNorm3d ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("args,kwargs,shape", [
    ((2, 3, 2), dict(), (2, 2, 3, 2, 4)),
    ((4, 2, (2, 1, 3)), dict(stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 0),
                             groups=2, dilation=(1, 2, 1), bias=False), (1, 4, 3, 3, 2)),
    ((2, 2, 3), dict(stride=2, padding=1), (2, 1, 1, 3)),  # unbatched
])
def test_conv_transpose3d(args, kwargs, shape, dtype):
    gd, td = DTYPES[dtype]
    t = torch.nn.ConvTranspose3d(*args, **kwargs, dtype=td)
    g = nn.ConvTranspose3d(*args, **kwargs, dtype=gd)
    load_from_torch(g, t)
    assert repr(g) == repr(t)
    tol = dict(TOL[dtype], atol=1e-5) if dtype == np.float32 else TOL[dtype]
    compare_module(g, t, randn(*shape, dtype=dtype), **tol)


def test_conv_transpose3d_output_size():
    t = torch.nn.ConvTranspose3d(2, 3, 3, stride=2, dtype=torch.float64)
    g = nn.ConvTranspose3d(2, 3, 3, stride=2, dtype=glia.float64)
    load_from_torch(g, t)
    compare_module(g, t, randn(1, 2, 2, 3, 2), output_size=(6, 8, 5))
    check_raises(lambda: g(glia.randn(1, 2, 2, 3, 2).double(), output_size=(9, 8, 5)),
                 ValueError, "ConvTranspose3d", "output_size")
    check_raises(lambda: g(glia.randn(2, 2, 3).double()), ValueError, "ConvTranspose3d",
                 "(2, 2, 3)")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [dict(), dict(affine=True, track_running_stats=True),
                                    dict(affine=True, bias=False, momentum=None, eps=1e-3)])
def test_instance_norm3d(kwargs, dtype):
    t = torch.nn.InstanceNorm3d(3, **kwargs)
    g = nn.InstanceNorm3d(3, **kwargs)
    if kwargs.get("affine"):
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
            if t.bias is not None:
                t.bias.uniform_(-0.5, 0.5)
    load_from_torch(g, t)
    assert repr(g) == repr(t)
    g.to(DTYPES[dtype][0])
    t.to(DTYPES[dtype][1])
    compare_module(g, t, randn(2, 3, 2, 3, 4, dtype=dtype), **TOL[dtype])
    compare_module(g, t, randn(3, 2, 2, 3, dtype=dtype), **TOL[dtype])  # unbatched
    if g.running_mean is not None:
        assert_close(g.running_mean, t.running_mean, **TOL[dtype])
        assert_close(g.running_var, t.running_var, **TOL[dtype])
        g.eval()
        t.eval()
        compare_module(g, t, randn(1, 3, 2, 2, 2, dtype=dtype), **TOL[dtype])
    check_raises(lambda: g(glia.randn(2, 3, 4)), ValueError, "InstanceNorm3d", "(2, 3, 4)")


# ---- channel shuffle ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 4), 3), ((2, 6, 3, 4), 2), ((1, 4, 5), 4),
                                          ((2, 6, 2, 1, 2), 3), ((3, 5, 1, 1), 1)])
def test_channel_shuffle(shape, groups, dtype):
    x = randn(*shape, dtype=dtype)
    check_op(lambda a: F.channel_shuffle(a, groups), lambda a: TF.channel_shuffle(a, groups), x,
             rtol=0, atol=0)
    g, t = nn.ChannelShuffle(groups), torch.nn.ChannelShuffle(groups)
    assert repr(g) == repr(t)
    compare_module(g, t, x, rtol=0, atol=0)


def test_channel_shuffle_errors():
    x = glia.randn(1, 6, 2)
    check_raises(lambda: F.channel_shuffle(glia.randn(6, 2), 3), ValueError, "channel_shuffle",
                 "(6, 2)")
    check_raises(lambda: F.channel_shuffle(x, 4), ValueError, "channel_shuffle", "(6)", "(4)")
    check_raises(lambda: F.channel_shuffle(x, 0), ValueError, "channel_shuffle", "groups", "0")
    check_raises(lambda: F.channel_shuffle(x, 1.5), ValueError, "channel_shuffle", "1.5")


# ---- FeatureAlphaDropout ----

ALPHA = 1.7580993408473766  # SELU scale * alpha


def check_feature_alpha_dropout(out, x, p, keep_shape):
    """Every (n, c) slice is either a x + a alpha p (kept) or a alpha (p - 1) (dropped)."""
    a = 1 / math.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    flat_out = out.reshape(keep_shape + (-1,))
    flat_x = x.reshape(keep_shape + (-1,))
    kept = np.isclose(flat_out, a * flat_x + a * ALPHA * p, rtol=1e-5, atol=1e-5).all(-1)
    dropped = np.isclose(flat_out, a * ALPHA * (p - 1), rtol=1e-5, atol=1e-5).all(-1)
    assert np.all(kept ^ dropped)
    return kept


def test_feature_alpha_dropout_matches_torchs_formula():
    p = 0.3
    x = randn(8, 50, 2, 3)
    t = TF.feature_alpha_dropout(torch.tensor(x), p, training=True).numpy()
    check_feature_alpha_dropout(t, x, p, (8, 50))  # the formula is torch's ...
    gx = glia.tensor(x, requires_grad=True)
    out = F.feature_alpha_dropout(gx, p, training=True)
    kept = check_feature_alpha_dropout(out.detach().numpy(), x, p, (8, 50))  # ... and glia's
    assert abs(1 - kept.mean() - p) < 0.06
    out.sum().backward()
    a = 1 / math.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    np.testing.assert_allclose(gx.grad.numpy(), np.broadcast_to(kept[:, :, None, None] * a,
                                                                x.shape), rtol=1e-12)


def test_feature_alpha_dropout_layer_and_edge_cases():
    x = randn(4, 6, 5)
    m = nn.FeatureAlphaDropout(0.4)
    assert repr(m) == repr(torch.nn.FeatureAlphaDropout(0.4))
    check_feature_alpha_dropout(m(glia.tensor(x)).numpy(), x, 0.4, (4, 6))
    m.eval()
    assert_close(m(glia.tensor(x)), torch.tensor(x), 0, 0)
    assert_close(F.feature_alpha_dropout(glia.tensor(x), 0.4), torch.tensor(x), 0, 0)  # eval
    assert_close(F.feature_alpha_dropout(glia.tensor(x), 1.0, True),
                 TF.feature_alpha_dropout(torch.tensor(x), 1.0, True), 0, 0)
    assert_close(F.feature_alpha_dropout(glia.tensor(x), 0.0, True), torch.tensor(x), 0, 0)
    check_raises(lambda: F.feature_alpha_dropout(glia.randn(3), 0.5, True), ValueError,
                 "feature_alpha_dropout", "(3,)")
    check_raises(lambda: nn.FeatureAlphaDropout(1.5), ValueError, "FeatureAlphaDropout", "1.5")


# ---- LazyLinear ----

def test_lazy_linear_infers_in_features_on_first_call():
    m = nn.LazyLinear(3)
    t = torch.nn.LazyLinear(3)
    assert repr(m) == repr(t)
    params = list(m.parameters())
    assert [p.shape for p in params] == [(0,), (0,)] and list(m.state_dict()) == ["weight", "bias"]
    m.reset_parameters()  # a no-op until the shapes are known
    opt = glia.optim.SGD(m.parameters(), lr=0.5)
    x = randn(2, 4, 5).astype(np.float32)
    y = m(glia.tensor(x))
    assert type(m) is nn.Linear and m.in_features == 5 and y.shape == (2, 4, 3)
    assert repr(m) == "Linear(in_features=5, out_features=3, bias=True)"
    assert list(m.parameters())[0] is params[0] and params[0].shape == (3, 5)
    assert np.abs(params[0].detach().numpy()).max() <= 1 / math.sqrt(5)
    assert np.abs(params[1].detach().numpy()).max() <= 1 / math.sqrt(5)
    np.testing.assert_allclose(y.detach().numpy(), x @ params[0].detach().numpy().T
                               + params[1].detach().numpy(), rtol=1e-5, atol=1e-6)
    before = params[0].detach().numpy().copy()
    y.sum().backward()
    opt.step()  # the optimizer built before the first call updates the filled-in parameters
    np.testing.assert_allclose(params[0].detach().numpy(), before - 0.5 * params[0].grad.numpy())


@pytest.mark.parametrize("bias", [True, False])
def test_lazy_linear_loads_a_torch_state_dict_before_the_first_call(bias):
    t = torch.nn.Linear(4, 3, bias=bias, dtype=torch.float64)
    g = nn.LazyLinear(3, bias=bias, dtype=glia.float64)
    load_from_torch(g, t)
    assert g.in_features == 4 and g.weight.shape == (3, 4)
    compare_module(g, t, randn(2, 4), **TOL[np.float64])
    assert type(g) is nn.Linear


def test_lazy_linear_errors():
    check_raises(lambda: nn.LazyLinear(-1), ValueError, "LazyLinear", "-1")
    check_raises(lambda: nn.LazyLinear(2)(glia.tensor(1.0)), ValueError, "LazyLinear", "()")
    check_raises(lambda: nn.LazyLinear(2).load_state_dict({"weight": glia.randn(3, 4),
                                                           "bias": glia.randn(3)}),
                 ValueError, "LazyLinear", "(3, 4)")


# ---- AdaptiveLogSoftmaxWithLoss ----

def make_asm(dtype, **kwargs):
    gd, td = DTYPES[dtype]
    args = dict(in_features=8, n_classes=12, cutoffs=[3, 7], **kwargs)
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(**args).to(td)
    g = nn.AdaptiveLogSoftmaxWithLoss(**args, dtype=gd)
    load_from_torch(g, t)
    return g, t


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")  # torch, 0-wide layer
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [dict(), dict(div_value=2.0, head_bias=True),
                                    dict(div_value=4.0)])  # 8 // 16 = 0: an empty projection
def test_adaptive_log_softmax_matches_torch(kwargs, dtype):
    g, t = make_asm(dtype, **kwargs)
    assert repr(g) == repr(t)
    x = randn(9, 8, dtype=dtype)
    target = np.array([0, 11, 4, 2, 7, 8, 3, 6, 1])  # every cluster, both of its edges
    gx, tx = glia.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    go, to = g(gx, glia.tensor(target)), t(tx, torch.tensor(target))
    assert_close(go.output, to.output, **TOL[dtype])
    assert_close(go.loss, to.loss, **TOL[dtype])
    cot = RNG.standard_normal(9).astype(dtype)
    ((go.output * glia.tensor(cot)).sum() + go.loss).backward()
    ((to.output * torch.tensor(cot)).sum() + to.loss).backward()
    assert_close(gx.grad, tx.grad, **TOL[dtype])
    t_params = dict(t.named_parameters())
    for name, p in g.named_parameters():
        if t_params[name].numel():
            assert_close(p.grad, t_params[name].grad, **TOL[dtype])
    assert_close(g.log_prob(glia.tensor(x)), t.log_prob(torch.tensor(x)), **TOL[dtype])
    assert_close(g.predict(glia.tensor(x)), t.predict(torch.tensor(x)), 0, 0)


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_adaptive_log_softmax_unbatched_and_log_prob_normalized():
    g, t = make_asm(np.float64, head_bias=True)
    x = randn(8)
    go, to = g(glia.tensor(x), glia.tensor(9)), t(torch.tensor(x), torch.tensor(9))
    assert go.output.shape == () and go.loss.shape == ()
    assert_close(go.output, to.output, **TOL[np.float64])
    assert_close(go.loss, to.loss, **TOL[np.float64])
    lp = g.log_prob(glia.tensor(x))
    assert_close(lp, t.log_prob(torch.tensor(x[None]))[0], **TOL[np.float64])
    assert abs(np.exp(lp.detach().numpy()).sum() - 1) < 1e-12
    assert g.predict(glia.tensor(x)).item() == t.predict(torch.tensor(x[None])).item()
    only_head = np.array([0, 1, 2])  # no row reaches the tail
    assert_close(g(glia.tensor(randn(3, 8)), glia.tensor(only_head)).output.shape, (3,), 0, 0)


def test_adaptive_log_softmax_errors():
    name = "AdaptiveLogSoftmaxWithLoss"
    for cutoffs in ([], [3, 3], [5, 2], [0, 4], [4, 12], [2.5]):
        check_raises(lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 12, cutoffs), ValueError, name,
                     "cutoffs")
    g = nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7])
    x = glia.randn(4, 8)
    check_raises(lambda: g(x, glia.tensor([0, 1, 12, 3])), ValueError, name, "[0, 11]", "12")
    check_raises(lambda: g(x, glia.tensor([0, -1, 1, 3])), ValueError, name, "-1")
    check_raises(lambda: g(x, glia.tensor([0, 1, 2])), ValueError, name, "(3,)", "(4, 8)")
    check_raises(lambda: g(x, glia.tensor([[0, 1]])), ValueError, name, "(1, 2)")
    check_raises(lambda: g(x, glia.tensor(1)), ValueError, name, "0-D", "(4, 8)")
    check_raises(lambda: g(x, glia.tensor([0.0, 1, 2, 3])), TypeError, name, "float")
    check_raises(lambda: g.log_prob(glia.randn(1, 2, 8)), ValueError, name, "(1, 2, 8)")
