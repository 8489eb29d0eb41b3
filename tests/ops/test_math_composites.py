"""The math composites (lerp, logaddexp, xlogy, logit, nan_to_num, addcmul, isclose, ...),
the keyword forms add(alpha=), sub(alpha=), div(rounding_mode=) and PyTorch's alias names,
vs PyTorch: values on random inputs (broadcasting, non-contiguous, empty), special values,
gradients (torch and float64 finite differences) and errors."""
import zlib

import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_op, check_raises, gradcheck

SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3)),
               ((0, 3), (3,)), ((1,), (5,))]


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def randn(shape, key=(), dtype=np.float64):
    return np.asarray(_rng(shape, key).standard_normal(shape), dtype=dtype)


def positive(shape, key=()):
    return np.abs(randn(shape, key)) + 0.25


def probs(shape, key=()):
    return np.asarray(0.1 + 0.8 * _rng(shape, key, "p").random(shape))


# ---- binary composites: (glia function, torch function, domain of a, domain of b) ----

BINARY = {
    "logaddexp": (randn, randn),
    "logaddexp2": (randn, randn),
    "xlogy": (randn, positive),
}


@pytest.mark.parametrize("sa,sb", SHAPE_PAIRS)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_composites_match_torch(name, sa, sb):
    da, db = BINARY[name]
    a, b = da(sa, (name, "a")), db(sb, (name, "b"))
    check_op(getattr(glia, name), getattr(torch, name), a, b, rtol=1e-10, atol=1e-12)
    check_op(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), a, b,
             rtol=1e-10, atol=1e-12)
    check_op(getattr(glia, name), getattr(torch, name), a.astype(np.float32),
             b.astype(np.float32), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_composites_gradcheck(name):
    da, db = BINARY[name]
    gradcheck(getattr(glia, name), da((3, 4), (name, "ga")), db((4,), (name, "gb")))


def test_logaddexp_extremes_match_torch():
    a = np.array([1000.0, -1000.0, np.inf, -np.inf, np.inf, -np.inf, np.nan, 3.0, 0.0])
    b = np.array([1000.0, -1001.0, np.inf, -np.inf, -np.inf, 2.0, 1.0, np.nan, 0.0])
    for name in ("logaddexp", "logaddexp2"):
        for dtype in (np.float32, np.float64):
            check_op(getattr(glia, name), getattr(torch, name), a.astype(dtype),
                     b.astype(dtype), grad=False)
    # at a tie each side gets half the gradient, and equal infinities give no nan
    x = glia.tensor(np.array([2.0, np.inf, -np.inf]), requires_grad=True)
    y = glia.tensor(np.array([2.0, np.inf, -np.inf]), requires_grad=True)
    glia.logaddexp(x, y).sum().backward()
    assert x.grad.numpy()[0] == 0.5 and y.grad.numpy()[0] == 0.5
    assert not np.isnan(x.grad.numpy()).any()


def test_xlogy_zeros_nans_and_scalars_match_torch():
    x = np.array([0.0, 0.0, 0.0, 2.0, -1.5, np.nan, 0.0])
    y = np.array([0.0, 3.0, np.nan, 0.0, 2.0, 1.0, np.inf])
    check_op(glia.xlogy, torch.xlogy, x, y, grad=False)
    check_op(lambda t: glia.xlogy(t, 2.5), lambda t: torch.xlogy(t, 2.5), x, grad=False)
    check_op(lambda t: glia.xlogy(3, t), lambda t: torch.xlogy(3, t), positive((4,)))
    # no nan gradient where x is 0 and y is 0
    t = glia.tensor(np.array([0.0, 1.0]), requires_grad=True)
    glia.xlogy(t, glia.tensor(np.array([0.0, 2.0]))).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), [0.0, np.log(2.0)])
    # integer inputs give float32, as torch
    assert_close(glia.xlogy(glia.tensor([0, 2, 3]), glia.tensor([0, 4, 1])),
                 torch.xlogy(torch.tensor([0, 2, 3]), torch.tensor([0, 4, 1])))


# ---- lerp, addcmul, addcdiv (three inputs) ----

@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (3, 4)),
                                    ((4,), (2, 3, 4), (3, 1)), ((0, 2), (2,), ()),
                                    ((), (), ())])
def test_lerp_matches_torch(shapes):
    s, e, w = (randn(sh, ("lerp", i)) for i, sh in enumerate(shapes))
    check_op(glia.lerp, torch.lerp, s, e, w, rtol=1e-10, atol=1e-12)
    check_op(lambda a, b, c: a.lerp(b, c), lambda a, b, c: a.lerp(b, c), s, e, w,
             rtol=1e-10, atol=1e-12)
    for weight in (0.0, 0.25, 0.5, 1.0, 1.7, -0.3):
        check_op(lambda a, b: glia.lerp(a, b, weight), lambda a, b: torch.lerp(a, b, weight),
                 s, e, rtol=1e-10, atol=1e-12)
    gradcheck(glia.lerp, randn((3, 4), "ls"), randn((4,), "le"), randn((3, 1), "lw"))


def test_lerp_is_exact_at_both_ends_like_torch():
    s = np.array([1e10, -3.3, 0.1], np.float32)
    e = np.array([1.0, 7.7, 1e-8], np.float32)
    for w in (0.0, 1.0):
        out = glia.lerp(glia.tensor(s), glia.tensor(e), w).numpy()
        np.testing.assert_array_equal(out, torch.lerp(torch.tensor(s), torch.tensor(e), w).numpy())
        np.testing.assert_array_equal(out, s if w == 0 else e)


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("value", [1, 0.5, -2])
def test_addcmul_addcdiv_match_torch(name, value):
    x, t1, t2 = randn((3, 4), name), randn((3, 1), (name, 1)), positive((4,), (name, 2))
    check_op(lambda a, b, c: getattr(glia, name)(a, b, c, value=value),
             lambda a, b, c: getattr(torch, name)(a, b, c, value=value), x, t1, t2,
             rtol=1e-10, atol=1e-12)
    check_op(lambda a, b, c: getattr(a, name)(b, c, value=value),
             lambda a, b, c: getattr(a, name)(b, c, value=value), x, t1, t2,
             rtol=1e-10, atol=1e-12)
    gradcheck(lambda a, b, c: getattr(glia, name)(a, b, c, value=value), x, t1, t2)


# ---- unary composites ----

UNARY = {  # name -> domain
    "logit": probs, "deg2rad": randn, "rad2deg": randn, "frac": randn, "sinc": randn,
}


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (0, 3), (1, 1, 3)])
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_composites_match_torch(name, shape):
    x = UNARY[name](shape, name)
    if name == "frac":
        x = np.asarray(3 * x + 0.1)  # not on an integer, where frac jumps
    for dtype, tol in ((np.float64, dict(rtol=1e-10, atol=1e-12)),
                       (np.float32, dict(rtol=1e-4, atol=1e-5))):
        check_op(getattr(glia, name), getattr(torch, name), x.astype(dtype), **tol)
        check_op(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), x.astype(dtype),
                 **tol)


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_composites_gradcheck(name):
    x = UNARY[name]((3, 4), ("g", name))
    gradcheck(getattr(glia, name), 3 * x + 0.1 if name == "frac" else x)


def test_logit_eps_and_sinc_at_zero_match_torch():
    p = np.array([0.0, 1e-8, 0.3, 0.999999, 1.0, 0.5])
    for eps in (None, 1e-6, 0.1):
        check_op(lambda t: glia.logit(t, eps), lambda t: torch.logit(t, eps), p,
                 grad=eps is not None and eps >= 0.1, rtol=1e-10, atol=1e-12)
    x = np.array([0.0, 1.0, -2.0, 0.5, 1e-9])
    check_op(glia.sinc, torch.sinc, x, rtol=1e-10, atol=1e-12, grad=False)
    check_op(glia.sinc, torch.sinc, x, rtol=1e-10, atol=1e-6)  # cancellation in d/dx near 0
    # integers become float32
    for name in ("logit", "deg2rad", "rad2deg", "sinc"):
        assert_close(getattr(glia, name)(glia.tensor([0, 1, 2])),
                     getattr(torch, name)(torch.tensor([0, 1, 2])))


def test_nan_to_num_matches_torch():
    x = np.array([[np.nan, np.inf, -np.inf], [1.5, -0.0, 3e38]])
    for dtype in (np.float32, np.float64):
        for kw in ({}, dict(nan=7.0), dict(nan=-1.0, posinf=100.0, neginf=-100.0),
                   dict(posinf=2.0)):
            check_op(lambda t: glia.nan_to_num(t, **kw), lambda t: torch.nan_to_num(t, **kw),
                     x.astype(dtype), grad=False)
            check_op(lambda t: t.nan_to_num(**kw), lambda t: t.nan_to_num(**kw),
                     x.astype(dtype), grad=False)
    check_op(glia.nan_to_num, torch.nan_to_num, np.array([3, -4]), grad=False)
    # the gradient passes where a value is kept and is zero where it was replaced
    check_op(glia.nan_to_num, torch.nan_to_num, randn((3, 4), "n2n"))


def test_heaviside_matches_torch():
    x = np.array([[-1.5, 0.0, 2.0], [0.0, -0.0, 3.0]])
    v = np.array([0.5, 7.0, -1.0])
    check_op(glia.heaviside, torch.heaviside, x, v, grad=False)
    check_op(glia.heaviside, torch.heaviside, np.array([-2, 0, 5]), np.array([9]), grad=False)
    check_raises(lambda: glia.heaviside(glia.tensor([1.0]), glia.tensor([1])), TypeError,
                 "heaviside", "dtype")


# ---- comparisons ----

def test_isclose_allclose_equal_match_torch():
    a = np.array([1.0, 1.0 + 1e-6, 1.0 + 1e-4, np.inf, np.inf, np.nan, 0.0, -np.inf, 1e-9])
    b = np.array([1.0, 1.0, 1.0, np.inf, -np.inf, np.nan, 1e-9, -np.inf, 0.0])
    for kw in ({}, dict(rtol=1e-3), dict(atol=1e-8, rtol=0), dict(equal_nan=True),
               dict(rtol=0, atol=0)):
        for dtype in (np.float32, np.float64):
            check_op(lambda x, y: glia.isclose(x, y, **kw), lambda x, y: torch.isclose(x, y, **kw),
                     a.astype(dtype), b.astype(dtype), grad=False)
        assert glia.allclose(glia.tensor(a), glia.tensor(b), **kw) == torch.allclose(
            torch.tensor(a), torch.tensor(b), **kw)
    # broadcasting, integers and the method forms
    check_op(glia.isclose, torch.isclose, np.array([[1, 2], [3, 4]]), np.array([1, 5]),
             grad=False)
    assert glia.tensor(a).allclose(glia.tensor(a), equal_nan=True)
    assert glia.allclose(glia.tensor([1.0, 2.0]), glia.tensor([1.0, 2.0 + 1e-9]))
    assert not glia.allclose(glia.tensor([1.0, 2.0]), glia.tensor([1.0, 2.1]))
    check_raises(lambda: glia.isclose(glia.tensor(a), glia.tensor(b), rtol=-1), ValueError,
                 "isclose", "rtol=-1")
    # equal: same shape and values
    x = glia.tensor([[1.0, 2.0]])
    assert glia.equal(x, glia.tensor([[1.0, 2.0]])) and x.equal(glia.tensor([[1.0, 2.0]]))
    assert not glia.equal(x, glia.tensor([1.0, 2.0]))  # same values, other shape
    assert not glia.equal(x, glia.tensor([[1.0, 2.5]]))


def test_isposinf_isneginf_match_torch():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, 3.0])
    for name in ("isposinf", "isneginf"):
        check_op(getattr(glia, name), getattr(torch, name), x, grad=False)
        check_op(getattr(glia, name), getattr(torch, name), np.array([1, -2]), grad=False)


# ---- reductions ----

@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), -1])
def test_count_nonzero_nansum_nanmean_match_torch(dim):
    x = randn((4, 5), "nan")
    x[x > 1.0] = np.nan
    x[0, 0] = 0.0
    check_op(lambda t: glia.count_nonzero(t, dim), lambda t: torch.count_nonzero(t, dim),
             x, grad=False)
    check_op(lambda t: glia.count_nonzero(t, dim), lambda t: torch.count_nonzero(t, dim),
             np.array([[0, 1, 2, 0, 3]] * 4), grad=False)
    kw = {} if dim is None else dict(dim=dim)
    for keepdim in ((False, True) if dim is not None else (False,)):
        if dim is not None:
            kw["keepdim"] = keepdim
        check_op(lambda t: glia.nansum(t, **kw), lambda t: torch.nansum(t, **kw), x,
                 rtol=1e-10, atol=1e-12)
        check_op(lambda t: glia.nanmean(t, **kw), lambda t: torch.nanmean(t, **kw), x,
                 rtol=1e-10, atol=1e-12)
        check_op(lambda t: t.nansum(**kw), lambda t: t.nansum(**kw), x, rtol=1e-10, atol=1e-12)
    check_raises(lambda: glia.nanmean(glia.tensor([1, 2])), TypeError, "nanmean", "int64")


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_aminmax_matches_torch(dim, keepdim):
    x = randn((3, 4), "amm")
    kw = {} if dim is None else dict(dim=dim, keepdim=keepdim)
    g, t = glia.aminmax(glia.tensor(x), **kw), torch.aminmax(torch.tensor(x), **kw)
    assert_close(g.min, t.min)
    assert_close(g.max, t.max)
    assert_close(tuple(glia.tensor(x).aminmax(**kw)), tuple(t))
    check_raises(lambda: glia.aminmax(glia.zeros((0,))), RuntimeError, "aminmax", "empty")


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
@pytest.mark.parametrize("dim", [None, 0, (0, 2)])
@pytest.mark.parametrize("correction", [0, 1, 2])
def test_var_mean_std_mean_match_torch(name, dim, correction):
    x = randn((4, 3, 5), name)
    kw = dict(correction=correction, keepdim=dim == 0)
    # the pair stacked, so that check_op compares both values and both gradients
    check_op(lambda t: glia.stack(list(getattr(glia, name)(t, dim, **kw))),
             lambda t: torch.stack(getattr(torch, name)(t, dim, **kw)), x,
             rtol=1e-10, atol=1e-12)
    check_op(lambda t: glia.stack(list(getattr(glia, name)(t, dim, unbiased=False))),
             lambda t: torch.stack(getattr(torch, name)(t, dim, unbiased=False)), x,
             rtol=1e-10, atol=1e-12)
    gradcheck(lambda t: getattr(glia, name)(t, dim, **kw)[0], x)


# ---- keyword forms of add, sub and div ----

@pytest.mark.parametrize("alpha", [1, 2, -0.5])
@pytest.mark.parametrize("name", ["add", "sub"])
def test_add_sub_alpha_match_torch(name, alpha):
    a, b = randn((3, 4), name), randn((4,), (name, "b"))
    check_op(lambda x, y: getattr(glia, name)(x, y, alpha=alpha),
             lambda x, y: getattr(torch, name)(x, y, alpha=alpha), a, b, rtol=1e-12, atol=1e-12)
    check_op(lambda x, y: getattr(x, name)(y, alpha=alpha),
             lambda x, y: getattr(x, name)(y, alpha=alpha), a, b, rtol=1e-12, atol=1e-12)
    check_op(lambda x: getattr(glia, name)(x, 3, alpha=alpha),
             lambda x: getattr(torch, name)(x, 3, alpha=alpha), a, rtol=1e-12, atol=1e-12)
    if isinstance(alpha, int):
        i, j = np.array([[5, -7]]), np.array([3, 2])
        check_op(lambda x, y: getattr(glia, name)(x, y, alpha=alpha),
                 lambda x, y: getattr(torch, name)(x, y, alpha=alpha), i, j)


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
def test_div_rounding_mode_matches_torch(mode):
    i, j = np.array([[-7, 7, -8, 9, 0]]), np.array([[2], [-3]])
    f = np.array([[-7.5, 7.5, -8.0, 9.25, 0.0]])
    for a, b in ((i, j), (f, j), (i, j.astype(np.float64)), (f, np.array([[2.0], [-3.0]]))):
        check_op(lambda x, y: glia.div(x, y, rounding_mode=mode),
                 lambda x, y: torch.div(x, y, rounding_mode=mode), a, b, grad=False)
        check_op(lambda x, y: x.div(y, rounding_mode=mode),
                 lambda x, y: x.div(y, rounding_mode=mode), a, b, grad=False)
    for s in (2, -3, 2.5):
        check_op(lambda x: glia.div(x, s, rounding_mode=mode),
                 lambda x: torch.div(x, s, rounding_mode=mode), i, grad=False)
    check_raises(lambda: glia.div(glia.tensor(f), 2, rounding_mode="round"), ValueError,
                 "div", "'round'")
    for mode in ("trunc", "floor"):
        check_raises(lambda: glia.div(glia.tensor(i), 0, rounding_mode=mode), RuntimeError,
                     "division by zero")
    check_raises(lambda: glia.div(glia.tensor(i), glia.tensor([[1], [0]]), rounding_mode="trunc"),
                 RuntimeError, "div", "division by zero")


# ---- aliases ----

ALIASES = {
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
    "arctanh": "atanh", "absolute": "abs", "negative": "neg", "fix": "trunc", "sgn": "sign",
}


@pytest.mark.parametrize("alias", list(ALIASES))
def test_unary_aliases_match_torch(alias):
    x = 0.9 * np.tanh(randn((3, 4), alias))
    grad = alias not in ("fix", "sgn")  # torch's zero gradient there is a ZeroTensor
    check_op(getattr(glia, alias), getattr(torch, alias), x, grad=grad, rtol=1e-10, atol=1e-12)
    check_op(lambda t: getattr(t, alias)(), lambda t: getattr(t, alias)(), x, grad=grad,
             rtol=1e-10, atol=1e-12)
    assert getattr(glia, alias) is getattr(glia, ALIASES[alias])


def test_arccosh_and_positive_match_torch():
    x = positive((3, 4), "acosh") + 1.0
    check_op(glia.arccosh, torch.arccosh, x, rtol=1e-10, atol=1e-12)
    check_op(glia.positive, torch.positive, x)
    check_raises(lambda: glia.positive(glia.tensor([True])), TypeError, "positive", "bool")


BINARY_ALIASES = ["arctan2", "multiply", "subtract", "divide", "true_divide", "greater",
                  "greater_equal", "less", "less_equal", "not_equal", "float_power"]


@pytest.mark.parametrize("alias", BINARY_ALIASES)
def test_binary_aliases_match_torch(alias):
    a, b = positive((3, 4), alias), positive((4,), (alias, "b"))
    check_op(getattr(glia, alias), getattr(torch, alias), a, b, rtol=1e-10, atol=1e-12)
    check_op(lambda x, y: getattr(x, alias)(y), lambda x, y: getattr(x, alias)(y), a, b,
             rtol=1e-10, atol=1e-12)
    if alias != "arctan2":  # torch takes no number there
        check_op(lambda x: getattr(glia, alias)(x, 2), lambda x: getattr(torch, alias)(x, 2),
                 a, rtol=1e-10, atol=1e-12)


def test_float_power_computes_in_float64_like_torch():
    check_op(glia.float_power, torch.float_power, np.array([2, 3]), np.array([0.5, 2]),
             grad=False)
    check_op(lambda x: glia.float_power(x, 2), lambda x: torch.float_power(x, 2),
             np.array([1.5, 2.0], np.float32))
    assert_close(glia.float_power(2, glia.tensor([1.0, 0.5])),
                 torch.float_power(2, torch.tensor([1.0, 0.5])))


@pytest.mark.parametrize("lo,hi", [(-0.5, None), (None, 0.5)])
def test_clamp_min_clamp_max_clip_match_torch(lo, hi):
    x = randn((3, 4), "clamp")
    if lo is not None:
        check_op(lambda t: glia.clamp_min(t, lo), lambda t: torch.clamp_min(t, lo), x)
        check_op(lambda t: t.clamp_min(lo), lambda t: t.clamp_min(lo), x)
        bound = randn((4,), "lo")
        check_op(glia.clamp_min, torch.clamp_min, x, bound)
    else:
        check_op(lambda t: glia.clamp_max(t, hi), lambda t: torch.clamp_max(t, hi), x)
        check_op(lambda t: t.clamp_max(hi), lambda t: t.clamp_max(hi), x)
        bound = randn((4,), "hi")
        check_op(glia.clamp_max, torch.clamp_max, x, bound)
    check_op(lambda t: glia.clip(t, lo, hi), lambda t: torch.clip(t, lo, hi), x)
