"""Running reductions cumprod, cummax, cummin and logcumsumexp (cumsum is in test_reduce) vs
PyTorch: every dim of several shapes (size-0 and size-1 dims, non-contiguous inputs), int
and bool inputs, ties and NaN, zeros in cumprod, extreme values in logcumsumexp, gradients
against torch and finite differences, and errors."""
import zlib

import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_op, check_raises, gradcheck

SHAPES_DIMS = [((5,), 0), ((5,), -1), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1),
               ((2, 3, 4), -1), ((0, 3), 1), ((3, 0), 1), ((1, 1), 0), ((), 0), ((300, 70), 1)]


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def randn(shape, key=()):
    return np.asarray(_rng(shape, key).standard_normal(shape))


def _near_one(shape, key):
    """Factors in +-[0.5, 1.5] so long products stay finite and none is near zero."""
    x = _rng(shape, key, "p").uniform(0.5, 1.5, shape)
    return np.asarray(np.where(_rng(shape, key, "s").random(shape) < 0.3, -x, x))


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
def test_cumprod_matches_torch(shape, dim):
    x = _near_one(shape, "cp")
    check_op(lambda t: glia.cumprod(t, dim), lambda t: torch.cumprod(t, dim), x,
             rtol=1e-10, atol=1e-12)
    # float32 gradients: long sums in another order
    check_op(lambda t: t.cumprod(dim), lambda t: t.cumprod(dim), x.astype(np.float32),
             rtol=1e-3, atol=1e-4)


def test_cumprod_with_zeros_matches_torch_gradients():
    rows = np.array([[2.0, 0.0, 3.0, 4.0, 0.5],    # one zero in the middle
                     [0.0, 2.0, 3.0, -1.0, 2.0],   # at the start
                     [1.5, 2.0, 3.0, -1.0, 0.0],   # at the end
                     [2.0, 0.0, 3.0, 0.0, 4.0],    # two zeros
                     [0.0, 0.0, 0.0, 0.0, 0.0],
                     [1.0, -2.0, 0.5, 3.0, 1.5]])  # none
    for dim, x in ((1, rows), (0, rows.T.copy())):
        check_op(lambda t: glia.cumprod(t, dim), lambda t: torch.cumprod(t, dim), x,
                 rtol=1e-12, atol=1e-12)
    gradcheck(lambda t: glia.cumprod(t, 1), rows)


def test_cumprod_gradcheck_and_integer_inputs():
    gradcheck(lambda t: glia.cumprod(t, 0), _near_one((4, 3), "g"))
    gradcheck(lambda t: glia.cumprod(t, -1), _near_one((2, 3, 4), "g3"))
    i = np.array([[3, -2, 0, 5], [1, 2, 3, 4]])
    check_op(lambda t: glia.cumprod(t, 1), lambda t: torch.cumprod(t, 1), i)
    check_op(lambda t: glia.cumprod(t, 0), lambda t: torch.cumprod(t, 0), i > 0)
    check_op(lambda t: glia.cumsum(t, 1), lambda t: torch.cumsum(t, 1), i > 1)


def test_cumprod_has_no_double_backward():
    x = _near_one((4,), "dd")
    g = glia.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    (gg,) = glia.autograd.grad(glia.cumprod(g, 0).sum(), [g])
    (tg,) = torch.autograd.grad(torch.cumprod(t, 0).sum(), [t])
    assert_close(gg, tg, rtol=1e-12, atol=1e-12)
    check_raises(lambda: glia.autograd.grad(glia.cumprod(g, 0).sum(), [g], create_graph=True),
                 RuntimeError, "CumprodBackward", "double backward")


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
def test_cummax_cummin_match_torch(name, shape, dim):
    x = randn(shape, name)
    check_op(lambda t: getattr(glia, name)(t, dim).values,
             lambda t: getattr(torch, name)(t, dim).values, x, rtol=0, atol=0)
    g, t = getattr(glia, name)(glia.tensor(x), dim), getattr(torch, name)(torch.tensor(x), dim)
    assert_close(g.indices, t.indices)
    m = glia.tensor(x).__getattribute__(name)(dim)
    assert_close(tuple(m), tuple(t))


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_ties_nan_and_integers_match_torch(name):
    x = np.array([[1.0, 1.0, 0.5, 2.0, 2.0, -1.0],
                  [np.nan, 1.0, np.nan, 3.0, -5.0, 0.0],
                  [2.0, np.nan, 1.0, 1.0, np.nan, np.nan]])
    i = np.array([[3, 3, 1, 4, 4, -2], [0, 0, 0, 1, 1, 1]])
    for a in (x, x.astype(np.float32), i, i > 0):
        g, t = getattr(glia, name)(glia.tensor(a), 1), getattr(torch, name)(torch.tensor(a), 1)
        assert_close(tuple(g), tuple(t))
    # gradients go to the running extremes (ties share nothing: the latest index takes it)
    w = np.array([[1.0, 3.0, 3.0, 2.0, 5.0], [0.0, -1.0, 4.0, 4.0, 1.0]])
    check_op(lambda t: getattr(glia, name)(t, 1).values,
             lambda t: getattr(torch, name)(t, 1).values, w)
    gradcheck(lambda t: getattr(glia, name)(t, 0).values, randn((4, 3), "gc" + name))


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
def test_logcumsumexp_matches_torch(shape, dim):
    x = np.asarray(3 * randn(shape, "lcse"))
    check_op(lambda t: glia.logcumsumexp(t, dim), lambda t: torch.logcumsumexp(t, dim), x,
             rtol=1e-10, atol=1e-12)
    check_op(lambda t: t.logcumsumexp(dim), lambda t: t.logcumsumexp(dim), x.astype(np.float32),
             rtol=1e-3, atol=1e-4)


def test_logcumsumexp_extremes_gradcheck_and_integers():
    x = np.array([[1000.0, 1000.0, -1000.0, 5.0],
                  [-np.inf, -np.inf, 0.0, -np.inf],
                  [np.inf, 1.0, -np.inf, 2.0],
                  [-1e4, 1e4, -1e4, 0.0]])
    check_op(lambda t: glia.logcumsumexp(t, 1), lambda t: torch.logcumsumexp(t, 1), x,
             grad=False, rtol=1e-12, atol=1e-12)
    # large finite values: no overflow in the gradient either
    big = np.array([[800.0, 801.0, 799.0, -700.0]])
    check_op(lambda t: glia.logcumsumexp(t, 1), lambda t: torch.logcumsumexp(t, 1), big,
             rtol=1e-10, atol=1e-12)
    gradcheck(lambda t: glia.logcumsumexp(t, 1), randn((3, 5), "lg"))
    gradcheck(lambda t: glia.logcumsumexp(t, 0), randn((4, 2), "lg0"))
    g = glia.logcumsumexp(glia.tensor([0, 1, 2]), 0)
    assert g.dtype == glia.float32
    np.testing.assert_allclose(g.numpy(), np.log(np.cumsum(np.exp([0.0, 1.0, 2.0]))), rtol=1e-6)


def test_logcumsumexp_double_backward_matches_torch():
    x = randn((5,), "dbl")
    g = glia.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    w = np.arange(1.0, 6.0)
    (gg,) = glia.autograd.grad((glia.logcumsumexp(g, 0) * glia.tensor(w)).sum(), [g],
                               create_graph=True)
    (tg,) = torch.autograd.grad((torch.logcumsumexp(t, 0) * torch.tensor(w)).sum(), [t],
                                create_graph=True)
    assert_close(gg, tg, rtol=1e-10, atol=1e-12)
    (g2,) = glia.autograd.grad((gg * gg).sum(), [g])
    (t2,) = torch.autograd.grad((tg * tg).sum(), [t])
    assert_close(g2, t2, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", ["cumprod", "cummax", "cummin", "logcumsumexp", "cumsum"])
def test_scan_bad_dim_raises(name):
    x = glia.zeros(2, 3)
    check_raises(lambda: getattr(glia, name)(x, 2), IndexError, name, "2")
    check_raises(lambda: getattr(glia, name)(x, -3), IndexError, name, "-3")


def test_changing_returned_indices_in_place_is_caught():
    x = glia.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = glia.cummax(x, 0)
    with glia.no_grad():
        indices.zero_()
    check_raises(lambda: values.sum().backward(), RuntimeError, "modified by an in-place")
