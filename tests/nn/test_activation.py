"""Activations (functional and Module forms) against torch: values, input gradients on
several shapes and non-contiguous views, float64 gradient checks, gradients at the kinks,
extreme inputs, the step function and softmax modules."""
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F
from glia import nn
from helpers import assert_close, check_op, check_raises, gradcheck, randn, to_glia, to_torch

# name -> (glia functional, torch functional, glia Module, torch Module)
CASES = {
    "relu": (F.relu, TF.relu, nn.ReLU(), torch.nn.ReLU()),
    "sigmoid": (F.sigmoid, torch.sigmoid, nn.Sigmoid(), torch.nn.Sigmoid()),
    "tanh": (F.tanh, torch.tanh, nn.Tanh(), torch.nn.Tanh()),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2),
                   nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    "leaky_relu_default": (F.leaky_relu, TF.leaky_relu, nn.LeakyReLU(), torch.nn.LeakyReLU()),
    "elu": (F.elu, TF.elu, nn.ELU(), torch.nn.ELU()),
    "elu_alpha": (lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5), nn.ELU(0.5),
                  torch.nn.ELU(0.5)),
    "selu": (F.selu, TF.selu, nn.SELU(), torch.nn.SELU()),
    "gelu": (F.gelu, TF.gelu, nn.GELU(), torch.nn.GELU()),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: TF.gelu(x, approximate="tanh"), nn.GELU("tanh"),
                  torch.nn.GELU("tanh")),
    "silu": (F.silu, TF.silu, nn.SiLU(), torch.nn.SiLU()),
    "softplus": (F.softplus, TF.softplus, nn.Softplus(), torch.nn.Softplus()),
    "softplus_beta": (lambda x: F.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0),
                      nn.Softplus(2.0, 3.0), torch.nn.Softplus(2.0, 3.0)),
    "hardtanh": (F.hardtanh, TF.hardtanh, nn.Hardtanh(), torch.nn.Hardtanh()),
    "hardtanh_range": (lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: TF.hardtanh(x, -0.5, 2.0),
                       nn.Hardtanh(-0.5, 2.0), torch.nn.Hardtanh(-0.5, 2.0)),
}
NAMES = list(CASES)
SHAPES = [(7,), (3, 5), (1, 6), (2, 3, 4), (), (0, 3)]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_functional_matches_torch(name, shape):
    gf, tf, _, _ = CASES[name]
    check_op(gf, tf, np.array(randn(*shape) * 3))


@pytest.mark.parametrize("name", NAMES)
def test_module_float32_matches_torch_float64(name):
    # the float64 reference, because torch's own float32 gelu(tanh) loses ~1e-6 to
    # cancellation in 1 + tanh(u) for x < -3, which glia avoids
    _, _, gm, tm = CASES[name]
    x = randn(4, 9, dtype=np.float32) * 3
    gx, tx = to_glia(x, True), to_torch(x.astype(np.float64), True)
    go, to = gm(gx), tm(tx)
    assert_close(go, to.float(), rtol=1e-5, atol=1e-6)
    cot = randn(4, 9, dtype=np.float32)
    (go * to_glia(cot)).sum().backward()
    (to * to_torch(cot.astype(np.float64))).sum().backward()
    assert_close(gx.grad, tx.grad.float(), rtol=1e-5, atol=1e-6)
    assert repr(gm) == repr(tm)


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck(name):
    gf = CASES[name][0]
    # keep clear of the kinks (0, +-1, -0.5, 2, and softplus_beta's 1.5) where finite
    # differences straddle a jump in the derivative
    x = np.array([-3.1, -1.7, -0.8, -0.3, 0.2, 0.7, 1.3, 2.6, 4.2, -6.0])
    gradcheck(gf, x.reshape(2, 5))


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "elu_alpha", "selu", "softplus",
                                  "softplus_beta", "hardtanh", "hardtanh_range", "gelu",
                                  "silu"])
def test_gradient_at_kinks_matches_torch(name):
    # 0, the hardtanh bounds and softplus_beta's threshold crossing (beta x = threshold)
    x = np.array([0.0, -1.0, 1.0, -0.5, 2.0, 1.5, -0.0])
    gf, tf, _, _ = CASES[name]
    check_op(gf, tf, x, noncontig=False)


@pytest.mark.parametrize("name", NAMES)
def test_extreme_inputs_are_finite_and_match_torch(name):
    gf, tf, _, _ = CASES[name]
    x = np.array([-1e4, -800.0, -100.0, -30.0, 30.0, 100.0, 800.0, 1e4])
    for dtype in (np.float64, np.float32):
        xa = x.astype(dtype)
        gx, tx = to_glia(xa, True), to_torch(xa, True)
        go, to = gf(gx), tf(tx)
        go.sum().backward()
        to.sum().backward()
        assert np.all(np.isfinite(go.detach().numpy())) and np.all(np.isfinite(gx.grad.numpy()))
        assert_close(go, to, rtol=1e-6, atol=1e-6)
        assert_close(gx.grad, tx.grad, rtol=1e-6, atol=1e-6)


def test_softplus_without_threshold_matches_torch():
    # threshold inf (binary_cross_entropy_with_logits): no input is passed through as itself
    x = np.array([-40.0, -3.0, -0.4, 0.7, 5.0, 30.0, 90.0])
    check_op(lambda t: F.softplus(t, 0.5, math.inf), lambda t: TF.softplus(t, 0.5, math.inf), x,
             noncontig=False)
    # where torch's log1p(exp(beta x)) overflows, glia's stable form gives x
    assert F.softplus(glia.tensor([1e4]), 0.5, math.inf).numpy()[0] == 1e4


def test_softplus_is_stable_where_naive_formula_overflows():
    x = to_glia(np.array([-200.0, 50.0, 200.0], dtype=np.float32))
    # log1p(exp(200)) is inf in float32; below the threshold (beta x <= 1000) it must not be
    out = F.softplus(x, 1.0, 1000.0).numpy()
    np.testing.assert_allclose(out, [0.0, 50.0, 200.0], atol=1e-6)
    assert F.softplus(x).numpy()[0] == pytest.approx(math.exp(-200.0), rel=1e-5, abs=1e-40)


def test_elu_and_gelu_formulas():
    x = np.linspace(-3, 3, 13)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(F.gelu(to_glia(x)).numpy(), 0.5 * x * (1 + erf(x / math.sqrt(2))),
                               rtol=1e-12)
    np.testing.assert_allclose(F.elu(to_glia(x), 0.7).numpy(),
                               np.where(x > 0, x, 0.7 * np.expm1(x)), rtol=1e-12)
    np.testing.assert_allclose(F.selu(to_glia(x)).numpy(),
                               1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772
                                                             * np.expm1(x)), rtol=1e-12)


def test_bad_arguments_raise():
    x = glia.randn(3)
    check_raises(lambda: F.gelu(x, approximate="fast"), ValueError, "gelu", "'fast'")
    check_raises(lambda: nn.GELU("erf"), ValueError, "GELU", "'erf'")
    check_raises(lambda: nn.Hardtanh(1.0, -1.0), ValueError, "Hardtanh")
    check_raises(lambda: F.hardtanh(x, 1.0, -1.0), ValueError, "hardtanh")


def test_inplace_writes_the_input_and_refuses_a_leaf_that_requires_grad():
    x = to_glia(np.array([-1.0, 2.0, -3.0]))
    out = nn.ReLU(inplace=True)(x)
    assert out is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0, 0.0])
    assert repr(nn.ReLU(inplace=True)) == repr(torch.nn.ReLU(inplace=True))
    y = to_glia(np.array([-1.0, 2.0]), requires_grad=True)
    TF = torch.nn.functional
    ops = {"relu": (F.relu, TF.relu),
           "leaky_relu": (F.leaky_relu, TF.leaky_relu),
           "elu": (F.elu, TF.elu), "selu": (F.selu, TF.selu),
           "silu": (F.silu, TF.silu),
           "hardtanh": (F.hardtanh, TF.hardtanh)}
    for name, (fn, tfn) in ops.items():
        # a leaf that requires grad is refused, as torch refuses it
        check_raises(lambda f=fn: f(y, inplace=True), RuntimeError, name, "inplace", "leaf")
        # a non-leaf gets the right values and gradients as a new tensor
        t = torch.tensor([-1.0, 2.0], dtype=torch.float64, requires_grad=True)
        g_out, t_out = fn(y * 1.0, inplace=True), tfn(t * 1.0, inplace=True)
        np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-12)
        g_out.sum().backward()
        t_out.sum().backward()
        np.testing.assert_allclose(y.grad.numpy(), t.grad.numpy(), rtol=1e-12)
        y.grad = None
        np.testing.assert_array_equal(y.detach().numpy(), [-1.0, 2.0])
    y3 = to_glia(np.array([[[-1.0, 2.0]]]), requires_grad=True)
    for name, call in {"dropout": lambda: F.dropout(y, 0.5, True, True),
                       "dropout2d": lambda: F.dropout2d(y3, 0.5, True, True),
                       "alpha_dropout": lambda: F.alpha_dropout(y, 0.5, True, True)}.items():
        check_raises(call, RuntimeError, name, "inplace", "leaf")
    # nn.ReLU(inplace=True) inside a model trains
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(inplace=True), nn.Linear(3, 1)).double()
    model(y.reshape(1, 2)).sum().backward()
    assert model[0].weight.grad is not None and np.abs(model[0].weight.grad.numpy()).sum() > 0
    y.grad = None
    # without gradients the input is written, as torch
    with glia.no_grad():
        z = y * 1.0
        assert F.leaky_relu(z, 0.1, inplace=True) is z
        np.testing.assert_allclose(z.numpy(), [-0.1, 2.0])
    # dropout that writes nothing (eval, p = 0) returns the input without complaint
    assert F.dropout(y, 0.5, False, inplace=True) is y
    assert nn.Dropout(0.0, inplace=True)(y) is y
    out = F.leaky_relu(y, 0.1)
    out.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [0.1, 1.0])


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("shape", [(3, 5), (1, 4), (2, 3, 4)], ids=str)
def test_softmax_modules_match_torch(shape, dim):
    for gm, tm in ((nn.Softmax(dim), torch.nn.Softmax(dim)),
                   (nn.LogSoftmax(dim), torch.nn.LogSoftmax(dim))):
        check_op(gm, tm, randn(*shape) * 2)
        assert repr(gm) == repr(tm)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 2)], ids=str)
def test_softmax_implicit_dim_follows_torch(shape):
    x = randn(*shape)
    with pytest.warns(UserWarning, match="implicit dimension"):
        g = nn.Softmax()(to_glia(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.Softmax()(to_torch(x))
    assert_close(g, t)


def test_step_values_dtype_and_threshold():
    x = np.array([-2.0, -0.1, 0.0, 0.3, 5.0, np.nan])
    for dtype in (np.float32, np.float64):
        out = F.step(to_glia(x.astype(dtype)))
        assert out.numpy().dtype == dtype
        np.testing.assert_array_equal(out.numpy(), [0, 0, 1, 1, 1, 0])
        # same as torch.heaviside with value 1 at 0 (NaN aside)
        th = torch.heaviside(to_torch(x[:-1].astype(dtype)), torch.tensor(1.0, dtype=to_torch(
            x.astype(dtype)).dtype))
        np.testing.assert_array_equal(out.numpy()[:-1], th.numpy())
    np.testing.assert_array_equal(nn.Step(0.3)(to_glia(x)).numpy(), [0, 0, 0, 1, 1, 0])
    ints = F.step(glia.tensor([-1, 0, 2]), threshold=1)
    assert ints.dtype == glia.float32
    np.testing.assert_array_equal(ints.numpy(), [0, 0, 1])
    assert repr(nn.Step(0.5)) == "Step(threshold=0.5)"


def test_step_gradient_is_zero_even_for_infinite_inputs():
    x = to_glia(np.array([[-np.inf, -1.0, 0.0], [2.0, np.inf, 0.5]]), requires_grad=True)
    out = nn.Step()(x)
    assert out.requires_grad
    (out * to_glia(randn(2, 3))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))
    # the graph stays connected, so a loss mixing step with a smooth path still trains
    y = to_glia(np.array([0.5, -2.0]), requires_grad=True)
    (F.step(y) + y * 3.0).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 3.0])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_second_derivative_matches_torch_and_finite_differences(approximate):
    # F.gelu is one fused kernel with a fused derivative; the derivative's own backward
    # (double backward) is composed of ops
    x = np.array([-4.2, -1.7, -0.6, -0.1, 0.3, 0.9, 2.2, 5.1])
    gx, tx = to_glia(x, True), to_torch(x, True)
    (gg,) = glia.autograd.grad(F.gelu(gx, approximate=approximate).sum(), [gx], create_graph=True)
    (tg,) = torch.autograd.grad(TF.gelu(tx, approximate=approximate).sum(), [tx],
                                create_graph=True)
    assert_close(gg, tg, rtol=1e-10, atol=1e-12)
    cot = randn(8)
    (gg * to_glia(cot)).sum().backward()
    (tg * to_torch(cot)).sum().backward()
    assert_close(gx.grad, tx.grad, rtol=1e-10, atol=1e-12)

    def first_derivative(t):
        with glia.enable_grad():  # gradcheck's finite differences run without grad
            t = t if t.requires_grad else t.detach().requires_grad_(True)
            (d,) = glia.autograd.grad(F.gelu(t, approximate=approximate).sum(), [t],
                                      create_graph=True)
        return d

    gradcheck(first_derivative, x)
