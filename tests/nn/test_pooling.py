"""Pooling vs PyTorch: max / avg pooling 1d/2d/3d over kernels, strides, paddings,
dilations, ceil_mode and count_include_pad (values, indices, input gradients, float32 and
float64, batched and unbatched); min, Lp, adaptive and global pooling; max_unpool1d/2d
(overlapping windows included); float64 gradchecks; the layers with their repr; errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
from glia import nn
from glia.nn import functional as F
from helpers import assert_close, check_op, check_raises, compare_module, gradcheck, randn

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-7, atol=1e-9)}


def check_pool(g_fn, t_fn, shape, dtype, kwargs, positive=False):
    x = randn(*shape, dtype=dtype)
    if positive:
        x = np.abs(x) + dtype(0.1)
    check_op(lambda a: g_fn(a, **kwargs), lambda a: t_fn(a, **kwargs), x, **TOL[dtype])


# ---- max pooling ----

MAX2D = [
    ((2, 3, 6, 6), dict(kernel_size=2)),
    ((1, 2, 7, 5), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 2, 7, 7), dict(kernel_size=(3, 2), stride=(2, 1), dilation=(2, 1))),
    ((2, 2, 7, 6), dict(kernel_size=3, stride=2, ceil_mode=True)),
    ((2, 2, 8, 5), dict(kernel_size=2, stride=3, padding=1, ceil_mode=True)),
    ((3, 5, 5), dict(kernel_size=2, stride=1)),  # unbatched
    ((1, 1, 4, 4), dict(kernel_size=4)),  # kernel as large as the input
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kwargs", MAX2D)
def test_max_pool2d_matches_torch(shape, kwargs, dtype):
    check_pool(F.max_pool2d, TF.max_pool2d, shape, dtype, kwargs)
    x = randn(*shape, dtype=dtype)
    gv, gi = F.max_pool2d(glia.tensor(x), return_indices=True, **kwargs)
    tv, ti = TF.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    assert_close(gv, tv)
    assert_close(gi, ti)


@pytest.mark.parametrize("shape,kwargs", [
    ((2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 8), dict(kernel_size=2, dilation=3, ceil_mode=True, stride=2)),
    ((3, 7), dict(kernel_size=3, stride=1)),  # unbatched
])
def test_max_pool1d_matches_torch(shape, kwargs):
    check_pool(F.max_pool1d, TF.max_pool1d, shape, np.float32, kwargs)
    x = randn(*shape)
    assert_close(F.max_pool1d(glia.tensor(x), return_indices=True, **kwargs)[1],
                 TF.max_pool1d(torch.tensor(x), return_indices=True, **kwargs)[1])


@pytest.mark.parametrize("shape,kwargs", [
    ((1, 2, 4, 5, 4), dict(kernel_size=2)),
    ((2, 4, 5, 5), dict(kernel_size=(3, 2, 2), stride=(1, 2, 2), padding=(1, 0, 1))),  # unbatched
    ((1, 1, 5, 5, 5), dict(kernel_size=2, dilation=2, ceil_mode=True)),
])
def test_max_pool3d_matches_torch(shape, kwargs):
    check_pool(F.max_pool3d, TF.max_pool3d, shape, np.float64, kwargs)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
def test_min_pool2d_is_negated_max_pool(kwargs):
    check_op(lambda a: F.min_pool2d(a, **kwargs), lambda a: -TF.max_pool2d(-a, **kwargs),
             randn(2, 3, 7, 6))
    x = randn(2, 3, 7, 6)
    gv, gi = F.min_pool2d(glia.tensor(x), return_indices=True, **kwargs)
    tv, ti = TF.max_pool2d(-torch.tensor(x), return_indices=True, **kwargs)
    assert_close(gv, -tv)
    assert_close(gi, ti)


# ---- average pooling ----

AVG2D = [
    ((2, 3, 6, 6), dict(kernel_size=2)),
    ((1, 2, 7, 5), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 7, 5), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((2, 2, 7, 6), dict(kernel_size=(3, 2), stride=2, padding=(1, 1), ceil_mode=True)),
    ((2, 2, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ((2, 2, 6, 6), dict(kernel_size=3, padding=1, divisor_override=4)),
    ((3, 5, 5), dict(kernel_size=2, stride=1)),  # unbatched
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kwargs", AVG2D)
def test_avg_pool2d_matches_torch(shape, kwargs, dtype):
    check_pool(F.avg_pool2d, TF.avg_pool2d, shape, dtype, kwargs)


@pytest.mark.parametrize("shape,kwargs", [
    ((2, 3, 9), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((1, 2, 8), dict(kernel_size=3, stride=2, ceil_mode=True)),
    ((3, 7), dict(kernel_size=2)),
])
def test_avg_pool1d_matches_torch(shape, kwargs):
    check_pool(F.avg_pool1d, TF.avg_pool1d, shape, np.float64, kwargs)


@pytest.mark.parametrize("shape,kwargs", [
    ((1, 2, 4, 5, 4), dict(kernel_size=2)),
    ((2, 5, 5, 4), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((1, 1, 5, 5, 5), dict(kernel_size=2, ceil_mode=True, divisor_override=3)),
])
def test_avg_pool3d_matches_torch(shape, kwargs):
    check_pool(F.avg_pool3d, TF.avg_pool3d, shape, np.float64, kwargs)


# ---- Lp pooling ----

@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, float("inf")])
@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=(3, 2), stride=2),
                                    dict(kernel_size=3, stride=2, ceil_mode=True)])
def test_lp_pool2d_matches_torch(norm_type, kwargs):
    check_pool(lambda a, **k: F.lp_pool2d(a, norm_type, **k),
               lambda a, **k: TF.lp_pool2d(a, norm_type, **k), (2, 2, 7, 6), np.float64,
               kwargs, positive=True)


@pytest.mark.parametrize("norm_type", [2.0, 1.5])
def test_lp_pool1d_matches_torch(norm_type):
    check_pool(lambda a, **k: F.lp_pool1d(a, norm_type, **k),
               lambda a, **k: TF.lp_pool1d(a, norm_type, **k), (2, 3, 9), np.float32,
               dict(kernel_size=3, stride=2), positive=True)


# ---- adaptive and global pooling ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,size", [((2, 3, 7, 6), (3, 4)), ((1, 2, 5, 5), 2),
                                        ((2, 9, 7), (None, 3)), ((2, 2, 4, 4), 1),
                                        ((1, 1, 3, 5), (5, 7))])
def test_adaptive_pool2d_matches_torch(shape, size, dtype):
    check_pool(F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d, shape, dtype, dict(output_size=size))
    check_pool(F.adaptive_max_pool2d, TF.adaptive_max_pool2d, shape, dtype, dict(output_size=size))
    x = randn(*shape, dtype=dtype)
    assert_close(F.adaptive_max_pool2d(glia.tensor(x), size, return_indices=True)[1],
                 TF.adaptive_max_pool2d(torch.tensor(x), size, return_indices=True)[1])


@pytest.mark.parametrize("shape,size", [((2, 3, 10), 4), ((3, 7), 7), ((1, 2, 5), 1)])
def test_adaptive_pool1d_matches_torch(shape, size):
    check_pool(F.adaptive_avg_pool1d, TF.adaptive_avg_pool1d, shape, np.float64,
               dict(output_size=size))
    check_pool(F.adaptive_max_pool1d, TF.adaptive_max_pool1d, shape, np.float64,
               dict(output_size=size))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (3, 4, 4)])
def test_global_pools_match_torch(shape, keepdim):
    check_op(lambda a: F.global_avg_pool2d(a, keepdim),
             lambda a: a.mean((-2, -1), keepdim=keepdim), randn(*shape))
    check_op(lambda a: F.global_max_pool2d(a, keepdim),
             lambda a: a.amax((-2, -1), keepdim=keepdim), randn(*shape))


# ---- max unpooling ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kwargs,output_size", [
    ((2, 3, 6, 6), dict(kernel_size=2), None),
    ((1, 2, 7, 5), dict(kernel_size=2, stride=2), (7, 5)),
    ((2, 2, 7, 7), dict(kernel_size=3, stride=2, padding=1), None),
    ((3, 5, 6), dict(kernel_size=2), [5, 6]),  # unbatched, floored size restored
    ((1, 2, 6, 6), dict(kernel_size=3, stride=1), None),  # overlapping windows
])
def test_max_unpool2d_matches_torch(shape, kwargs, output_size, dtype):
    x = randn(*shape, dtype=dtype)
    tv, ti = TF.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    gi = glia.tensor(ti.numpy())
    check_op(lambda v: F.max_unpool2d(v, gi, output_size=output_size, **kwargs),
             lambda v: TF.max_unpool2d(v, ti, output_size=output_size, **kwargs),
             tv.numpy(), noncontig=False, **TOL[dtype])


def test_max_unpool1d_matches_torch():
    x = randn(2, 3, 9)
    tv, ti = TF.max_pool1d(torch.tensor(x), 3, 2, return_indices=True)
    gi = glia.tensor(ti.numpy())
    check_op(lambda v: F.max_unpool1d(v, gi, 3, 2, output_size=(9,)),
             lambda v: TF.max_unpool1d(v, ti, 3, 2, output_size=(9,)), tv.numpy(),
             noncontig=False)


def test_max_pool_then_unpool_roundtrip_layers():
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    x = glia.tensor(randn(1, 2, 4, 4))
    v, i = pool(x)
    y = unpool(v, i, output_size=x.shape)
    ty = torch.nn.MaxUnpool2d(2)(*torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(
        x.numpy())))
    assert_close(y, ty)


# ---- gradchecks ----

@pytest.mark.parametrize("fn,shape", [
    (lambda x: F.max_pool1d(x, 3, 2, 1), (1, 2, 7)),
    (lambda x: F.max_pool2d(x, (2, 3), 2, (1, 1), dilation=(2, 1), ceil_mode=True), (1, 2, 6, 5)),
    (lambda x: F.max_pool3d(x, 2, 1), (1, 1, 3, 3, 3)),
    (lambda x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False), (1, 2, 7)),
    (lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True), (1, 2, 6, 5)),
    (lambda x: F.avg_pool3d(x, 2, divisor_override=3), (1, 1, 4, 2, 4)),
    (lambda x: F.min_pool2d(x, 2, 1), (1, 2, 4, 4)),
    (lambda x: F.lp_pool1d(x.abs() + 0.5, 3.0, 2), (1, 2, 6)),
    (lambda x: F.lp_pool2d(x.abs() + 0.5, 2.0, (2, 3), 1), (1, 2, 4, 5)),
    (lambda x: F.adaptive_avg_pool1d(x, 3), (1, 2, 7)),
    (lambda x: F.adaptive_avg_pool2d(x, (2, 3)), (1, 2, 5, 7)),
    (lambda x: F.adaptive_max_pool1d(x, 3), (1, 2, 7)),
    (lambda x: F.adaptive_max_pool2d(x, (3, 2)), (1, 2, 5, 5)),
    (lambda x: F.global_avg_pool2d(x), (2, 3, 3, 3)),
    (lambda x: F.global_max_pool2d(x, keepdim=True), (2, 3, 3, 3)),
])
def test_pool_gradcheck(fn, shape):
    gradcheck(fn, randn(*shape))


@pytest.mark.parametrize("fn,pool", [(F.max_unpool1d, TF.max_pool1d),
                                     (F.max_unpool2d, TF.max_pool2d)])
def test_max_unpool_gradcheck(fn, pool):
    shape = (1, 2, 6) if fn is F.max_unpool1d else (1, 2, 4, 6)
    _, ti = pool(torch.tensor(randn(*shape)), 2, return_indices=True)
    idx = glia.tensor(ti.numpy())
    gradcheck(lambda v: fn(v, idx, 2), randn(*ti.shape))


# ---- layers ----

@pytest.mark.parametrize("make,shape", [
    (lambda m: m.MaxPool1d(3, 2, 1), (2, 3, 9)),
    (lambda m: m.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True), (1, 2, 7, 6)),
    (lambda m: m.MaxPool2d((2, 3)), (2, 5, 6)),
    (lambda m: m.MaxPool3d(2), (1, 2, 4, 4, 4)),
    (lambda m: m.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 9)),
    (lambda m: m.AvgPool2d(3, stride=2, padding=1, divisor_override=5), (1, 2, 7, 6)),
    (lambda m: m.AvgPool3d(2, ceil_mode=True), (1, 2, 5, 4, 4)),
    (lambda m: m.LPPool1d(2, 3, 2), (2, 3, 9)),
    (lambda m: m.LPPool2d(3, 2), (1, 2, 6, 6)),
    (lambda m: m.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (lambda m: m.AdaptiveAvgPool2d((3, None)), (1, 2, 7, 6)),
    (lambda m: m.AdaptiveMaxPool1d(2), (2, 3, 9)),
    (lambda m: m.AdaptiveMaxPool2d(3), (1, 2, 7, 6)),
])
def test_pool_layers_match_torch(make, shape):
    g, t = make(nn), make(torch.nn)
    assert repr(g) == repr(t)
    x = np.abs(randn(*shape)) + 0.1  # positive, so LPPool's fractional powers are defined
    compare_module(g, t, x)


def test_pool_layers_without_torch_twin():
    x = randn(2, 3, 5, 4)
    compare_module(nn.MinPool2d(2, 1), lambda a: -torch.nn.MaxPool2d(2, 1)(-a), x)
    compare_module(nn.GlobalAvgPool2d(), lambda a: a.mean((-2, -1)), x)
    compare_module(nn.GlobalMaxPool2d(keepdim=True), lambda a: a.amax((-2, -1), keepdim=True), x)
    assert repr(nn.MinPool2d(2)) == ("MinPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                                     "ceil_mode=False)")
    assert repr(nn.GlobalAvgPool2d()) == "GlobalAvgPool2d()"
    assert repr(nn.GlobalMaxPool2d(keepdim=True)) == "GlobalMaxPool2d(keepdim=True)"
    assert repr(nn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
    assert repr(nn.MaxUnpool1d(2, 1)) == repr(torch.nn.MaxUnpool1d(2, 1))
    v, i = nn.AdaptiveMaxPool2d(2, return_indices=True)(glia.tensor(x))
    tv, ti = torch.nn.AdaptiveMaxPool2d(2, return_indices=True)(torch.tensor(x))
    assert_close(v, tv)
    assert_close(i, ti)


# ---- errors ----

def test_pool_errors():
    x = glia.randn(2, 3, 5, 5)
    check_raises(lambda: F.max_pool2d(x, 7), ValueError, "max_pool2d",
                 "larger than the padded input")
    check_raises(lambda: F.max_pool2d(x, 3, padding=1, dilation=4), ValueError, "max_pool2d",
                 "larger than the padded input")
    check_raises(lambda: F.avg_pool2d(x, (2, 6)), ValueError, "avg_pool2d", "larger than")
    check_raises(lambda: nn.MaxPool1d(6)(glia.randn(2, 3, 5)), ValueError, "max_pool1d")
    check_raises(lambda: F.max_pool2d(glia.randn(5, 5), 2), ValueError, "max_pool2d",
                 "3-D or 4-D", "(5, 5)")
    check_raises(lambda: F.avg_pool1d(x, 2), ValueError, "avg_pool1d", "2-D or 3-D")
    check_raises(lambda: F.max_pool2d(x, 2, padding=2), ValueError, "max_pool2d",
                 "at most half")
    # the core applies the same rule, dilation or not (the effective kernel does not count)
    check_raises(lambda: glia._C.max_pool(x, [3, 3], [1, 1], [2, 2], [3, 3], False), ValueError,
                 "max_pool2d", "at most half")
    check_raises(lambda: F.max_pool2d(x, 2, stride=0), ValueError, "max_pool2d", "stride")
    check_raises(lambda: F.avg_pool2d(x, 2, divisor_override=0), ValueError, "avg_pool2d",
                 "divisor_override")
    check_raises(lambda: F.adaptive_avg_pool2d(x, (0, 2)), ValueError, "adaptive_avg_pool2d")
    check_raises(lambda: F.adaptive_max_pool2d(x, (1, 2, 3)), ValueError, "adaptive_max_pool2d",
                 "output_size")
    check_raises(lambda: F.global_avg_pool2d(glia.randn(3, 4)), ValueError, "global_avg_pool2d")
    v, i = F.max_pool2d(x, 2, return_indices=True)
    check_raises(lambda: F.max_unpool2d(v, i, 2, output_size=(8, 4)), ValueError,
                 "max_unpool2d", "output_size")
    check_raises(lambda: F.max_unpool2d(v, i[:1], 2), ValueError, "max_unpool2d", "indices")
    check_raises(lambda: F.max_unpool2d(v, i + 100, 2), IndexError, "max_unpool2d")


@pytest.mark.parametrize("fn,tfn,shape,kwargs", [
    (F.max_pool1d, TF.max_pool1d, (2, 3, 1), dict(kernel_size=2, stride=3)),
    (F.avg_pool1d, TF.avg_pool1d, (2, 3, 1), dict(kernel_size=2, stride=3)),
    (F.max_pool2d, TF.max_pool2d, (1, 2, 4, 4), dict(kernel_size=(3, 2), stride=3, dilation=2)),
    (F.avg_pool2d, TF.avg_pool2d, (1, 2, 2, 6), dict(kernel_size=(3, 2), stride=2)),
    (F.avg_pool2d, TF.avg_pool2d, (1, 2, 2, 5), dict(kernel_size=(5, 3), stride=3, padding=1,
                                                      count_include_pad=False)),
    (F.max_pool3d, TF.max_pool3d, (1, 1, 3, 5, 7), dict(kernel_size=(3, 2, 3), stride=3,
                                                        dilation=(2, 2, 1))),
])
def test_ceil_mode_takes_a_kernel_larger_than_the_input(fn, tfn, shape, kwargs):
    # as torch: the output keeps the window that starts at the first element
    check_pool(fn, tfn, shape, np.float64, dict(kwargs, ceil_mode=True))
    check_raises(lambda: fn(glia.randn(*shape), **kwargs), ValueError, "larger than")


def test_max_pool_window_of_padding_only():
    # length 1, padding 1, dilation 2: the window reads positions -1 and 1, both padding. Its
    # value is -inf (as torch), its index -1, and no input gets its gradient (torch's backward
    # writes it out of bounds)
    x = glia.tensor(np.array([[[2.0]], [[-3.0]]]), requires_grad=True)
    v, i = F.max_pool1d(x, 2, stride=1, padding=1, dilation=2, return_indices=True)
    np.testing.assert_array_equal(v.detach().numpy(), np.full((2, 1, 1), -np.inf))
    np.testing.assert_array_equal(i.numpy(), np.full((2, 1, 1), -1))
    v.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 1, 1)))
    # beside ordinary windows: depth 1 with dilation 2 leaves every window empty, the others
    # along H keep theirs
    x = randn(1, 2, 1, 3, 4)
    g = glia.tensor(x, requires_grad=True)
    v = F.max_pool3d(g, 2, stride=(1, 1, 2), padding=1, dilation=(2, 1, 1))
    t = TF.max_pool3d(torch.tensor(x), 2, stride=(1, 1, 2), padding=1, dilation=(2, 1, 1))
    assert_close(v, t)
    v.sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), np.zeros(x.shape))
    check_raises(lambda: F.max_unpool1d(*F.max_pool1d(glia.randn(1, 1, 1), 2, 1, 1, 2,
                                                      return_indices=True), 2),
                 IndexError, "max_unpool1d", "indices")


def test_empty_batch():
    x = glia.randn(0, 2, 5, 5)
    assert F.max_pool2d(x, 2).shape == (0, 2, 2, 2)
    assert F.avg_pool2d(x, 3, 1, 1).shape == (0, 2, 5, 5)
    v, i = F.max_pool2d(x, 2, return_indices=True)
    assert F.max_unpool2d(v, i, 2).shape == (0, 2, 4, 4)
    assert F.global_avg_pool2d(x).shape == (0, 2)
