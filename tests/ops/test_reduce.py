"""Reductions (sum, mean, prod, amax/amin, max/min, argmax/argmin, var/std, logsumexp, norm),
softmax/log_softmax, all/any and cumsum against PyTorch: values, input gradients, float64
finite-difference gradients and errors."""
import math
import re

import numpy as np
import pytest
import torch

import glia
from helpers import RNG, assert_close, check_op, check_raises, gradcheck, randn, to_glia, to_torch

INF = math.inf
# torch warns on var/std with too few elements per group (glia returns nan silently, as does torch)
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")

# (shape, dims to reduce over): None = all dims, int, negative int, tuple (also unsorted).
SHAPE_DIMS = [
    ((5,), [None, 0, -1, (0,)]),
    ((3, 4), [None, 0, 1, -1, (0, 1), (-1, 0)]),
    ((2, 3, 4), [None, 1, -2, (0, 2), (-1, 0), (0, 1, 2)]),
    ((2, 1, 3), [None, 1, 2, (0, 1), (1, 2)]),
    ((), [None, 0, -1]),
]
CASES = [(s, d) for s, ds in SHAPE_DIMS for d in ds]
CASE_IDS = [f"{s}-{d}" for s, d in CASES]
# Size-0 inputs: reducing over the empty dim and over the others.
EMPTY_CASES = [((0,), None), ((0,), 0), ((0, 3), 0), ((0, 3), 1), ((0, 3), None),
               ((2, 0, 4), (1, 2)), ((2, 0, 4), 0), ((2, 0, 4), -1)]
EMPTY_IDS = [f"{s}-{d}" for s, d in EMPTY_CASES]


def _dims(dim, ndim):
    """Sorted non-negative dims a reduction covers (0-d tensors: none)."""
    if ndim == 0:
        return []
    ds = range(ndim) if dim is None else ((dim,) if isinstance(dim, int) else dim)
    return sorted({d % ndim for d in ds})


def _reduced_over_empty(shape, dim):
    return any(shape[d] == 0 for d in _dims(dim, len(shape)))


def t_prod(x, dim, keepdim):
    """torch.prod over None / int / tuple dims (torch.prod only takes one int dim)."""
    if x.dim() == 0:
        return torch.prod(x)
    ds = _dims(dim, x.dim())
    y = x
    for d in reversed(ds):
        y = torch.prod(y, d, keepdim=True)
    if not keepdim:
        y = y.reshape([s for i, s in enumerate(x.shape) if i not in ds])
    return y


def _all(dim):
    return () if dim is None else dim


TORCH = {
    "sum": lambda x, d, k: torch.sum(x, dim=d, keepdim=k),
    "mean": lambda x, d, k: torch.mean(x, dim=d, keepdim=k),
    "prod": t_prod,
    "amax": lambda x, d, k: torch.amax(x, dim=_all(d), keepdim=k),
    "amin": lambda x, d, k: torch.amin(x, dim=_all(d), keepdim=k),
    "logsumexp": lambda x, d, k: torch.logsumexp(
        x, dim=tuple(range(x.dim())) if d is None else d, keepdim=k),
}


def g_reduce(name, method):
    if method:
        return lambda x, d, k: getattr(x, name)(d, keepdim=k)
    return lambda x, d, k: getattr(glia, name)(x, d, keepdim=k)


# ---------------------------------------------------------------- sum, mean, prod, amax, ...

@pytest.mark.parametrize("method", [False, True], ids=["fn", "method"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("name", list(TORCH))
def test_reduce_matches_torch(name, shape, dim, keepdim, method):
    g, t = g_reduce(name, method), TORCH[name]
    check_op(lambda x: g(x, dim, keepdim), lambda x: t(x, dim, keepdim), randn(*shape))


# amax/amin over an empty dim is refused (test_amax_over_empty_dim_raises)
EMPTY_REDUCE = [(n, s, d) for n in TORCH for s, d in EMPTY_CASES
                if not (n in ("amax", "amin") and _reduced_over_empty(s, d))]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name,shape,dim", EMPTY_REDUCE,
                         ids=[f"{n}-{s}-{d}" for n, s, d in EMPTY_REDUCE])
def test_reduce_size0(name, shape, dim, keepdim):
    g, t = g_reduce(name, False), TORCH[name]
    check_op(lambda x: g(x, dim, keepdim), lambda x: t(x, dim, keepdim), randn(*shape))


def test_reduce_defaults_reduce_everything():
    x = randn(2, 3, 4)
    for name in ("sum", "mean", "prod", "amax", "amin"):
        assert_close(getattr(glia, name)(to_glia(x)), getattr(torch, name)(to_torch(x)))
        assert_close(getattr(to_glia(x), name)(), getattr(torch, name)(to_torch(x)))


def test_reduce_float32():
    x = randn(3, 4, dtype=np.float32)
    for name, t in TORCH.items():
        check_op(lambda a: getattr(glia, name)(a, 1), lambda a: t(a, 1, False), x)


@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", CASES, ids=CASE_IDS)
def test_sum_prod_int_bool_give_int64(shape, dim, keepdim, dtype):
    x = np.asarray(RNG.integers(-3, 4, size=shape))
    x = np.asarray(x > 0) if dtype == "bool" else x
    for name in ("sum", "prod"):
        g, t = g_reduce(name, False), TORCH[name]
        check_op(lambda a: g(a, dim, keepdim), lambda a: t(a, dim, keepdim), x)
        assert g(glia.from_numpy(x), dim, keepdim).dtype == glia.int64


@pytest.mark.parametrize("shape,dim", CASES, ids=CASE_IDS)
def test_amax_amin_int64(shape, dim):
    x = np.asarray(RNG.integers(-5, 6, size=shape))
    for name in ("amax", "amin"):
        g, t = g_reduce(name, True), TORCH[name]
        check_op(lambda a: g(a, dim, False), lambda a: t(a, dim, False), x)


@pytest.mark.parametrize("shape,dim", CASES, ids=CASE_IDS)
def test_amax_amin_bool_give_bool(shape, dim):
    # any / all over the reduced dims, as torch
    x = np.asarray(RNG.random(shape) < 0.5)
    for name in ("amax", "amin"):
        g, t = g_reduce(name, True), TORCH[name]
        for keepdim in (False, True):
            out = g(to_glia(x), dim, keepdim)
            assert out.dtype == glia.bool
            assert_close(out, t(to_torch(x), dim, keepdim))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_of_bool(name):
    x = np.array([[False, True, True], [False, False, False], [True, True, True]])
    res = getattr(glia, name)(to_glia(x), 1)
    ref = getattr(torch, name)(to_torch(x), 1)
    assert res.values.dtype == glia.bool
    assert_close(res.values, ref.values)
    assert_close(res.indices, ref.indices)  # the first true (max) or false (min) of each row
    assert_close(getattr(glia, name)(to_glia(x)), getattr(torch, name)(to_torch(x)))
    assert_close(getattr(to_glia(x), name)(dim=0, keepdim=True)[0],
                 getattr(to_torch(x), name)(dim=0, keepdim=True)[0])
    # torch has no bool argmax/argmin; numpy's picks the same first index
    arg = glia.argmax if name == "max" else glia.argmin
    np_arg = np.argmax if name == "max" else np.argmin
    np.testing.assert_array_equal(arg(to_glia(x), 1).numpy(), np_arg(x, 1))


@pytest.mark.parametrize("n", [1_000_003, 4_000_000])
def test_sum_large_float32_accumulates_accurately(n):
    x = np.full(n, 0.1, dtype=np.float32)
    exact = x.astype(np.float64).sum()
    assert_close(glia.sum(glia.from_numpy(x)), torch.from_numpy(x).sum(), rtol=1e-5)
    np.testing.assert_allclose(glia.sum(glia.from_numpy(x)).item(), exact, rtol=1e-5)
    np.testing.assert_allclose(glia.mean(glia.from_numpy(x)).item(), 0.1, rtol=1e-5)


LARGE = {
    "sum": (lambda a, d: glia.sum(a, d), lambda a, d: torch.sum(a, d)),
    "amax": (lambda a, d: glia.amax(a, d), lambda a, d: torch.amax(a, _all(d))),
    "var": (lambda a, d: glia.var(a, d), lambda a, d: torch.var(a, d)),
    "logsumexp": (lambda a, d: glia.logsumexp(a, d), lambda a, d: torch.logsumexp(a, d)),
    "norm3": (lambda a, d: glia.norm(a, 3, d), lambda a, d: torch.linalg.vector_norm(a, 3, d)),
    "argmax": (lambda a, d: glia.argmax(a, d), lambda a, d: torch.argmax(a, d)),
    "max_values": (lambda a, d: glia.max(a, d).values, lambda a, d: torch.max(a, d).values),
    "cumsum": (lambda a, d: glia.cumsum(a, d), lambda a, d: torch.cumsum(a, d)),
    "softmax": (lambda a, d: glia.softmax(a, d), lambda a, d: torch.softmax(a, d)),
}


@pytest.mark.parametrize("view", ["plain", "transposed", "sliced", "expanded"])
@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("name", list(LARGE))
def test_reductions_large_and_strided(name, dim, view):
    x = np.random.default_rng(7).standard_normal((257, 531))
    g, t = to_glia(x), to_torch(x)
    if view == "transposed":
        g, t = g.T, t.T
    elif view == "sliced":
        g, t = g[1::3, 2::5], t[1::3, 2::5]
    elif view == "expanded":
        g, t = glia.broadcast_to(g[:1], (7, 531)), torch.broadcast_to(t[:1], (7, 531))
    gf, tf = LARGE[name]
    assert_close(gf(g, dim), tf(t, dim), rtol=1e-9, atol=1e-9)


def test_sum_long_float32_column_accumulates_accurately():
    x = np.full((1_000_000, 2), 0.1, dtype=np.float32)  # reduced dim is not the last
    assert_close(glia.from_numpy(x).sum(0), torch.from_numpy(x).sum(0), rtol=1e-5)


def test_amax_propagates_nan():
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
    assert_close(glia.amax(to_glia(x), 1), torch.amax(to_torch(x), 1))
    assert_close(glia.amin(to_glia(x), 1), torch.amin(to_torch(x), 1))
    assert_close(glia.max(to_glia(x), 1).values, torch.max(to_torch(x), 1).values)


# ---------------------------------------------------------------- max / min overloads

@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), ()])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_no_dim_is_a_value(name, shape):
    x = randn(*shape)
    check_op(lambda a: getattr(glia, name)(a), lambda a: getattr(torch, name)(a), x)
    check_op(lambda a: getattr(a, name)(), lambda a: getattr(a, name)(), x)
    assert getattr(glia, name)(to_glia(x)).shape == ()


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((5,), -1), ((3, 4), 0), ((3, 4), 1),
                                       ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 1, 3), 1), ((), 0)])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_dim_gives_values_and_indices(name, shape, dim, keepdim):
    x = randn(*shape)
    res = getattr(glia, name)(to_glia(x), dim, keepdim)
    ref = getattr(torch, name)(to_torch(x), dim, keepdim)
    assert_close(res.values, ref.values)
    assert_close(res.indices, ref.indices)
    values, indices = res  # a 2-tuple as well
    assert_close(values, ref.values)
    assert_close(indices, ref.indices)
    m = getattr(to_glia(x), name)(dim=dim, keepdim=keepdim)
    assert_close(tuple(m), (ref.values, ref.indices))
    check_op(lambda a: getattr(glia, name)(a, dim, keepdim).values,
             lambda a: getattr(torch, name)(a, dim, keepdim).values, x)
    check_op(lambda a: getattr(a, name)(dim, keepdim=keepdim)[0],
             lambda a: getattr(a, name)(dim, keepdim=keepdim)[0], x)


@pytest.mark.parametrize("name,tname", [("max", "maximum"), ("min", "minimum")])
def test_max_min_of_two_tensors_is_elementwise(name, tname):
    a, b = randn(3, 4), randn(4)
    check_op(lambda x, y: getattr(glia, name)(x, y), lambda x, y: getattr(torch, tname)(x, y), a, b)
    check_op(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(torch, tname)(x, y), a, b)
    check_op(lambda x, y: getattr(glia, name)(x, other=y), lambda x, y: getattr(torch, tname)(x, y),
             a, b)


def test_max_dim_index_of_a_tie_points_at_a_maximum():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    res = glia.max(to_glia(x), 1)
    np.testing.assert_array_equal(res.values.numpy(), [3.0, 2.0])
    idx = res.indices.numpy()
    np.testing.assert_array_equal(x[np.arange(2), idx], [3.0, 2.0])


# ---------------------------------------------------------------- argmax / argmin

ARG_CASES = [((5,), None), ((5,), 0), ((3, 4), None), ((3, 4), 1), ((3, 4), -2),
             ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 1, 3), 1), ((), None), ((), 0)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", ARG_CASES)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, shape, dim, keepdim, dtype):
    x = np.asarray(RNG.permutation(int(np.prod(shape))).reshape(shape)).astype(dtype)
    ref = getattr(torch, name)(to_torch(x), dim=dim, keepdim=keepdim)
    assert_close(getattr(glia, name)(to_glia(x), dim, keepdim), ref)
    assert_close(getattr(to_glia(x), name)(dim=dim, keepdim=keepdim), ref)
    check_op(lambda a: getattr(glia, name)(a, dim, keepdim),
             lambda a: getattr(torch, name)(a, dim=dim, keepdim=keepdim), x)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_ties_give_first_index(name):
    x = np.array([[1.0, 3.0, 3.0, -1.0, -1.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    for dim in (None, 1):
        assert_close(getattr(glia, name)(to_glia(x), dim), getattr(torch, name)(to_torch(x), dim))


# ---------------------------------------------------------------- var / std

@pytest.mark.parametrize("unbiased", [True, False])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std(name, shape, dim, keepdim, unbiased):
    x = randn(*shape)  # groups of one element (0-d, dim of size 1) give nan when unbiased
    tf = getattr(torch, name)
    check_op(lambda a: getattr(glia, name)(a, dim, unbiased=unbiased, keepdim=keepdim),
             lambda a: tf(a, dim=dim, correction=int(unbiased), keepdim=keepdim), x)
    check_op(lambda a: getattr(a, name)(dim, unbiased=unbiased, keepdim=keepdim),
             lambda a: tf(a, dim=dim, correction=int(unbiased), keepdim=keepdim), x, grad=False)


@pytest.mark.parametrize("unbiased", [True, False])
def test_std_grad_at_zero_variance_is_zero_like_torch(unbiased):
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])  # row 0 is constant: std 0
    check_op(lambda a: glia.std(a, 1, unbiased=unbiased),
             lambda a: torch.std(a, 1, correction=int(unbiased)), x)


def test_var_std_defaults_are_unbiased_over_all_dims():
    x = randn(3, 4)
    assert_close(glia.var(to_glia(x)), torch.var(to_torch(x)))
    assert_close(to_glia(x).std(), torch.std(to_torch(x)))
    np.testing.assert_allclose(glia.var(to_glia(x)).item(), np.var(x, ddof=1))
    np.testing.assert_allclose(glia.std(to_glia(x), unbiased=False).item(), np.std(x))


@pytest.mark.parametrize("shape,dim", [((0,), None), ((0, 3), 0), ((0, 3), 1), ((2, 0, 4), -1)])
def test_var_size0(shape, dim):
    x = randn(*shape)
    assert_close(glia.var(to_glia(x), dim), torch.var(to_torch(x), dim=dim))
    assert_close(glia.std(to_glia(x), dim, unbiased=False), torch.std(to_torch(x), dim=dim, correction=0))


# ---------------------------------------------------------------- logsumexp

def test_logsumexp_inf_entries():
    x = np.array([[-INF, -INF, -INF], [0.0, -INF, 1.0], [INF, 0.0, -INF], [2.0, 3.0, 4.0]])
    for dim in (1, -1, (0, 1)):
        assert_close(glia.logsumexp(to_glia(x), dim), torch.logsumexp(to_torch(x), dim))
        assert_close(to_glia(x).logsumexp(dim, keepdim=True),
                     torch.logsumexp(to_torch(x), dim, keepdim=True))
    np.testing.assert_allclose(glia.logsumexp(to_glia(x), 1).numpy(), [-INF, math.log(1 + math.e), INF,
                                                                      4 + math.log(1 + math.exp(-1) + math.exp(-2))])


def test_logsumexp_is_stable_for_large_values():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1001.0]])
    for dt, tol in ((np.float64, 1e-7), (np.float32, 1e-4)):
        check_op(lambda a: glia.logsumexp(a, 1), lambda a: torch.logsumexp(a, 1), x.astype(dt),
                 rtol=tol)
    np.testing.assert_allclose(glia.logsumexp(to_glia(x), 1).numpy(),
                               [1000 + math.log(2), -1000 + math.log(1 + math.exp(-1))])


# ---------------------------------------------------------------- norm

NORM_PS = [1.0, 2.0, INF, 3.0, 0.0]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("p", NORM_PS)
def test_norm_matches_vector_norm(p, shape, dim, keepdim):
    # p=0 counts non-zeros (gradient 0): see test_norm_p0_output_requires_grad_with_zero_grad
    check_op(lambda a: glia.norm(a, p, dim, keepdim=keepdim),
             lambda a: torch.linalg.vector_norm(a, ord=p, dim=dim, keepdim=keepdim), randn(*shape),
             grad=p != 0)
    check_op(lambda a: a.norm(p, dim, keepdim=keepdim),
             lambda a: torch.norm(a, p=p, dim=dim, keepdim=keepdim), randn(*shape), grad=False)


@pytest.mark.parametrize("shape,dim", EMPTY_CASES, ids=EMPTY_IDS)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 0.0])
def test_norm_size0(p, shape, dim):
    check_op(lambda a: glia.norm(a, p, dim),
             lambda a: torch.linalg.vector_norm(a, ord=p, dim=dim), randn(*shape), grad=p != 0)


def test_norm_default_is_frobenius():
    x = randn(3, 4)
    assert_close(glia.norm(to_glia(x)), torch.norm(to_torch(x)))
    assert_close(to_glia(x).norm(), torch.norm(to_torch(x)))
    np.testing.assert_allclose(glia.norm(to_glia(x)).item(), np.sqrt((x ** 2).sum()))


@pytest.mark.parametrize("p", NORM_PS)
def test_norm_grad_at_zero_is_zero_like_torch(p):
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    for dim in (None, 1):
        check_op(lambda a: glia.norm(a, p, dim), lambda a: torch.linalg.vector_norm(a, p, dim), x,
                 grad=p != 0)
    check_op(lambda a: glia.norm(a, p), lambda a: torch.linalg.vector_norm(a, p), np.zeros(4),
             grad=p != 0)
    g = glia.zeros(4, dtype=glia.float64, requires_grad=True)
    (glia.norm(g, p) + g.sum() * 0).backward()
    np.testing.assert_array_equal(g.grad.numpy(), np.zeros(4))


@pytest.mark.parametrize("p", [0.5, 0.9, 1.5])
def test_norm_grad_at_a_zero_entry_of_a_nonzero_input(p):
    """For p < 1, |a|^(p-1) is infinite at a zero entry; the gradient there is 0, not NaN."""
    x = np.array([[0.0, 3.0, -1.0], [1.0, -2.0, 0.0]])
    for dim in (None, 1, 0):
        check_op(lambda a: glia.norm(a, p, dim), lambda a: torch.linalg.vector_norm(a, p, dim), x)


def test_norm_p0_output_requires_grad_with_zero_grad():
    x = glia.tensor([[1.0, 0.0, -2.0], [0.0, 0.0, 3.0]], requires_grad=True)
    y = glia.norm(x, 0.0, 1)
    np.testing.assert_array_equal(y.detach().numpy(), [2.0, 1.0])
    assert y.requires_grad  # as torch.linalg.vector_norm(x, 0): differentiable, gradient 0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


# ---------------------------------------------------------------- softmax / log_softmax

SOFTMAX_CASES = [((5,), 0), ((5,), -1), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 0),
                 ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 1, 3), 1), ((), 0), ((0, 3), 1), ((0, 3), 0)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax(name, shape, dim, dtype):
    x = randn(*shape, dtype=dtype)
    tf = getattr(torch, name)
    check_op(lambda a: getattr(glia, name)(a, dim), lambda a: tf(a, dim), x)
    check_op(lambda a: getattr(a, name)(dim=dim), lambda a: tf(a, dim), x, grad=False)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_large_values_and_neg_inf(name):
    tf = getattr(torch, name)
    big = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]])
    for dt in (np.float64, np.float32):
        check_op(lambda a: getattr(glia, name)(a, 1), lambda a: tf(a, 1), big.astype(dt))
    masked = np.array([[0.0, -INF, 1.0], [-INF, 2.0, -INF]])
    assert_close(getattr(glia, name)(to_glia(masked), 1), tf(to_torch(masked), 1))
    np.testing.assert_allclose(glia.softmax(to_glia(masked), 1).numpy().sum(1), [1.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_underflow_is_exactly_zero(dtype):
    """Masked and far-below-max logits give exactly 0, across more than one block of the
    kernel's exp (rows longer than 256)."""
    x = np.zeros((2, 600), dtype=dtype)
    x[:, 1::3] = -INF
    x[:, 2::3] = -2000.0
    y = glia.softmax(to_glia(x), 1).numpy()
    assert (y[:, 1::3] == 0).all() and (y[:, 2::3] == 0).all()
    np.testing.assert_allclose(y[:, ::3], 1.0 / 200, rtol=1e-6)
    e = glia.exp(to_glia(x)).numpy()
    assert (e[:, 1::3] == 0).all() and (e[:, 2::3] == 0).all() and (e[:, ::3] == 1).all()


def test_softmax_rows_sum_to_one():
    y = glia.softmax(to_glia(randn(4, 7)), 0).numpy()
    np.testing.assert_allclose(y.sum(0), np.ones(7))
    assert (y > 0).all()


# ---------------------------------------------------------------- all / any

ALL_ANY_INPUTS = {
    "float_mixed": np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]]),
    "float_nonzero": np.array([[1.0, -2.0], [np.nan, 0.5]]),
    "float_zero": np.zeros((2, 3)),
    "int": np.array([[1, 2, 0], [3, 4, 5]]),
    "int_nonzero": np.array([1, -2, 7]),
    "bool_true": np.ones((2, 2), dtype=bool),
    "bool_mixed": np.array([[True, False], [True, True]]),
    "bool_false": np.zeros(3, dtype=bool),
    "empty": np.zeros((0, 3)),
    "scalar_true": np.array(2.0),
    "scalar_false": np.array(0),
    "noncontig_rows": np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 1.0]]).T,
}


@pytest.mark.parametrize("key", list(ALL_ANY_INPUTS))
@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any(name, key):
    x = ALL_ANY_INPUTS[key]
    tf = getattr(torch, name)
    check_op(lambda a: getattr(glia, name)(a), lambda a: tf(a), x)
    check_op(lambda a: getattr(a, name)(), lambda a: tf(a), x)
    assert bool(getattr(glia, name)(glia.from_numpy(x))) == bool(getattr(np, name)(x))


def test_all_any_noncontiguous_slices():
    x = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    g = to_glia(x)
    assert bool(glia.all(g[:, 0])) is True and bool(glia.any(g[:, 1])) is False
    assert bool(glia.all(g.T[0])) is True and bool(glia.any(g.T[1])) is False


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any_with_dim(name, dim, keepdim):
    x = np.array([[1.0, 0.0, 2.0], [3.0, 0.0, 0.0]])
    tf = getattr(torch, name)
    check_op(lambda a: getattr(glia, name)(a, dim, keepdim=keepdim),
             lambda a: tf(a, dim, keepdim=keepdim), x)


# ---------------------------------------------------------------- cumsum

CUMSUM_CASES = [((5,), 0), ((5,), -1), ((3, 4), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 1),
                ((2, 3, 4), -1), ((2, 1, 3), 1), ((), 0), ((), -1), ((0, 3), 0), ((0, 3), 1)]


@pytest.mark.parametrize("shape,dim", CUMSUM_CASES)
def test_cumsum(shape, dim):
    x = randn(*shape)
    check_op(lambda a: glia.cumsum(a, dim), lambda a: torch.cumsum(a, dim), x)
    check_op(lambda a: a.cumsum(dim=dim), lambda a: a.cumsum(dim=dim), x, grad=False)


@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("shape,dim", CUMSUM_CASES)
def test_cumsum_int_bool_give_int64(shape, dim, dtype):
    x = np.asarray(RNG.integers(-3, 4, size=shape))
    x = np.asarray(x > 0) if dtype == "bool" else x
    check_op(lambda a: glia.cumsum(a, dim), lambda a: torch.cumsum(a, dim), x)


# ---------------------------------------------------------------- float64 gradcheck

GRAD_DIMS = [None, 1, -1, (0, 2)]


@pytest.mark.parametrize("dim", GRAD_DIMS)
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "logsumexp"])
def test_gradcheck_reductions(name, dim):
    fn = getattr(glia, name)
    gradcheck(lambda a: fn(a, dim), randn(2, 3, 4))
    gradcheck(lambda a: fn(a, dim, keepdim=True), randn(2, 3, 4))


@pytest.mark.parametrize("unbiased", [True, False])
@pytest.mark.parametrize("dim", GRAD_DIMS)
@pytest.mark.parametrize("name", ["var", "std"])
def test_gradcheck_var_std(name, dim, unbiased):
    gradcheck(lambda a: getattr(glia, name)(a, dim, unbiased=unbiased), randn(2, 3, 4))


@pytest.mark.parametrize("dim", GRAD_DIMS)
@pytest.mark.parametrize("p", [1.0, 2.0, INF, 3.0, 0.0])
def test_gradcheck_norm(p, dim):
    gradcheck(lambda a: glia.norm(a, p, dim), randn(2, 3, 4))


@pytest.mark.parametrize("p", [1.0, 2.0, INF, 3.0, 0.0])
def test_gradcheck_norm_at_zero_vector(p):
    gradcheck(lambda a: glia.norm(a, p), np.zeros(5))
    gradcheck(lambda a: glia.norm(a, p, 1), np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]]))


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "cumsum"])
def test_gradcheck_softmax_cumsum(name, dim):
    gradcheck(lambda a: getattr(glia, name)(a, dim), randn(2, 3, 4))


@pytest.mark.parametrize("name", ["max", "min"])
def test_gradcheck_max_min(name):
    fn = getattr(glia, name)
    for dim in (0, 1, -1):
        gradcheck(lambda a: fn(a, dim).values, randn(2, 3, 4))
        gradcheck(lambda a: fn(a, dim, keepdim=True)[0], randn(2, 3, 4))
    gradcheck(lambda a: fn(a), randn(3, 4))
    gradcheck(lambda a, b: fn(a, b), randn(3, 4), randn(4))


PROD_ZEROS = np.array([[2.0, 0.0, 3.0, -1.5],     # one zero in the row
                       [0.0, 1.5, 0.0, 2.0],      # two zeros in the row
                       [1.0, -2.0, 0.5, 3.0]])    # none


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
def test_prod_with_zeros(dim):
    gradcheck(lambda a: glia.prod(a, dim), PROD_ZEROS)
    gradcheck(lambda a: glia.prod(a, dim, keepdim=True), PROD_ZEROS)
    check_op(lambda a: glia.prod(a, dim), lambda a: t_prod(a, dim, False), PROD_ZEROS)


def test_prod_grad_single_and_double_zero_values():
    a = glia.tensor(PROD_ZEROS, requires_grad=True)
    glia.prod(a, 1).sum().backward()
    expect = np.array([[0.0, -9.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0],
                       [-3.0, 1.5, -6.0, -1.0]])
    np.testing.assert_allclose(a.grad.numpy(), expect)


def test_amax_amin_ties_split_gradient_evenly():
    two = np.array([[1.0, 3.0, 3.0, 0.0], [-1.0, -1.0, 2.0, 0.5]])
    for name in ("amax", "amin"):
        for dim in (None, 1, 0):
            gradcheck(lambda a: getattr(glia, name)(a, dim), two)  # 2-way ties: FD gives 1/2
    three = np.array([[1.0, 3.0, 3.0, 3.0], [-1.0, -1.0, -1.0, 2.0]])
    for name in ("amax", "amin"):
        for dim in (None, 1, (0, 1)):
            check_op(lambda a: getattr(glia, name)(a, dim),
                     lambda a: getattr(torch, name)(a, _all(dim)), three)
    check_op(lambda a: glia.max(a), lambda a: torch.max(a), three)
    check_op(lambda a: glia.norm(a, INF, 1), lambda a: torch.linalg.vector_norm(a, INF, 1),
             np.array([[1.0, -3.0, 3.0, 0.0]]))
    a = glia.tensor([1.0, 3.0, 3.0, 3.0], requires_grad=True)
    glia.amax(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.0, 1 / 3, 1 / 3, 1 / 3])


def test_logsumexp_neg_inf_value_only():
    x = np.array([[-INF, 0.0, 1.0], [-INF, -INF, -INF]])
    check_op(lambda a: glia.logsumexp(a, 1), lambda a: torch.logsumexp(a, 1), x, grad=False)
    gradcheck(lambda a: glia.logsumexp(a, 1), randn(3, 5))


# ---------------------------------------------------------------- errors

DIM_OPS = {
    "sum": lambda x, d: glia.sum(x, d),
    "mean": lambda x, d: glia.mean(x, d),
    "prod": lambda x, d: glia.prod(x, d),
    "amax": lambda x, d: glia.amax(x, d),
    "amin": lambda x, d: glia.amin(x, d),
    "max": lambda x, d: glia.max(x, d),
    "min": lambda x, d: x.min(d),
    "argmax": lambda x, d: glia.argmax(x, d),
    "argmin": lambda x, d: glia.argmin(x, d),
    "var": lambda x, d: glia.var(x, d),
    "std": lambda x, d: glia.std(x, d),
    "logsumexp": lambda x, d: glia.logsumexp(x, d),
    "norm": lambda x, d: glia.norm(x, 2.0, d),
    "softmax": lambda x, d: glia.softmax(x, d),
    "log_softmax": lambda x, d: glia.log_softmax(x, d),
    "cumsum": lambda x, d: glia.cumsum(x, d),
}


@pytest.mark.parametrize("dim", [2, -3])
@pytest.mark.parametrize("name", list(DIM_OPS))
def test_dim_out_of_range_raises_index_error(name, dim):
    x = glia.tensor(randn(3, 4))
    with pytest.raises(IndexError) as info:
        DIM_OPS[name](x, dim)
    msg = str(info.value)
    assert re.search(rf"(?<![\w]){name}(?![\w])", msg), f"{name!r} not named in {msg!r}"
    assert str(dim) in msg, msg


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "var", "norm", "logsumexp"])
def test_dim_out_of_range_inside_tuple(name):
    check_raises(lambda: DIM_OPS[name](glia.tensor(randn(3, 4)), (0, 5)), IndexError, "5")


def test_repeated_dim_raises():
    check_raises(lambda: glia.sum(glia.tensor(randn(3, 4)), (1, 1)), IndexError, "sum")
    check_raises(lambda: glia.sum(glia.tensor(randn(3, 4)), (1, -1)), IndexError, "sum")


@pytest.mark.parametrize("name", ["mean", "var", "std", "norm"])
def test_float_only_reductions_reject_int(name):
    x = glia.tensor(np.arange(6).reshape(2, 3))
    check_raises(lambda: getattr(glia, name)(x), TypeError, name)
    check_raises(lambda: getattr(x, name)(), TypeError)


def test_amax_over_empty_dim_raises():
    x = glia.tensor(randn(0, 3))
    for fn in (lambda: glia.amax(x, 0), lambda: glia.amin(x), lambda: glia.max(x, 0),
               lambda: glia.argmax(x, 0), lambda: glia.max(x)):
        with pytest.raises((IndexError, ValueError, RuntimeError)):
            fn()
