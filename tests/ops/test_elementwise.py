"""Elementwise ops vs PyTorch: binary arithmetic (functions, methods, operators, scalars on
either side), minimum/maximum/atan2/where/clamp, unary math, comparisons and logic, dtype
promotion, gradients (torch and finite differences, broadcast reduction), in-place ops and
their errors."""
import operator
import zlib

import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_op, check_raises, gradcheck, to_torch

DTYPES = [np.float32, np.float64]


# ---- local tools ----

def _rng(*key):
    """A generator seeded by `key`, so each test's inputs do not depend on the test order."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _frac_away(x):
    """x moved away from integers and half-integers (the jumps of floor/ceil/round)."""
    x = 3 * x
    base = np.floor(x)
    f = x - base
    return base + np.where(f < 0.5, 0.1 + 0.6 * f, 0.6 + 0.6 * (f - 0.5))


DOMAINS = {
    "any": lambda x: x,
    "pos": lambda x: np.abs(x) + 0.5,                      # log, sqrt, rsqrt, pow base
    "nonzero": lambda x: x + np.where(x >= 0, 0.25, -0.25),  # abs, sign, relu, divisors
    "gt-1": lambda x: np.abs(x) - 0.5,                     # log1p
    "frac": _frac_away,                                    # floor, ceil, round
    "unit": lambda x: 0.9 * np.tanh(x),                    # asin, acos, atanh, tan
    "gt1": lambda x: np.abs(x) + 1.1,                      # acosh
}


def arr(shape, dtype=np.float64, domain="any", key=()):
    x = _rng(shape, np.dtype(dtype).name, domain, key).standard_normal(shape)
    return np.asarray(DOMAINS[domain](x), dtype=dtype)


def tol(dtype):
    return dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-7, atol=1e-9)


def gl(a, requires_grad=False):
    """A glia tensor holding a copy of numpy `a` with its dtype kept."""
    t = glia.from_numpy(np.array(a, copy=True))
    return t.requires_grad_(True) if requires_grad else t


def th(a, requires_grad=False):
    return to_torch(np.array(a, copy=True), requires_grad)


BROADCAST_PAIRS = [
    ((3, 1), (1, 4)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 3, 4)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((), ()),
    ((0, 3), (1, 3)),
    ((0, 3), (3,)),
    ((1,), (5,)),
    ((2, 1, 3), (1, 4, 1)),
    ((4, 5), (4, 5)),
    ((300, 257), (300, 257)),  # above the parallel grain: split over threads
]

# name -> (domain of a, domain of b, operator or None)
BINARY = {
    "add": ("any", "any", operator.add),
    "sub": ("any", "any", operator.sub),
    "mul": ("any", "any", operator.mul),
    "div": ("any", "nonzero", operator.truediv),
    "pow": ("pos", "any", operator.pow),
    "minimum": ("any", "any", None),
    "maximum": ("any", "any", None),
    "atan2": ("nonzero", "nonzero", None),
}

# name -> domain of the input (chosen away from non-differentiable points)
UNARY = {
    "neg": "any", "exp": "any", "expm1": "any", "log": "pos", "log1p": "gt-1", "sqrt": "pos",
    "rsqrt": "pos", "abs": "nonzero", "sign": "nonzero", "sin": "any", "cos": "any",
    "tanh": "any", "sigmoid": "any", "relu": "nonzero", "square": "any",
    "reciprocal": "nonzero", "floor": "frac", "ceil": "frac", "round": "frac", "erf": "any",
    "erfc": "any", "tan": "unit", "asin": "unit", "acos": "unit", "atan": "any", "sinh": "any",
    "cosh": "any", "asinh": "any", "acosh": "gt1", "atanh": "unit", "lgamma": "pos",
    "digamma": "pos", "erfinv": "unit",
}

UNARY_SHAPES = [(), (5,), (3, 4), (2, 3, 4), (0, 3), (1, 1, 3), (300, 257)]  # the last splits over threads


def _separated(shape_a, shape_b, key, margin=0.05):
    """Float64 inputs whose broadcast pairs differ by at least `margin` (no ties/kinks)."""
    for k in range(100):
        a, b = arr(shape_a, key=(key, k, "a")), arr(shape_b, key=(key, k, "b"))
        if a.size == 0 or b.size == 0 or np.min(np.abs(a - b)) >= margin:
            return a, b
    raise AssertionError("could not draw separated inputs")


# ---- binary tensor-tensor ----

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_broadcast_matches_torch(name, sa, sb, dtype):
    da, db, _ = BINARY[name]
    a, b = arr(sa, dtype, da, (name, "a")), arr(sb, dtype, db, (name, "b"))
    check_op(getattr(glia, name), getattr(torch, name), a, b, **tol(dtype))


@pytest.mark.parametrize("name,form", [(n, f) for n in BINARY for f in ("fn", "method", "op")
                                       if f != "op" or BINARY[n][2] is not None])
def test_binary_forms_match_torch(name, form):
    da, db, op = BINARY[name]
    if form == "fn":
        gf, tf = getattr(glia, name), getattr(torch, name)
    elif form == "method":
        gf = tf = lambda x, y: getattr(x, name)(y)
    else:
        gf = tf = op
    for sa, sb in [((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3))]:
        check_op(gf, tf, arr(sa, np.float64, da, form), arr(sb, np.float64, db, form))


def test_minimum_maximum_ties_split_gradient_like_torch():
    a = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]])
    b = np.array([1.0, 0.0, 3.0])
    for name in ("minimum", "maximum"):
        check_op(getattr(glia, name), getattr(torch, name), a, b)
    # tied inputs share the gradient equally
    x, y = gl(np.array([2.0]), True), gl(np.array([2.0]), True)
    glia.maximum(x, y).sum().backward()
    assert x.grad.tolist() == [0.5] and y.grad.tolist() == [0.5]


def test_maximum_minimum_nan_propagates_like_torch():
    a = np.array([np.nan, 1.0, 2.0])
    b = np.array([0.0, np.nan, 1.0])
    for name in ("minimum", "maximum"):
        check_op(getattr(glia, name), getattr(torch, name), a, b, grad=False)


def test_sub_of_bool_tensors_raises():
    b = glia.tensor([True, False])
    check_raises(lambda: b - b, TypeError, "sub", "bool")


# ---- binary with a Python number ----

SCALARS = [2, -3, 0.5, -1.5, True]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("s", SCALARS)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_tensor_scalar_arithmetic_matches_torch(name, s, dtype):
    da, _, op = BINARY[name]
    a = arr((3, 4), dtype, da, name)
    if name in ("sub", "div") and s is True:  # torch has no float - True
        s = 4.0
    ref = lambda x: op(x, s)  # noqa: E731
    forms = [lambda x: op(x, s), lambda x: getattr(glia, name)(x, s),
             lambda x: getattr(x, name)(s)]
    for f in forms:
        check_op(f, ref, a, **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("s", SCALARS)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_scalar_tensor_reflected_matches_torch(name, s, dtype):
    """s + t, s - t, s * t, s / t, s ** t, and glia.<op>(s, t)."""
    _, db, op = BINARY[name]
    if name == "pow":
        s = abs(float(s)) + 0.5   # positive base: real result and a log for the gradient
        db = "any"
    elif name in ("sub", "div") and s is True:  # torch has no True - float
        s = 4.0
    b = arr((3, 4), dtype, db, (name, "r"))
    ref = lambda y: op(s, y)  # noqa: E731
    for f in [lambda y: op(s, y), lambda y: getattr(glia, name)(s, y)]:
        check_op(f, ref, b, **tol(dtype))


@pytest.mark.parametrize("s", [2, -0.75, 1.5])
@pytest.mark.parametrize("name", ["minimum", "maximum", "atan2"])
def test_minmax_atan2_with_scalar(name, s):
    """glia.maximum(t, 2.0) etc.: the number acts as a 0-d tensor of t's dtype."""
    a = arr((3, 4), np.float32, "nonzero", name)
    ref = lambda x: getattr(torch, name)(x, torch.tensor(s, dtype=x.dtype))  # noqa: E731
    rref = lambda x: getattr(torch, name)(torch.tensor(s, dtype=x.dtype), x)  # noqa: E731
    check_op(lambda x: getattr(glia, name)(x, s), ref, a)
    check_op(lambda x: getattr(x, name)(s), ref, a)
    check_op(lambda x: getattr(glia, name)(s, x), rref, a)


@pytest.mark.parametrize("p", [0, 1, 2, 3, -1, 0.5, 2.0, -1.5, 3.5])
def test_pow_scalar_exponent_values_and_grad(p):
    a = arr((2, 5), np.float64, "pos", "powexp")
    check_op(lambda x: x ** p, lambda x: x ** p, a)
    check_op(lambda x: glia.pow(x, p), lambda x: torch.pow(x, p), a)
    gradcheck(lambda x: x ** p, a)


def test_integer_pow_negative_exponent_raises():
    """torch: 'Integers to negative integer powers are not allowed.'"""
    msg = "integers to negative integer powers are not allowed"
    check_raises(lambda: glia.tensor([1, 2, 3]) ** -1, ValueError, "pow", msg)
    check_raises(lambda: glia.pow(glia.tensor([1, 2, 3]), -1), ValueError, "pow", msg)


# ---- unary ----

@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_large_contiguous_where_and_clamp_match_numpy(dtype, threads, restore_threads):
    # one contiguous run split over the threads, and the branch-free selects: NaN passes
    # through clamp, random conditions pick from both sides
    glia.set_num_threads(threads)
    rng = np.random.default_rng(3)
    a = (rng.standard_normal(100_003) * 3).astype(dtype)
    b = (rng.standard_normal(100_003) * 3).astype(dtype)
    if dtype in (np.float32, np.float64):
        a[::7] = np.nan
    cond = rng.standard_normal(100_003) > 0
    out = glia.where(glia.tensor(cond), glia.tensor(a), glia.tensor(b)).numpy()
    np.testing.assert_array_equal(out, np.where(cond, a, b))
    if dtype is not np.bool_:
        clamped = glia.tensor(a).clamp(-1, 2).numpy()
        np.testing.assert_array_equal(clamped, torch.tensor(a).clamp(-1, 2).numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", UNARY_SHAPES)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_matches_torch(name, shape, dtype):
    a = arr(shape, dtype, UNARY[name], name)
    check_op(getattr(glia, name), getattr(torch, name), a, **tol(dtype))


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("name", list(BINARY) + list(UNARY))
def test_large_inputs_split_over_threads_match_torch(name, threads, restore_threads):
    # above the parallel grain the elements go to the threads in chunks, whatever the
    # machine's default thread count
    glia.set_num_threads(threads)
    if name in BINARY:
        da, db, _ = BINARY[name]
        a, b = arr((300, 257), np.float64, da, (name, "ta")), arr((257,), np.float64, db, (name, "tb"))
        check_op(getattr(glia, name), getattr(torch, name), a, b, **tol(np.float64))
    else:
        a = arr((300, 257), np.float64, UNARY[name], (name, "t"))
        check_op(getattr(glia, name), getattr(torch, name), a, **tol(np.float64))


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_method_matches_torch(name):
    a = arr((3, 4), np.float64, UNARY[name], (name, "m"))
    check_op(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), a)


def test_unary_operators_match_torch():
    a = arr((3, 4), np.float32, "nonzero", "ops")
    check_op(lambda x: -x, lambda x: -x, a)
    check_op(lambda x: abs(x), lambda x: abs(x), a)


def test_unary_special_values_match_torch():
    a = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-30, 80.0, -80.0])
    for name in ["neg", "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "abs", "sign",
                 "tanh", "sigmoid", "relu", "square", "reciprocal", "floor", "ceil", "round",
                 "erf", "erfc", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh",
                 "atanh"]:
        x = a[~np.isnan(a)] if name == "sign" else a  # torch.sign(nan) is 0, numpy's nan
        check_op(getattr(glia, name), getattr(torch, name), x, grad=False)


def test_round_half_to_even_like_torch():
    a = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997, -3.7])
    for dtype in DTYPES:
        check_op(glia.round, torch.round, a.astype(dtype), grad=False)


def test_kink_gradients_match_torch():
    """abs/relu/sign at 0 and clamp at its bounds: the same subgradient as torch."""
    a = np.array([-1.0, 0.0, 0.0, 1.0, 2.0, -2.0])
    for name in ("abs", "relu", "sign"):
        check_op(getattr(glia, name), getattr(torch, name), a)
    check_op(lambda x: glia.clamp(x, -1.0, 1.0), lambda x: torch.clamp(x, -1.0, 1.0), a)


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_gradcheck(name):
    gradcheck(getattr(glia, name), arr((3, 4), np.float64, UNARY[name], (name, "gc")))


# ---- clamp ----

CLAMPS = [(-0.5, 0.5), (None, 0.3), (-0.3, None), (0.2, 0.2), (1, 2)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lo,hi", CLAMPS)
def test_clamp_matches_torch(lo, hi, dtype):
    for shape in [(3, 4), (), (0, 2), (2, 3, 4)]:
        a = arr(shape, dtype, "any", "clamp")
        ref = lambda x: torch.clamp(x, lo, hi)  # noqa: E731
        check_op(lambda x: glia.clamp(x, lo, hi), ref, a, **tol(dtype))
        check_op(lambda x: glia.clamp(x, min=lo, max=hi), ref, a, **tol(dtype))
        check_op(lambda x: x.clamp(lo, hi), ref, a, **tol(dtype))
        check_op(lambda x: x.clip(lo, hi), ref, a, **tol(dtype))


@pytest.mark.parametrize("lo,hi", [(-0.5, 0.5), (None, 0.3), (-0.3, None)])
def test_clamp_gradcheck(lo, hi):
    a = arr((4, 5), np.float64, "any", "clampgc")
    for bound in (lo, hi):  # keep the inputs away from the kinks
        if bound is not None:
            a = np.where(np.abs(a - bound) < 0.05, a + 0.1, a)
    gradcheck(lambda x: glia.clamp(x, lo, hi), a)


def test_clamp_without_bounds_raises():
    check_raises(lambda: glia.clamp(glia.ones((2,))), RuntimeError, "clamp", "min", "max")


# ---- where ----

WHERE_SHAPES = [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), ()), ((4,), (2, 3, 4), (3, 1)),
                ((), (2, 3), (2, 3)), ((0, 3), (3,), (1, 3))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sc,sa,sb", WHERE_SHAPES)
def test_where_matches_torch(sc, sa, sb, dtype):
    cond = _rng(sc, "cond").random(sc) > 0.5
    a, b = arr(sa, dtype, key="wa"), arr(sb, dtype, key="wb")
    gc = glia.from_numpy(np.array(cond, copy=True))
    tc = torch.from_numpy(np.array(cond, copy=True))
    check_op(lambda x, y: glia.where(gc, x, y), lambda x, y: torch.where(tc, x, y), a, b,
             **tol(dtype))
    check_op(lambda x: glia.where(gc, x, 0.5), lambda x: torch.where(tc, x, 0.5), a, **tol(dtype))
    check_op(lambda y: glia.where(gc, -2, y), lambda y: torch.where(tc, -2, y), b, **tol(dtype))


def test_where_scalars_and_gradcheck():
    c = np.array([[True, False, True, False]])
    gc, tc = gl(c), th(c)
    assert_close(glia.where(gc, 1.0, 0.0), torch.where(tc, 1.0, 0.0))
    assert_close(glia.where(gc, 3, 0), torch.where(tc, 3, 0))
    gradcheck(lambda x, y: glia.where(gc, x, y), arr((3, 1), key="g1"), arr((4,), key="g2"))
    gradcheck(lambda x: glia.where(gc, x, 7.0), arr((2, 4), key="g3"))


def test_where_needs_bool_condition():
    x = glia.ones((2,))
    check_raises(lambda: glia.where(x, x, x), TypeError, "where", "bool")


# ---- comparisons and logic ----

COMPARE = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
           "gt": operator.gt, "ge": operator.ge}


def _ties(shape, dtype, key):
    """Small whole numbers, so that equal pairs occur."""
    return np.asarray(_rng(shape, key).integers(-2, 3, shape), dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS)
@pytest.mark.parametrize("name", list(COMPARE))
def test_comparisons_match_torch(name, sa, sb, dtype):
    a, b = _ties(sa, dtype, "a"), _ties(sb, dtype, "b")
    op = COMPARE[name]
    check_op(getattr(glia, name), getattr(torch, name), a, b)
    check_op(op, op, a, b)
    check_op(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), a, b)


@pytest.mark.parametrize("name", list(COMPARE))
def test_comparisons_with_scalars_nan_and_mixed_dtypes(name):
    op = COMPARE[name]
    a = np.array([[-1.0, 0.0, 1.0, np.nan], [1.0, 1.5, np.inf, -np.inf]])
    for s in (1, 1.5, -np.inf):
        check_op(lambda x: op(x, s), lambda x: op(x, s), a)
        check_op(lambda x: op(s, x), lambda x: op(s, x), a)  # reflected: s < t -> t > s
        check_op(lambda x: getattr(glia, name)(x, s), lambda x: getattr(torch, name)(x, s), a)
    check_op(op, op, a, a[::-1].copy())
    # int64 vs float, int64 vs a float number, float32 vs float64
    i = np.array([[0, 1, 2, 3]])
    check_op(op, op, i, np.array([[0.5], [1.0]]))
    check_op(lambda x: op(x, 1.5), lambda x: op(x, 1.5), i)
    check_op(op, op, a.astype(np.float32), np.array([1.0, 1.5, 2.0, np.nan]))


LOGICAL = {"logical_and": operator.and_, "logical_or": operator.or_,
           "logical_xor": operator.xor}


@pytest.mark.parametrize("sa,sb", [((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3)),
                                   ((0, 3), (3,))])
@pytest.mark.parametrize("name", list(LOGICAL))
def test_logical_binary_match_torch(name, sa, sb):
    r = _rng(name, sa, sb)
    a, b = np.asarray(r.random(sa) > 0.5), np.asarray(r.random(sb) > 0.5)
    check_op(getattr(glia, name), getattr(torch, name), a, b)
    check_op(LOGICAL[name], LOGICAL[name], a, b)
    check_op(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), a, b)
    # numbers: nonzero is True (mixed dtypes too)
    fa = np.asarray(_ties(sa, np.float64, "la") * (r.random(sa) > 0.3))
    ib = _ties(sb, np.int64, "lb")
    check_op(getattr(glia, name), getattr(torch, name), fa, ib)


def test_logical_not_and_invert_match_torch():
    b = np.array([[True, False], [False, True]])
    f = np.array([0.0, -0.0, 1.5, np.nan, -2.0])
    i = np.array([0, 3, -1])
    for x in (b, f, i, np.zeros((0, 2), dtype=bool)):
        check_op(glia.logical_not, torch.logical_not, x)
        check_op(lambda t: t.logical_not(), lambda t: t.logical_not(), x)
    check_op(lambda t: ~t, lambda t: ~t, b)
    check_raises(lambda: ~gl(f), TypeError, "bool")


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_isnan_isinf_isfinite_match_torch(name):
    f = np.array([[0.0, np.nan, np.inf], [-np.inf, 1.0, np.nan]])
    for x in (f, f.astype(np.float32), np.array([1, 2]), np.array([True]), np.zeros((0,)),
              np.array(-np.inf)):
        check_op(getattr(glia, name), getattr(torch, name), x)
        check_op(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), x)


# ---- dtype promotion ----

_I = np.array([[1, -2, 3], [4, 5, -6]])
_I2 = np.array([[2, 3, -4], [5, -1, 7]])
_B = np.array([[True, False, True], [False, False, True]])
_B2 = np.array([[True, True, False], [False, True, True]])
_F = np.array([[0.5, -1.25, 2.0], [3.5, -0.75, 1.0]], dtype=np.float32)
_D = np.array([[1.5, 2.25, -3.0], [0.125, -4.5, 2.0]])

PROMOTION = {
    "int64 + float": lambda L, T: T(_I) + 1.5,
    "float + int64": lambda L, T: 2.5 + T(_I),
    "int64 * float": lambda L, T: T(_I) * 0.5,
    "add(int64, float)": lambda L, T: L.add(T(_I), 1.5),
    "int64 + int": lambda L, T: T(_I) + 2,
    "int64 / int64": lambda L, T: T(_I) / T(_I2),
    "div(int64, int64)": lambda L, T: L.div(T(_I), T(_I2)),
    "int64 / int": lambda L, T: T(_I) / 4,
    "int / int64": lambda L, T: 3 / T(_I),
    "float32 + float64": lambda L, T: T(_F) + T(_D),
    "float64 * float32": lambda L, T: T(_D) * T(_F),
    "float32 - int64": lambda L, T: T(_F) - T(_I),
    "int64 / float32": lambda L, T: T(_I) / T(_F),
    "float32 + int": lambda L, T: T(_F) + 3,
    "float32 + float": lambda L, T: T(_F) + 0.1,
    "bool + bool": lambda L, T: T(_B) + T(_B2),
    "bool * bool": lambda L, T: T(_B) * T(_B2),
    "add(bool, bool)": lambda L, T: L.add(T(_B), T(_B2)),
    "bool / bool": lambda L, T: T(_B) / T(_B2),
    "bool + True": lambda L, T: T(_B) + True,
    "bool + int64": lambda L, T: T(_B) + T(_I),
    "bool * int": lambda L, T: T(_B) * 3,
    "bool + float": lambda L, T: T(_B) + 1.5,
    "bool * float32": lambda L, T: T(_B) * T(_F),
    "int64 * True": lambda L, T: T(_I) * True,
    "float32 + 0-d float64": lambda L, T: T(_F) + T(np.array(2.5)),
    "0-d float64 * float32": lambda L, T: T(np.array(2.5)) * T(_F),
    "int64 + 0-d float32": lambda L, T: T(_I) + T(np.array(0.5, dtype=np.float32)),
    "int64 + 0-d float64": lambda L, T: T(_I) + T(np.array(0.5)),
    "0-d int64 + float32": lambda L, T: T(np.array(3)) + T(_F),
    "0-d float32 + 0-d float64": lambda L, T: T(np.array(1.5, dtype=np.float32)) + T(np.array(0.5)),
    "int64 + 0-d bool": lambda L, T: T(_I) + T(np.array(True)),
    "int64 ** 2": lambda L, T: T(_I) ** 2,
    "int64 ** 3": lambda L, T: T(_I) ** 3,
    "int64 ** 2.0": lambda L, T: T(_I) ** 2.0,
    "int64 ** 0.5": lambda L, T: T(np.abs(_I)) ** 0.5,
    "2 ** int64": lambda L, T: 2 ** T(np.abs(_I)),
    "2.0 ** int64": lambda L, T: 2.0 ** T(_I),
    "float32 ** int64": lambda L, T: T(_F) ** T(_I),
    "pow(int64, int64)": lambda L, T: L.pow(T(np.abs(_I)), T(np.abs(_I2))),
    "atan2(int64, int64)": lambda L, T: L.atan2(T(_I), T(_I2)),
    "maximum(int64, float64)": lambda L, T: L.maximum(T(_I), T(_D)),
    "minimum(int64, int64)": lambda L, T: L.minimum(T(_I), T(_I2)),
    "minimum(bool, bool)": lambda L, T: L.minimum(T(_B), T(_B2)),
    "where(bool, int64, float)": lambda L, T: L.where(T(_B), T(_I), 0.5),
    "where(bool, int64, int)": lambda L, T: L.where(T(_B), T(_I), 7),
    "where(bool, float32, float64)": lambda L, T: L.where(T(_B), T(_F), T(_D)),
    "where(bool, float32, 0-d float64)": lambda L, T: L.where(T(_B), T(_F), T(np.array(2.0))),
    "clamp(int64, int)": lambda L, T: L.clamp(T(_I), -1, 3),
    "clamp(int64, float)": lambda L, T: L.clamp(T(_I), 1.5),
    "exp(int64)": lambda L, T: L.exp(T(_I)),
    "sqrt(bool)": lambda L, T: L.sqrt(T(_B)),
    "log(int64)": lambda L, T: L.log(T(np.abs(_I))),
    "sigmoid(int64)": lambda L, T: L.sigmoid(T(_I)),
    "reciprocal(int64)": lambda L, T: L.reciprocal(T(_I)),
    "neg(int64)": lambda L, T: -T(_I),
    "abs(int64)": lambda L, T: L.abs(T(_I)),
    "sign(int64)": lambda L, T: L.sign(T(_I)),
    "relu(int64)": lambda L, T: L.relu(T(_I)),
    "square(int64)": lambda L, T: L.square(T(_I)),
    "square(bool)": lambda L, T: L.square(T(_B)),
    "floor(int64)": lambda L, T: L.floor(T(_I)),
    "ceil(int64)": lambda L, T: L.ceil(T(_I)),
    "round(int64)": lambda L, T: L.round(T(_I)),
    "int64 == float": lambda L, T: T(_I) == 3.0,
    "int64 < float32": lambda L, T: T(_I) < T(_F),
}


@pytest.mark.parametrize("case", list(PROMOTION))
def test_dtype_promotion_matches_torch(case):
    fn = PROMOTION[case]
    assert_close(fn(glia, gl), fn(torch, th), rtol=1e-5, atol=1e-7)


def test_mixed_dtype_gradients_keep_input_dtypes():
    """float32 + float64 -> float64 output, but each input's grad has the input's dtype."""
    a, b = arr((3, 1), np.float32, key="m1"), arr((4,), np.float64, key="m2")
    for name in ("add", "mul", "div", "maximum", "atan2"):
        check_op(getattr(glia, name), getattr(torch, name), a, b)
    # an int64 operand gets no gradient; the float one gets it in its own dtype
    i = np.array([[1], [-2], [3]])
    ga, ta = gl(a, True), th(a, True)
    (ga * gl(i)).sum().backward()
    (ta * th(i)).sum().backward()
    assert_close(ga.grad, ta.grad)


# ---- gradients: finite differences and broadcast reduction ----

GRAD_PAIRS = [((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3)), ((2, 3), ()),
              ((2, 1, 3), (1, 4, 1)), ((3, 4), (3, 4))]


@pytest.mark.parametrize("sa,sb", GRAD_PAIRS)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_gradcheck(name, sa, sb):
    da, db, _ = BINARY[name]
    if name in ("minimum", "maximum"):
        a, b = _separated(sa, sb, (name, sa, sb))
    else:
        a, b = arr(sa, np.float64, da, ("gc", "a")), arr(sb, np.float64, db, ("gc", "b"))
    gradcheck(getattr(glia, name), a, b)


@pytest.mark.parametrize("sa,sb", GRAD_PAIRS)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "maximum", "atan2"])
def test_broadcast_grad_is_reduced_to_input_shape(name, sa, sb):
    da, db, _ = BINARY[name]
    if name == "maximum":
        a, b = _separated(sa, sb, ("red", sa, sb))
    else:
        a, b = arr(sa, np.float64, da, ("red", "a")), arr(sb, np.float64, db, ("red", "b"))
    ga, gb, ta, tb = gl(a, True), gl(b, True), th(a, True), th(b, True)
    go, to = getattr(glia, name)(ga, gb), getattr(torch, name)(ta, tb)
    cot = _rng("cot", to.shape).standard_normal(tuple(to.shape))
    (go * gl(cot)).sum().backward()
    (to * th(cot)).sum().backward()
    assert tuple(ga.grad.shape) == sa and tuple(gb.grad.shape) == sb
    assert_close(ga.grad, ta.grad, rtol=1e-7, atol=1e-9)
    assert_close(gb.grad, tb.grad, rtol=1e-7, atol=1e-9)


def test_scalar_operand_gradcheck():
    a = arr((3, 4), np.float64, "pos", "sgc")
    for fn in [lambda x: 2 - x, lambda x: 3.0 / x, lambda x: 1.5 ** x, lambda x: x * -2.5,
               lambda x: x + 1, lambda x: x / 4, lambda x: glia.pow(2.0, x),
               lambda x: glia.maximum(x, 1.0), lambda x: glia.atan2(0.5, x)]:
        gradcheck(fn, a)


def test_same_tensor_on_both_sides_accumulates():
    a = arr((2, 3), np.float64, "pos", "self")
    for f in [lambda x: x * x, lambda x: x / x, lambda x: x ** x, lambda x: x - x,
              lambda x: glia.atan2(x, x) if isinstance(x, glia.Tensor) else torch.atan2(x, x)]:
        check_op(f, f, a)
    gradcheck(lambda x: x ** x + x * x, a)


# ---- in-place ops (under no_grad) ----

def _pair(a, requires_grad=False):
    return gl(a, requires_grad), th(a, requires_grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_inplace_arithmetic_matches_torch(dtype):
    a = arr((3, 4), dtype, "any", "ip")
    cases = [
        lambda x, o: x.add_(o[0]),
        lambda x, o: x.add_(o[0], alpha=2.5),
        lambda x, o: x.add_(o[1], alpha=-0.5),       # (4,) broadcast into (3, 4)
        lambda x, o: x.add_(1.5, alpha=2),
        lambda x, o: x.add_(3),
        lambda x, o: x.sub_(o[1]),
        lambda x, o: x.sub_(o[2], alpha=3.0),        # (3, 1)
        lambda x, o: x.sub_(0.25),
        lambda x, o: x.mul_(o[2]),
        lambda x, o: x.mul_(-2),
        lambda x, o: x.mul_(o[3]),                   # 0-d
        lambda x, o: x.div_(o[1]),
        lambda x, o: x.div_(4),
        lambda x, o: x.div_(0.5),
        lambda x, o: x.add_(o[4]),                   # float64 source into dtype: converted
    ]
    others = [arr((3, 4), dtype, key="o0"), arr((4,), dtype, "nonzero", "o1"),
              arr((3, 1), dtype, "nonzero", "o2"), arr((), dtype, "nonzero", "o3"),
              arr((3, 4), np.float32, key="o4")]
    for k, f in enumerate(cases):
        (gx, tx) = _pair(a)
        with glia.no_grad():
            gr = f(gx, [gl(o) for o in others])
        tr = f(tx, [th(o) for o in others])
        assert_close(gx, tx, **tol(dtype))
        assert_close(gr, tr, **tol(dtype))


def test_zero_fill_copy_match_torch():
    a = arr((3, 4), np.float32, key="zfc")
    ops = [
        lambda x, L, T: x.zero_(),
        lambda x, L, T: x.fill_(2.5),
        lambda x, L, T: x.fill_(-3),
        lambda x, L, T: x.copy_(T(np.arange(12.0, dtype=np.float32).reshape(3, 4))),
        lambda x, L, T: x.copy_(T(np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32))),  # (4,)
        lambda x, L, T: x.copy_(T(np.array([[1.0], [2.0], [3.0]]))),  # (3, 1), float64
        lambda x, L, T: x.copy_(T(np.array(7))),                      # 0-d int64
        lambda x, L, T: x.copy_(T(np.arange(12.0).reshape(4, 3)).T),  # non-contiguous src
    ]
    for f in ops:
        gx, tx = _pair(a)
        with glia.no_grad():
            f(gx, glia, gl)
        f(tx, torch, th)
        assert_close(gx, tx)
    i = np.array([[1, 2], [3, 4]])
    gi, ti = _pair(i)
    gi.fill_(2.7), ti.fill_(2.7)
    assert_close(gi, ti)
    gi.copy_(gl(np.array([1.9, -1.9]))), ti.copy_(th(np.array([1.9, -1.9])))
    assert_close(gi, ti)


def test_inplace_on_views_writes_through():
    """In-place ops on a transposed view, a slice and a row change the base like torch."""
    base = arr((4, 3), np.float64, key="view")
    gb, tb = _pair(base)
    with glia.no_grad():
        gb.T.add_(gl(np.arange(4.0)), alpha=2)
        gb[1:3].mul_(-1)
        gb[0].fill_(9)
        gb[:, 1].copy_(gl(np.array([5.0, 6.0, 7.0, 8.0])))
        gb[2:].zero_()
    tb.T.add_(th(np.arange(4.0)), alpha=2)
    tb[1:3].mul_(-1)
    tb[0].fill_(9)
    tb[:, 1].copy_(th(np.array([5.0, 6.0, 7.0, 8.0])))
    tb[2:].zero_()
    assert_close(gb, tb)


def test_inplace_on_leaf_requiring_grad_allowed_under_no_grad():
    a = arr((2, 3), np.float64, key="nograd")
    gx, tx = _pair(a, True)
    with glia.no_grad():
        gx.add_(gl(np.ones((2, 3))), alpha=-0.1)
        gx.mul_(2)
        gx += 1
    with torch.no_grad():
        tx.add_(th(np.ones((2, 3))), alpha=-0.1)
        tx.mul_(2)
        tx += 1
    assert_close(gx, tx)
    assert gx.requires_grad and gx.is_leaf and gx.grad is None
    (gx * gx).sum().backward()
    assert_close(gx.grad, 2 * tx.detach())


@pytest.mark.parametrize("dtype", DTYPES)
def test_augmented_assignment_matches_torch(dtype):
    a = arr((3, 4), dtype, "any", "aug")
    o = arr((4,), dtype, "nonzero", "aug")
    for op in ("+=", "-=", "*=", "/="):
        for rhs in ("t", "2", "0.5"):
            gx, tx = _pair(a)
            gv, tv = gx[:], tx[:]   # a view: an in-place update shows through it
            scope_g = {"x": gx, "t": gl(o)}
            scope_t = {"x": tx, "t": th(o)}
            exec(f"x {op} {rhs}", scope_g)
            exec(f"x {op} {rhs}", scope_t)
            assert_close(scope_g["x"], scope_t["x"], **tol(dtype))
            assert_close(gv, tv, **tol(dtype))  # updated in place, not rebound


def test_augmented_assignment_on_int_and_bool_tensors():
    gi, ti = _pair(np.array([1, 2, 3]))
    gi += 2
    ti += 2
    gi *= gl(np.array([2, -1, 0]))
    ti *= th(np.array([2, -1, 0]))
    assert_close(gi, ti)
    gb, tb = _pair(np.array([True, False]))
    gb |= gl(np.array([False, True]))
    tb |= th(np.array([False, True]))
    assert_close(gb, tb)


def test_augmented_assignment_on_non_leaf_keeps_gradients_right():
    a = arr((2, 3), np.float64, "pos", "nonleaf")
    gx, tx = _pair(a, True)
    gy, ty = gx * 2, tx * 2
    gy += gx
    ty += tx
    gy *= gx
    ty *= tx
    assert_close(gy, ty)
    gy.sum().backward()
    ty.sum().backward()
    assert_close(gx.grad, tx.grad)   # d/dx (3x * x) = 6x


def test_inplace_int_tensor_with_float_raises():
    """torch: 'result type Float can't be cast to the desired output type Long'."""
    for f in [lambda x: x.add_(1.5), lambda x: x.sub_(0.5), lambda x: x.mul_(1.5),
              lambda x: x.div_(2), lambda x: x.add_(gl(np.array([0.5, 0.5])))]:
        x = glia.tensor([1, 2])
        with pytest.raises((TypeError, RuntimeError)) as info:
            f(x)
        assert "int64" in str(info.value)
        assert x.tolist() == [1, 2]
    x = glia.tensor([1, 2])
    with pytest.raises((TypeError, RuntimeError)):
        x += 1.5
    assert x.tolist() == [1, 2]
    b = glia.tensor([True, False])
    with pytest.raises((TypeError, RuntimeError)):
        b.add_(1)
    assert b.tolist() == [True, False]


# ---- errors ----

BAD_SHAPES = [((2, 3), (4,)), ((3, 1, 2), (4, 3)), ((5,), (0,))]


@pytest.mark.parametrize("sa,sb", BAD_SHAPES)
@pytest.mark.parametrize("name", list(BINARY) + list(COMPARE) + list(LOGICAL))
def test_incompatible_broadcast_raises(name, sa, sb):
    a = glia.ones(sa, dtype=glia.float64)
    b = glia.ones(sb, dtype=glia.float64)
    if name in LOGICAL:
        a, b = a.bool(), b.bool()
    check_raises(lambda: getattr(glia, name)(a, b), ValueError, name, str(sa), str(sb))
    op = BINARY[name][2] if name in BINARY else COMPARE.get(name, LOGICAL.get(name))
    if op is not None:  # on bools, & | ^ are torch's bitwise ops
        check_raises(lambda: op(a, b), ValueError, name.replace("logical", "bitwise"), str(sa),
                     str(sb))


def test_where_incompatible_broadcast_raises():
    c = glia.ones((2, 3)).bool()
    check_raises(lambda: glia.where(c, glia.ones((4,)), 0.0), ValueError, "where", "(2, 3)",
                 "(4,)")
    check_raises(lambda: glia.where(c, glia.ones((2, 3)), glia.ones((3, 2))), ValueError,
                 "where", "(3, 2)")


@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_", "copy_"])
def test_inplace_source_must_broadcast_to_destination(name):
    x = glia.ones((4,))
    for src in (glia.ones((3, 4)), glia.ones((3,))):
        check_raises(lambda: getattr(x, name)(src), ValueError, name, "(4,)",
                     str(tuple(src.shape)))
    assert x.tolist() == [1.0] * 4


@pytest.mark.parametrize("fn", [
    lambda x: x.add_(1), lambda x: x.add_(glia.ones((3,)), alpha=2), lambda x: x.sub_(1),
    lambda x: x.mul_(2), lambda x: x.div_(2), lambda x: x.zero_(), lambda x: x.fill_(1.0),
    lambda x: x.copy_(glia.zeros((3,))),
])
def test_inplace_on_leaf_requiring_grad_raises(fn):
    x = glia.ones((3,)).requires_grad_(True)
    check_raises(lambda: fn(x), RuntimeError, "in-place", "requires grad")
    assert x.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
def test_augmented_assignment_on_leaf_requiring_grad_raises(op):
    x = glia.ones((3,)).requires_grad_(True)
    scope = {"x": x, "y": glia.ones((3,))}
    check_raises(lambda: exec(f"x {op} 2", scope), RuntimeError, "in-place", "requires grad")
    check_raises(lambda: exec(f"x {op} y", scope), RuntimeError, "in-place", "requires grad")
    assert scope["x"] is x and x.tolist() == [1.0, 1.0, 1.0]
