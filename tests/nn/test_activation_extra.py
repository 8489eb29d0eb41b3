"""The activations added after the first set (ReLU6, Hardsigmoid, Hardswish, Mish, PReLU, GLU,
CELU, LogSigmoid, Softsign, Softshrink, Hardshrink, Tanhshrink, Threshold, Softmin,
Softmax2d, RReLU) and gumbel_softmax against torch: values and gradients on several shapes
and dtypes, gradients at the kinks, extreme inputs, float64 gradient checks, in-place
forms, reprs, the statistics of the random ones, and error messages."""
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F
from glia import nn
from helpers import (assert_close, check_op, check_raises, compare_module, gradcheck,
                     load_from_torch, randn, to_glia, to_torch)

# name -> (glia functional, torch functional, glia Module, torch Module)
CASES = {
    "relu6": (F.relu6, TF.relu6, nn.ReLU6(), torch.nn.ReLU6()),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid, nn.Hardsigmoid(), torch.nn.Hardsigmoid()),
    "hardswish": (F.hardswish, TF.hardswish, nn.Hardswish(), torch.nn.Hardswish()),
    "mish": (F.mish, TF.mish, nn.Mish(), torch.nn.Mish()),
    "celu": (F.celu, TF.celu, nn.CELU(), torch.nn.CELU()),
    "celu_alpha": (lambda x: F.celu(x, 0.7), lambda x: TF.celu(x, 0.7), nn.CELU(0.7),
                   torch.nn.CELU(0.7)),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid, nn.LogSigmoid(), torch.nn.LogSigmoid()),
    "softsign": (F.softsign, TF.softsign, nn.Softsign(), torch.nn.Softsign()),
    "softshrink": (F.softshrink, TF.softshrink, nn.Softshrink(), torch.nn.Softshrink()),
    "softshrink_1.2": (lambda x: F.softshrink(x, 1.2), lambda x: TF.softshrink(x, 1.2),
                       nn.Softshrink(1.2), torch.nn.Softshrink(1.2)),
    "hardshrink": (F.hardshrink, TF.hardshrink, nn.Hardshrink(), torch.nn.Hardshrink()),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink, nn.Tanhshrink(), torch.nn.Tanhshrink()),
    "threshold": (lambda x: F.threshold(x, 0.3, -2.0), lambda x: TF.threshold(x, 0.3, -2.0),
                  nn.Threshold(0.3, -2.0), torch.nn.Threshold(0.3, -2.0)),
    "rrelu_eval": (F.rrelu, TF.rrelu, nn.RReLU(0.1, 0.3).eval(), torch.nn.RReLU(0.1, 0.3).eval()),
    "prelu": (lambda x: F.prelu(x, glia.tensor([0.3], dtype=x.dtype)),
              lambda x: TF.prelu(x, torch.tensor([0.3], dtype=x.dtype)), nn.PReLU(init=0.3),
              torch.nn.PReLU(init=0.3)),
}
NAMES = list(CASES)
SHAPES = [(7,), (3, 5), (1, 6), (2, 3, 4), (), (0, 3)]
# away from every kink: 0, +-0.5, +-1.2, 0.3, +-3, 6
SMOOTH = np.array([-3.7, -2.2, -1.45, -0.8, -0.3, 0.2, 0.7, 1.35, 2.6, 4.2, 6.5, -6.1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_functional_matches_torch(name, shape, dtype):
    gf, tf, _, _ = CASES[name]
    check_op(gf, tf, np.array(randn(*shape) * 4, dtype=dtype))


@pytest.mark.parametrize("name", NAMES)
def test_module_matches_torch_with_repr(name):
    _, _, gm, tm = CASES[name]
    for dtype in (np.float32, np.float64):
        g, t = (gm.double(), tm.double()) if dtype == np.float64 else (gm.float(), tm.float())
        load_from_torch(g, t)
        for shape in [(4, 9), (1, 1), (2, 0, 3)]:
            compare_module(g, t, (randn(*shape) * 4).astype(dtype))
    assert repr(gm) == repr(tm)


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck(name):
    gradcheck(CASES[name][0], SMOOTH.reshape(3, 4))


@pytest.mark.parametrize("name", NAMES)
def test_gradient_at_kinks_matches_torch(name):
    gf, tf, _, _ = CASES[name]
    check_op(gf, tf, np.array([0.0, -3.0, 3.0, 6.0, 0.5, -0.5, 1.2, -1.2, 0.3, -0.0]),
             noncontig=False)


@pytest.mark.parametrize("name", NAMES)
def test_extreme_inputs_are_finite_and_match_torch(name):
    gf, tf, _, _ = CASES[name]
    x = np.array([-1e4, -800.0, -100.0, -30.0, 0.0, 30.0, 100.0, 800.0, 1e4])
    for dtype in (np.float64, np.float32):
        gx, tx = to_glia(x.astype(dtype), True), to_torch(x.astype(dtype), True)
        go, to = gf(gx), tf(tx)
        go.sum().backward()
        to.sum().backward()
        assert np.all(np.isfinite(go.detach().numpy())) and np.all(np.isfinite(gx.grad.numpy()))
        assert_close(go, to, rtol=1e-6, atol=1e-6)
        assert_close(gx.grad, tx.grad, rtol=1e-6, atol=1e-6)


def test_formulas():
    x = np.linspace(-7, 7, 29)
    g = to_glia(x)
    np.testing.assert_allclose(F.hardswish(g).numpy(), x * np.clip(x + 3, 0, 6) / 6, rtol=1e-12)
    np.testing.assert_allclose(F.mish(g).numpy(), x * np.tanh(np.log1p(np.exp(x))), rtol=1e-12)
    np.testing.assert_allclose(F.celu(g, 2.0).numpy(), np.where(x > 0, x, 2 * np.expm1(x / 2)),
                               rtol=1e-12)
    np.testing.assert_allclose(F.logsigmoid(g).numpy(), -np.log1p(np.exp(-x)), rtol=1e-12)
    # logsigmoid stays exact where log(sigmoid(x)) would round to log(0) or log(1)
    big = F.logsigmoid(to_glia(np.array([-800.0, 40.0]))).numpy()
    np.testing.assert_allclose(big, [-800.0, -math.exp(-40.0)], rtol=1e-12)


# ---- PReLU ----

@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 4, 2), (0, 3, 2), (1, 3, 1)],
                         ids=str)
@pytest.mark.parametrize("num", [1, 3])
def test_prelu_module_per_channel_matches_torch(shape, num):
    for dtype in (np.float32, np.float64):
        t = torch.nn.PReLU(num)
        with torch.no_grad():
            t.weight.copy_(torch.linspace(-0.5, 0.8, num))
        g = nn.PReLU(num)
        t, g = (t.double(), g.double()) if dtype == np.float64 else (t, g)
        load_from_torch(g, t)
        assert [n for n, _ in g.named_parameters()] == ["weight"]
        compare_module(g, t, randn(*shape).astype(dtype))
    assert repr(g) == repr(t)


def test_prelu_functional_gradcheck_and_scalar_weight():
    gradcheck(F.prelu, SMOOTH.reshape(2, 3, 2), np.array([0.2, -0.4, 1.5]))
    gradcheck(F.prelu, SMOOTH.reshape(3, 4), np.array([0.25]))
    # a 0-D weight and 0-D / 1-D inputs, as torch
    check_op(lambda x, w: F.prelu(x, w), lambda x, w: TF.prelu(x, w), np.array(-2.0),
             np.array(0.3))
    check_op(lambda x, w: F.prelu(x, w), lambda x, w: TF.prelu(x, w), randn(5), np.array([0.3]))


def test_prelu_errors():
    x = glia.randn(2, 3)
    check_raises(lambda: F.prelu(x, glia.ones(4)), ValueError, "prelu", "4", "3")
    check_raises(lambda: F.prelu(glia.randn(3), glia.ones(3)), ValueError, "prelu", "(3,)")
    check_raises(lambda: F.prelu(x, glia.ones(3, 1)), ValueError, "prelu", "(3, 1)")
    check_raises(lambda: F.prelu(x, glia.ones(3, dtype=glia.float64)), TypeError, "prelu",
                 "float64")
    check_raises(lambda: F.prelu(glia.tensor([1, 2]), glia.ones(1)), TypeError, "prelu",
                 "int64")
    check_raises(lambda: nn.PReLU(0), ValueError, "PReLU", "0")


# ---- GLU, Softmin, Softmax2d ----

@pytest.mark.parametrize("shape,dim", [((4, 6), -1), ((4, 6), 1), ((6, 3), 0), ((2, 4, 3), 1),
                                       ((0, 4), 1), ((2,), 0), ((3, 2, 2), -2)], ids=str)
def test_glu_matches_torch(shape, dim):
    for dtype in (np.float64, np.float32):
        check_op(lambda x: F.glu(x, dim), lambda x: TF.glu(x, dim), randn(*shape).astype(dtype))
    compare_module(nn.GLU(dim), torch.nn.GLU(dim), randn(*shape))
    assert repr(nn.GLU(dim)) == repr(torch.nn.GLU(dim))
    gradcheck(lambda x: F.glu(x, dim), randn(*shape))


def test_glu_errors():
    check_raises(lambda: F.glu(glia.randn(3, 5), 1), ValueError, "glu", "even", "5")
    check_raises(lambda: F.glu(glia.tensor(1.0)), ValueError, "glu", "scalar")
    check_raises(lambda: F.glu(glia.randn(2, 4), 2), IndexError, "glu", "dim 2")
    check_raises(lambda: F.glu(glia.tensor([1, 2])), TypeError, "glu", "int64")


@pytest.mark.parametrize("shape,dim", [((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1), ((1, 4), 1),
                                       ((0, 4), 1), ((5,), 0)], ids=str)
def test_softmin_matches_torch(shape, dim):
    for dtype in (np.float64, np.float32):
        check_op(lambda x: F.softmin(x, dim), lambda x: TF.softmin(x, dim),
                 (randn(*shape) * 3).astype(dtype))
    compare_module(nn.Softmin(dim), torch.nn.Softmin(dim), randn(*shape))
    assert repr(nn.Softmin(dim)) == repr(torch.nn.Softmin(dim))
    gradcheck(lambda x: F.softmin(x, dim), randn(*shape))


def test_softmin_implicit_dim_and_dtype():
    x = randn(2, 3, 4)
    with pytest.warns(UserWarning, match="implicit dimension"):
        g = F.softmin(to_glia(x))
    with pytest.warns(UserWarning, match="implicit dimension"):
        gm = nn.Softmin()(to_glia(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = TF.softmin(to_torch(x))
    assert_close(g, t)
    assert_close(gm, t)
    out = F.softmin(to_glia(x.astype(np.float32)), 1, dtype=glia.float64)
    assert_close(out, TF.softmin(to_torch(x.astype(np.float32)), 1, dtype=torch.float64))
    check_raises(lambda: F.softmin(glia.tensor([1, 2]), 0), TypeError, "softmin", "int64")


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 5), (1, 1, 1, 1), (0, 3, 2, 2)],
                         ids=str)
def test_softmax2d_matches_torch(shape):
    for dtype in (np.float32, np.float64):
        compare_module(nn.Softmax2d(), torch.nn.Softmax2d(), randn(*shape).astype(dtype))
    assert repr(nn.Softmax2d()) == repr(torch.nn.Softmax2d())
    check_raises(lambda: nn.Softmax2d()(glia.randn(3, 4)), ValueError, "Softmax2d", "(3, 4)")


# ---- in-place forms, dtypes and argument errors ----

INPLACE = {
    "relu6": (F.relu6, TF.relu6), "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid),
    "hardswish": (F.hardswish, TF.hardswish), "mish": (F.mish, TF.mish),
    "celu": (F.celu, TF.celu), "rrelu": (F.rrelu, TF.rrelu),
    "threshold": (lambda x, inplace: F.threshold(x, 0.5, -1.0, inplace),
                  lambda x, inplace: TF.threshold(x, 0.5, -1.0, inplace)),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_forms(name):
    gf, tf = INPLACE[name]
    x = np.array([-4.0, -1.0, 0.25, 2.0, 7.0])
    # without gradients the input itself is overwritten, as torch
    g, t = to_glia(x), to_torch(x)
    assert gf(g, inplace=True) is g
    tf(t, inplace=True)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)
    # a leaf that requires grad is refused
    leaf = to_glia(x, requires_grad=True)
    check_raises(lambda: gf(leaf, inplace=True), RuntimeError, name, "inplace", "leaf")
    # a non-leaf gets the right values and gradients (as a new tensor)
    tl = to_torch(x, requires_grad=True)
    go, to = gf(leaf * 1.0, inplace=True), tf(tl * 1.0, inplace=True)
    go.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), rtol=1e-12)
    # torch's hardsigmoid backward multiplies by a float32 1/6, even in float64
    np.testing.assert_allclose(leaf.grad.numpy(), tl.grad.numpy(), rtol=1e-7)


def test_inplace_module_reprs_match_torch():
    for g, t in [(nn.ReLU6(True), torch.nn.ReLU6(True)),
                 (nn.Hardsigmoid(True), torch.nn.Hardsigmoid(True)),
                 (nn.Hardswish(True), torch.nn.Hardswish(True)),
                 (nn.Mish(True), torch.nn.Mish(True)),
                 (nn.CELU(2.0, True), torch.nn.CELU(2.0, True)),
                 (nn.Threshold(0.1, 20, True), torch.nn.Threshold(0.1, 20, True)),
                 (nn.RReLU(0.1, 0.3, True), torch.nn.RReLU(0.1, 0.3, True)),
                 (nn.Hardshrink(1), torch.nn.Hardshrink(1)),
                 (nn.Softshrink(0.25), torch.nn.Softshrink(0.25))]:
        assert repr(g) == repr(t)
    assert isinstance(nn.ReLU6(), nn.Hardtanh) and nn.ReLU6().max_val == 6.0


def test_integer_inputs():
    i = np.array([[-4, 1], [2, 7]])
    # torch accepts these on integer tensors; the others raise a TypeError naming the op
    assert_close(F.relu6(to_glia(i)), TF.relu6(to_torch(i)))
    assert_close(F.threshold(to_glia(i), 1, 0), TF.threshold(to_torch(i), 1, 0))
    assert_close(F.softsign(to_glia(i)), TF.softsign(to_torch(i)))
    for name in ["hardsigmoid", "hardswish", "mish", "celu", "logsigmoid", "softshrink",
                 "hardshrink", "rrelu"]:
        check_raises(lambda n=name: getattr(F, n)(to_glia(i)), TypeError, name, "int64")


def test_argument_errors():
    x = glia.randn(3)
    check_raises(lambda: F.celu(x, 0.0), ValueError, "celu", "alpha")
    check_raises(lambda: nn.CELU(0), ValueError, "CELU", "alpha")
    check_raises(lambda: F.softshrink(x, -1.0), ValueError, "softshrink", "-1.0")
    check_raises(lambda: nn.Softshrink(-0.5), ValueError, "Softshrink", "-0.5")
    check_raises(lambda: F.rrelu(x, 0.5, 0.1), ValueError, "rrelu", "0.5", "0.1")
    check_raises(lambda: F.rrelu(x, 0.5, 0.1, True), ValueError, "rrelu", "0.5")
    check_raises(lambda: nn.RReLU(0.4, 0.2), ValueError, "RReLU", "0.4")
    # hardshrink with a negative lambd keeps everything, as torch
    xs = randn(6)
    assert_close(F.hardshrink(to_glia(xs), -1.0), TF.hardshrink(to_torch(xs), -1.0))


# ---- RReLU in training ----

def test_rrelu_training_slopes_are_uniform_and_seeded():
    torch.manual_seed(0)  # torch's draws too, so the comparison is fixed
    lower, upper = 0.1, 0.4
    x = -glia.ones(200, 500, dtype=glia.float64)
    glia.manual_seed(7)
    out = F.rrelu(x, lower, upper, training=True)
    slopes = -out.numpy()
    assert slopes.min() >= lower and slopes.max() <= upper
    # U(0.1, 0.4): mean 0.25, variance 0.09 / 12; 1e5 draws
    assert abs(slopes.mean() - 0.25) < 0.002
    assert abs(slopes.var() - 0.09 / 12) < 0.0003
    glia.manual_seed(7)
    np.testing.assert_array_equal(F.rrelu(x, lower, upper, training=True).numpy(), out.numpy())
    # positives pass through unchanged; torch draws from the same range
    t = TF.rrelu(-torch.ones(200, 500, dtype=torch.float64), lower, upper, training=True)
    assert abs(-t.mean().item() - slopes.mean()) < 0.003
    pos = to_glia(np.abs(randn(50)) + 0.1)
    np.testing.assert_array_equal(F.rrelu(pos, training=True).numpy(), pos.numpy())


def test_rrelu_training_gradient_is_the_drawn_slope():
    xv = np.array([-2.0, -0.5, 0.0, 0.5, 3.0, -1.0])
    x = to_glia(xv, requires_grad=True)
    m = nn.RReLU(0.2, 0.3)  # a new module is in training mode
    glia.manual_seed(3)
    out = m(x)
    out.sum().backward()
    grad = x.grad.numpy()
    neg = xv < 0
    np.testing.assert_allclose(grad[neg], out.detach().numpy()[neg] / xv[neg], rtol=1e-12)
    assert np.all((grad[xv <= 0] >= 0.2) & (grad[xv <= 0] <= 0.3))  # x = 0 too, as torch
    np.testing.assert_array_equal(grad[xv > 0], 1.0)
    # a fixed seed makes the random function reproducible, so finite differences apply
    gradcheck(lambda t: (glia.manual_seed(5), F.rrelu(t, 0.1, 0.3, True))[1], SMOOTH)
    # eval mode: the mean slope, as torch
    m.eval()
    assert_close(m(to_glia(xv)), torch.nn.RReLU(0.2, 0.3).eval()(to_torch(xv)))


# ---- gumbel_softmax ----

def test_gumbel_softmax_hard_samples_follow_the_softmax():
    torch.manual_seed(0)  # torch's draws too, so the comparison is fixed
    probs = np.array([0.1, 0.2, 0.7])
    logits = to_glia(np.tile(np.log(probs), (20000, 1)))
    y = F.gumbel_softmax(logits, tau=0.5, hard=True).numpy()
    assert set(np.unique(y)) == {0.0, 1.0}
    np.testing.assert_array_equal(y.sum(1), 1.0)
    # the Gumbel-max trick: argmax(logits + g) ~ Categorical(softmax(logits)), at any tau;
    # each frequency has std <= 0.0033 over 20000 draws
    np.testing.assert_allclose(y.mean(0), probs, atol=0.015)
    # torch's draws follow the same law
    t = TF.gumbel_softmax(to_torch(np.tile(np.log(probs), (20000, 1))), hard=True).numpy()
    np.testing.assert_allclose(y.mean(0), t.mean(0), atol=0.02)


def test_gumbel_softmax_soft_samples_temperature_and_dim():
    logits = to_glia(randn(4000, 5))
    glia.manual_seed(11)
    soft = F.gumbel_softmax(logits, tau=1.0).numpy()
    np.testing.assert_allclose(soft.sum(1), 1.0, rtol=1e-12)
    assert soft.min() >= 0.0 and soft.max() <= 1.0
    glia.manual_seed(11)
    np.testing.assert_array_equal(F.gumbel_softmax(logits, tau=1.0).numpy(), soft)
    # a colder temperature gives samples closer to one-hot, a hotter one closer to uniform
    cold = F.gumbel_softmax(logits, tau=0.1).numpy().max(1).mean()
    hot = F.gumbel_softmax(logits, tau=10.0).numpy().max(1).mean()
    assert cold > 0.9 > soft.max(1).mean() > hot
    # with the same seed the sample is softmax((logits + g) / tau) for one g: tau rescales it
    glia.manual_seed(2)
    a = F.gumbel_softmax(logits, tau=1.0).numpy()
    glia.manual_seed(2)
    b = F.gumbel_softmax(logits * 2.0, tau=2.0).numpy()
    assert not np.allclose(a, b)  # the noise is scaled by 1 / tau too
    along0 = F.gumbel_softmax(to_glia(randn(5, 3)), dim=0).numpy()
    np.testing.assert_allclose(along0.sum(0), 1.0, rtol=1e-12)


def test_gumbel_softmax_hard_is_straight_through():
    lv = randn(6, 4)
    cot = randn(6, 4)
    grads = []
    outs = []
    for hard in (False, True):
        logits = to_glia(lv, requires_grad=True)
        glia.manual_seed(21)  # the same Gumbel noise for both
        out = F.gumbel_softmax(logits, tau=0.7, hard=hard)
        (out * to_glia(cot)).sum().backward()
        outs.append(out.detach().numpy())
        grads.append(logits.grad.numpy())
    soft, hard = outs
    # the value is the one-hot of the soft sample's argmax ...
    np.testing.assert_array_equal(hard, np.eye(4)[soft.argmax(1)])
    # ... and the gradient is the soft sample's
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10, atol=1e-12)
    # the soft gradient is the softmax Jacobian scaled by 1 / tau
    expected = soft * (cot - (soft * cot).sum(1, keepdims=True)) / 0.7
    np.testing.assert_allclose(grads[0], expected, rtol=1e-10, atol=1e-12)


def test_gumbel_softmax_errors_and_eps_warning():
    check_raises(lambda: F.gumbel_softmax(glia.randn(2, 3), tau=0.0), ValueError,
                 "gumbel_softmax", "tau", "0.0")
    check_raises(lambda: F.gumbel_softmax(glia.tensor([1, 2])), TypeError, "gumbel_softmax",
                 "int64")
    with pytest.warns(UserWarning, match="eps"):
        out = F.gumbel_softmax(glia.randn(2, 3), eps=1e-5)
    np.testing.assert_allclose(out.numpy().sum(1), 1.0, rtol=1e-6)
