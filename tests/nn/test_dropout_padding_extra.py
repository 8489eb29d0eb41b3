"""Dropout1d/Dropout3d (channel dropout) and the 1-D/3-D and circular padding layers:
whole-channel drops, scale and rate, agreement with torch where both keep, gradients,
seeding, eval identity; padding layers against torch (values, gradients, reprs) and their
errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F
from glia import nn
from helpers import check_raises, compare_module, gradcheck, randn, to_glia, to_torch

# ---- Dropout1d / Dropout3d ----

CHANNEL_CASES = [  # (glia fn, torch fn, glia module, torch module, spatial dims)
    (F.dropout1d, TF.dropout1d, nn.Dropout1d, torch.nn.Dropout1d, 1),
    (F.dropout3d, TF.dropout3d, nn.Dropout3d, torch.nn.Dropout3d, 3),
]
IDS = ["dropout1d", "dropout3d"]


@pytest.mark.parametrize("gf,tf,gm,tm,k", CHANNEL_CASES, ids=IDS)
@pytest.mark.parametrize("batched", [True, False])
def test_channel_dropout_drops_whole_channels(gf, tf, gm, tm, k, batched):
    torch.manual_seed(0)
    p = 0.4
    shape = ((60, 50) if batched else (3000,)) + (3, 2, 2)[:k]
    x = randn(*shape) + 10.0  # no zeros, so a dropped element is one equal to 0
    out = gm(p)(to_glia(x)).numpy()
    per_channel = out.reshape(shape[:-k] + (-1,))
    dropped = (per_channel == 0).all(-1)
    kept = (per_channel != 0).all(-1)
    assert np.all(dropped | kept)  # never a partly dropped channel
    np.testing.assert_allclose(out, x * kept.reshape(kept.shape + (1,) * k) / (1 - p),
                               rtol=1e-12)
    assert abs(dropped.mean() - p) < 0.04  # 3000 channels: std 0.009
    t = tf(to_torch(x), p).numpy()
    both = (out != 0) & (t != 0)
    np.testing.assert_allclose(out[both], t[both], rtol=1e-12)


@pytest.mark.parametrize("gf,tf,gm,tm,k", CHANNEL_CASES, ids=IDS)
def test_channel_dropout_gradient_seed_eval_and_repr(gf, tf, gm, tm, k):
    p = 0.5
    shape = (4, 6) + (3, 2, 2)[:k]
    x = randn(*shape) + 10.0
    gx = to_glia(x, requires_grad=True)
    glia.manual_seed(3)
    out = gf(gx, p)
    cot = randn(*shape)
    (out * to_glia(cot)).sum().backward()
    on = out.detach().numpy() != 0
    np.testing.assert_allclose(gx.grad.numpy(), cot * on / (1 - p), rtol=1e-12)
    glia.manual_seed(3)
    np.testing.assert_array_equal(gf(to_glia(x), p).numpy(), out.detach().numpy())
    # eval, p = 0 and empty inputs are the identity
    assert gm(p).eval()(gx) is gx
    assert gf(gx, 0.0) is gx and gf(gx, p, training=False) is gx
    empty = glia.zeros(*((0,) + shape[1:]))
    assert gf(empty, p) is empty
    np.testing.assert_array_equal(gf(to_glia(x), 1.0).numpy(), 0.0)
    for args in [(), (0.2,), (0.3, True)]:
        assert repr(gm(*args)) == repr(tm(*args))
    # without gradients inplace=True writes the input
    y = to_glia(x)
    assert gf(y, p, True, True) is y and np.any(y.numpy() == 0)


def test_channel_dropout_errors():
    check_raises(lambda: F.dropout1d(glia.randn(2, 3, 4, 5)), ValueError, "dropout1d",
                 "(2, 3, 4, 5)", "(N, C, L)")
    check_raises(lambda: F.dropout1d(glia.randn(5)), ValueError, "dropout1d", "(5,)")
    check_raises(lambda: F.dropout3d(glia.randn(2, 3, 4)), ValueError, "dropout3d", "(2, 3, 4)",
                 "(N, C, D, H, W)")
    check_raises(lambda: F.dropout1d(glia.randn(2, 3), 1.5), ValueError, "dropout1d", "1.5")
    check_raises(lambda: nn.Dropout3d(-0.1), ValueError, "Dropout3d", "-0.1")
    leaf = glia.randn(2, 3, requires_grad=True)
    check_raises(lambda: F.dropout1d(leaf, 0.5, True, True), RuntimeError, "dropout1d", "leaf")
    # dropout2d still says what it expects after the shared helper took it over
    check_raises(lambda: F.dropout2d(glia.randn(3, 4)), ValueError, "dropout2d", "(3, 4)",
                 "(C, H, W)")


# ---- padding layers ----

PADS = [
    (lambda m: m.ZeroPad1d(2), (2, 3, 4)),
    (lambda m: m.ZeroPad1d((1, -1)), (3, 4)),
    (lambda m: m.ConstantPad1d((0, 3), 3.5), (1, 2, 1)),
    (lambda m: m.ZeroPad3d(1), (1, 2, 2, 3, 2)),
    (lambda m: m.ZeroPad3d((1, 0, 2, -1, 0, 1)), (2, 3, 4, 2)),
    (lambda m: m.ConstantPad3d((0, 1, 1, 0, 2, 0), -1.5), (1, 1, 2, 2, 2)),
    (lambda m: m.ReflectionPad1d(2), (2, 3, 4)),
    (lambda m: m.ReflectionPad1d((1, 0)), (3, 2)),
    (lambda m: m.ReplicationPad1d((3, 1)), (1, 2, 3)),
    (lambda m: m.ReplicationPad1d(2), (2, 1)),
    (lambda m: m.CircularPad1d((2, 1)), (2, 2, 3)),
    (lambda m: m.CircularPad1d(1), (3, 1)),
    (lambda m: m.CircularPad2d((1, 2, 0, 1)), (1, 2, 3, 3)),
    (lambda m: m.CircularPad2d(1), (2, 2, 2)),
    (lambda m: m.ReflectionPad3d(1), (1, 1, 2, 3, 2)),
    (lambda m: m.ReplicationPad3d((1, 0, 0, 2, 1, 1)), (2, 2, 3, 2)),
    (lambda m: m.CircularPad3d((1, 0, 0, 1, 1, 1)), (1, 2, 2, 2, 3)),
    (lambda m: m.ZeroPad1d(2), (0, 3, 4)),
    (lambda m: m.ReplicationPad1d(1), (0, 3, 4)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make,shape", PADS, ids=lambda v: str(v) if isinstance(v, tuple) else "")
def test_padding_layers_match_torch(make, shape, dtype):
    g, t = make(nn), make(torch.nn)
    assert repr(g) == repr(t)
    assert g.padding == t.padding
    compare_module(g, t, randn(*shape).astype(dtype))


def test_padding_layers_gradcheck_and_errors():
    gradcheck(nn.CircularPad1d((2, 1)), randn(2, 3))
    gradcheck(nn.ReflectionPad3d((1, 1, 1, 0, 0, 1)), randn(1, 2, 3, 2))
    gradcheck(nn.ConstantPad1d((1, 2), 4.0), randn(2, 2))
    check_raises(lambda: nn.ZeroPad1d((1, 2, 3)), ValueError, "ZeroPad1d", "tuple of 2")
    check_raises(lambda: nn.ConstantPad3d((1, 2), 0.0), ValueError, "ConstantPad3d",
                 "tuple of 6")
    check_raises(lambda: nn.ReflectionPad1d(1)(glia.randn(2, 3, 4, 5)), ValueError,
                 "ReflectionPad1d", "(N, C, W)", "(2, 3, 4, 5)")
    check_raises(lambda: nn.CircularPad3d(1)(glia.randn(2, 3, 4)), ValueError, "CircularPad3d",
                 "(2, 3, 4)")
    check_raises(lambda: nn.ReflectionPad1d(3)(glia.randn(1, 2, 3)), ValueError, "pad",
                 "reflect")
    check_raises(lambda: nn.CircularPad1d(4)(glia.randn(1, 2, 3)), ValueError, "pad",
                 "circular")
    # a constant pad fills exactly the value
    out = nn.ConstantPad1d((1, 2), 7.0)(to_glia(np.ones((1, 2)))).numpy()
    np.testing.assert_array_equal(out, [[7.0, 1.0, 1.0, 7.0, 7.0]])
