"""Special functions vs torch.special and SciPy: lgamma, digamma, polygamma, erfinv and
mvlgamma (C++ kernels, accuracy over wide ranges, poles and special values, gradients and
double backward) and the glia.special composites (ndtr, ndtri, log_ndtr, entr, xlog1py and
the aliases)."""
import math

import numpy as np
import pytest
import scipy.special as sp
import torch

import glia
from helpers import assert_close, check_op, check_raises, gradcheck

WIDE = np.array([1e-8, 0.01, 0.3, 0.5, 1.0, 1.5, 2.0, 3.7, 9.99, 10.0, 10.01, 55.5, 1e3, 1e8,
                 -0.3, -1.5, -2.7, -10.2, -100.5])


def rel_err(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    finite = np.isfinite(want)
    assert np.array_equal(np.isnan(got), np.isnan(want)), (got, want)
    assert np.array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    return np.max(np.abs(got[finite] - want[finite]) / np.maximum(np.abs(want[finite]), 1e-300))


@pytest.mark.parametrize("name,ref,tol", [("lgamma", sp.gammaln, 1e-14),
                                          ("digamma", sp.digamma, 1e-13)])
def test_gamma_family_accuracy_against_scipy(name, ref, tol):
    assert rel_err(getattr(glia, name)(glia.tensor(WIDE)).numpy(), ref(WIDE)) < tol
    f32 = getattr(glia, name)(glia.tensor(WIDE.astype(np.float32))).numpy()
    assert f32.dtype == np.float32 and rel_err(f32, ref(WIDE.astype(np.float32))) < 1e-5


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_polygamma_accuracy_against_scipy(n):
    x = WIDE[np.abs(WIDE) < 1e4]
    assert rel_err(glia.polygamma(n, glia.tensor(x)).numpy(), sp.polygamma(n, x)) < 1e-12
    assert_close(glia.tensor(x).polygamma(n), torch.polygamma(n, torch.tensor(x)), rtol=1e-8)


def test_poles_and_special_values_match_torch():
    x = np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan, 1.0, 2.0])
    for name in ("lgamma", "digamma"):
        check_op(getattr(glia, name), getattr(torch, name), x, grad=False)
    # polygamma at its poles is +inf for odd n (torch 2.13 gives a large finite number)
    p = np.array([0.0, -1.0, -3.0, 1.0, np.inf])
    for n in (1, 2, 3):
        assert rel_err(glia.polygamma(n, glia.tensor(p)).numpy(), sp.polygamma(n, p)) < 1e-14
    y = np.array([-1.0, 1.0, 0.0, -0.0, 1.5, -2.0, np.nan, 1e-300, 1 - 1e-16, -0.999999999])
    check_op(glia.erfinv, torch.erfinv, y, grad=False, rtol=1e-14, atol=0)


def test_erfinv_accuracy_and_inverse():
    y = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), [1 - 1e-15, -1 + 1e-12, 1e-20]])
    g = glia.erfinv(glia.tensor(y)).numpy()
    assert rel_err(g, sp.erfinv(y)) < 1e-14
    np.testing.assert_allclose(sp.erf(g), y, rtol=1e-14, atol=1e-16)
    g32 = glia.erfinv(glia.tensor(y[:2001].astype(np.float32))).numpy()
    assert rel_err(g32, sp.erfinv(y[:2001].astype(np.float32))) < 2e-6


@pytest.mark.parametrize("name", ["lgamma", "digamma", "erfinv"])
def test_gradients_match_torch_and_finite_differences(name):
    x = np.array([[0.3, 1.7, 4.2], [9.5, 0.05, 2.5]]) if name != "erfinv" else np.array(
        [[0.3, -0.7, 0.95], [-0.99, 0.0, 0.5]])
    # torch's trigamma (digamma's gradient) is good to ~1e-9; glia's matches SciPy's to 1e-15
    check_op(getattr(glia, name), getattr(torch, name), x, rtol=1e-8, atol=1e-10)
    gradcheck(getattr(glia, name), x)
    if name == "digamma":
        t = glia.tensor(x, requires_grad=True)
        glia.digamma(t).sum().backward()
        assert rel_err(t.grad.numpy(), sp.polygamma(1, x)) < 1e-14


def test_polygamma_and_mvlgamma_gradients_and_double_backward():
    x = np.array([0.7, 2.2, 5.5])
    for n in (0, 1, 2):
        check_op(lambda t: glia.polygamma(n, t), lambda t: torch.polygamma(n, t), x,
                 rtol=1e-8, atol=1e-10)
        gradcheck(lambda t: glia.polygamma(n, t), x)
    check_op(lambda t: glia.mvlgamma(t, 3), lambda t: torch.mvlgamma(t, 3), x + 1.5,
             rtol=1e-12, atol=1e-12)
    check_op(lambda t: t.mvlgamma(1), lambda t: t.mvlgamma(1), x, rtol=1e-12, atol=1e-12)
    g = glia.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    (gg,) = glia.autograd.grad(glia.lgamma(g).sum(), [g], create_graph=True)
    (tg,) = torch.autograd.grad(torch.lgamma(t).sum(), [t], create_graph=True)
    (g2,) = glia.autograd.grad(gg.sum(), [g])
    (t2,) = torch.autograd.grad(tg.sum(), [t])
    assert_close(g2, t2, rtol=1e-8)


def test_errors_and_integer_inputs():
    check_raises(lambda: glia.polygamma(-1, glia.ones(2)), RuntimeError, "polygamma", "-1")
    check_raises(lambda: glia.mvlgamma(glia.tensor([0.5, 2.0]), 3), RuntimeError, "mvlgamma",
                 "(p-1)/2")
    check_raises(lambda: glia.mvlgamma(glia.ones(2), 0), RuntimeError, "mvlgamma", "0")
    out = glia.lgamma(glia.tensor([1, 2, 5]))
    assert out.dtype == glia.float32
    np.testing.assert_allclose(out.numpy(), [0.0, 0.0, math.log(24)], atol=1e-6)


# ---- glia.special composites ----

@pytest.mark.parametrize("name,domain", [
    ("ndtr", lambda x: 3 * x), ("ndtri", lambda x: 0.02 + 0.96 / (1 + np.exp(-x))),
    ("log_ndtr", lambda x: 4 * x), ("entr", lambda x: np.abs(x) + 0.1),
    ("expit", lambda x: x), ("logit", lambda x: 0.1 + 0.8 / (1 + np.exp(-x))),
    ("gammaln", lambda x: np.abs(x) + 0.2), ("psi", lambda x: np.abs(x) + 0.2),
    ("erfinv", lambda x: np.tanh(x) * 0.9), ("sinc", lambda x: x), ("exp2", lambda x: x),
])
def test_special_composites_match_torch(name, domain):
    x = domain(np.random.default_rng(3).standard_normal((3, 5)))
    check_op(getattr(glia.special, name), getattr(torch.special, name), x, rtol=1e-8,
             atol=1e-12)
    gradcheck(getattr(glia.special, name), x)


def test_special_tails_and_edges_match_torch():
    x = np.array([-40.0, -25.0, -20.5, -19.5, -5.0, 0.0, 3.0, 10.0, 40.0])
    check_op(glia.special.log_ndtr, torch.special.log_ndtr, x, rtol=1e-11, atol=1e-300)
    check_op(glia.special.entr, torch.special.entr, np.array([0.0, -1.0, 0.5, 2.0]), grad=False)
    a, b = np.array([0.0, 0.0, 2.0, -1.5]), np.array([-1.0, np.nan, 0.5, 3.0])
    check_op(glia.special.xlog1py, torch.special.xlog1py, a, b, grad=False)
    check_op(glia.special.xlog1py, torch.special.xlog1py, np.array([1.5, -2.0]),
             np.array([0.25, 3.0]))
    check_op(lambda t: glia.special.softmax(t, 1), lambda t: torch.special.softmax(t, 1),
             np.random.default_rng(4).standard_normal((2, 3)))
    check_op(lambda t: glia.special.multigammaln(t, 2), lambda t: torch.special.multigammaln(t, 2),
             np.array([1.5, 4.0]), rtol=1e-12, atol=1e-12)


def test_trigamma_far_below_zero_is_fast_and_right():
    # digamma's gradient there uses the reflection formula, not a walk up from -1e8
    x = np.array([-1e8 + 0.5, -12345.25, -2.3])
    assert rel_err(glia.polygamma(1, glia.tensor(x)).numpy(), sp.polygamma(1, x)) < 1e-8
    t = glia.tensor(x, requires_grad=True)
    glia.digamma(t).sum().backward()
    assert rel_err(t.grad.numpy(), sp.polygamma(1, x)) < 1e-8
