"""Rounded division, remainders, hypot, bitwise ops and the unary trunc/log2/log10/exp2 vs
PyTorch: functions, methods, operators (// % & | ^ ~) with scalars on either side, dtypes,
broadcasting, non-contiguous and empty inputs, special values, gradients and errors."""
import operator
import zlib

import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_op, check_raises, gradcheck

SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3)),
               ((2, 3), ()), ((0, 3), (3,)), ((1,), (5,)), ((300, 257), (300, 257))]


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def floats(shape, dtype=np.float64, key=()):
    return np.asarray(3 * _rng(shape, key).standard_normal(shape), dtype=dtype)


def divisors(shape, dtype=np.float64, key=()):
    """Values at least 0.25 away from zero, of both signs."""
    x = _rng(shape, key, "d").standard_normal(shape)
    return np.asarray(x + np.where(x >= 0, 0.25, -0.25), dtype=dtype)


def ints(shape, lo=-20, hi=21, nonzero=False, key=()):
    x = _rng(shape, key, "i").integers(lo, hi, size=shape)
    return np.asarray(np.where(x == 0, 7, x) if nonzero else x, dtype=np.int64)


def _away_from_jumps(a, b):
    """Moves a so that a / b is not within 0.05 of an integer, where the quotient rounds
    to the next value and the remainders jump."""
    q = a / b
    f = q - np.floor(q)
    f = np.clip(f, 0.05, 0.95)
    return (np.floor(q) + f) * b


# ---- rounded division and remainders ----

DIVISION = ["floor_divide", "remainder", "fmod"]


def dyadic_pair(sa, sb, dtype, key):
    """Dividends that are odd multiples of 1/16 and divisors that are +-2^k, k in [-2, 2]:
    every quotient is exact and at least 1/64 from an integer, so both libraries must round
    it the same way and no input sits on a jump."""
    r = _rng(sa, sb, key, "dyadic")
    a = (2 * r.integers(-400, 400, size=sa) + 1) / 16
    b = r.choice([-1.0, 1.0], size=sb) * 2.0 ** r.integers(-2, 3, size=sb)
    return np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa,sb", SHAPE_PAIRS)
@pytest.mark.parametrize("name", DIVISION)
def test_division_of_floats_matches_torch(name, sa, sb, dtype):
    a, b = dyadic_pair(sa, sb, dtype, name)
    # floor_divide has no derivative in torch: values only here, its zero gradient below
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    check_op(getattr(glia, name), getattr(torch, name), a, b, grad=name != "floor_divide",
             **tol)  # the values are exact; the tolerance is for gradients summed over
    np.testing.assert_array_equal(getattr(glia, name)(glia.tensor(a), glia.tensor(b)).numpy(),
                                  getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy())


@pytest.mark.parametrize("sa,sb", SHAPE_PAIRS)
@pytest.mark.parametrize("name", DIVISION)
def test_division_of_integers_matches_torch_exactly(name, sa, sb):
    a, b = ints(sa, key=name), ints(sb, -9, 10, nonzero=True, key=name)
    check_op(getattr(glia, name), getattr(torch, name), a, b)


def test_integer_division_extremes_match_torch():
    big = np.array([-2**63, 2**63 - 1, -2**63 + 1, 5, -5, 0])
    for d in (-1, 1, 2, -2, 2**63 - 1, -2**63):
        for name in DIVISION:
            g = getattr(glia, name)(glia.tensor(big), glia.tensor(np.full(6, d)))
            t = getattr(torch, name)(torch.tensor(big), torch.tensor(np.full(6, d)))
            assert_close(g, t)


def test_float_division_special_values_match_torch():
    a = np.array([7.5, -7.5, 0.0, -0.0, np.inf, -np.inf, np.nan, 3.0, -3.0, 3e38, 5.0])
    b = np.array([0.0, -0.0, 0.0, 2.0, 2.0, -2.0, 1.0, np.inf, np.inf, 1e-38, -np.inf])
    for name in DIVISION + ["hypot"]:
        for dtype in (np.float32, np.float64):
            g = getattr(glia, name)(glia.tensor(a.astype(dtype)), glia.tensor(b.astype(dtype)))
            t = getattr(torch, name)(torch.tensor(a.astype(dtype)), torch.tensor(b.astype(dtype)))
            assert_close(g, t, rtol=1e-6, atol=0)
            # the sign of a zero result too (-0.0 // 2 is -0.0; 0 % -2 is -0.0), not of a nan
            gn, tn = g.numpy(), t.numpy()
            np.testing.assert_array_equal(np.signbit(gn) & ~np.isnan(gn),
                                          np.signbit(tn) & ~np.isnan(tn), name)


def test_floor_divide_rounds_exact_quotients_like_torch():
    # (x - fmod(x, y)) / y can land just below an integer; torch rounds it to the integer
    r = _rng("exact")
    a = np.round(r.standard_normal(2000) * 50, 1)
    b = np.round(r.standard_normal(2000), 1)
    b = np.where(b == 0, 0.1, b)
    a = np.concatenate([a, b * np.round(r.standard_normal(2000) * 30)])
    b = np.concatenate([b, b])
    for dtype in (np.float32, np.float64):
        g = glia.floor_divide(glia.tensor(a.astype(dtype)), glia.tensor(b.astype(dtype)))
        t = torch.floor_divide(torch.tensor(a.astype(dtype)), torch.tensor(b.astype(dtype)))
        np.testing.assert_array_equal(g.numpy(), t.numpy())


@pytest.mark.parametrize("name", ["remainder", "fmod"])
def test_remainder_fmod_gradcheck(name):
    a, b = np.broadcast_arrays(floats((3, 4), key=name), divisors((1, 4), key=name))
    a = _away_from_jumps(a, b)
    gradcheck(getattr(glia, name), a, divisors((1, 4), key=name))
    gradcheck(lambda x: getattr(glia, name)(x, 0.7), a)
    gradcheck(lambda y: getattr(glia, name)(2.5, y), np.array([0.7, -1.1, 1.9, -3.3, 0.45]))


def test_floor_divide_and_trunc_gradients_are_zero():
    x = glia.tensor(floats((3, 4)), requires_grad=True)
    y = glia.tensor(divisors((4,)), requires_grad=True)
    (glia.floor_divide(x, y) + glia.trunc(x)).sum().backward()
    assert x.grad.shape == (3, 4) and y.grad.shape == (4,)
    assert not x.grad.numpy().any() and not y.grad.numpy().any()


def test_mixed_dtypes_promote_like_torch():
    i, f = ints((4,), nonzero=True), divisors((4,), np.float32)
    for name in DIVISION:
        for a, b in ((i, f), (f, i), (i, np.array(3)), (np.array(-9), i)):
            check_op(getattr(glia, name), getattr(torch, name), a, b, grad=False)


@pytest.mark.parametrize("name", DIVISION)
def test_integer_division_by_zero_raises(name):
    a, b = glia.tensor(np.array([3, 4])), glia.tensor(np.array([1, 0]))
    check_raises(lambda: getattr(glia, name)(a, b), RuntimeError, name,
                 "integer division by zero")
    check_raises(lambda: getattr(glia, name)(a, 0), RuntimeError, name, "by zero")
    # a float divisor of zero is no error: inf, nan or -inf as torch
    assert_close(getattr(glia, name)(a, 0.0), getattr(torch, name)(torch.tensor([3, 4]), 0.0))


# ---- operators and methods, scalars on either side ----

OPERATORS = {"//": operator.floordiv, "%": operator.mod}


@pytest.mark.parametrize("s", [3, -2, 2.5, -0.75])
@pytest.mark.parametrize("op", list(OPERATORS))
@pytest.mark.parametrize("kind", ["int", "float32", "float64"])
def test_division_operators_with_scalars_match_torch(kind, op, s):
    f = OPERATORS[op]
    x = ints((3, 4), nonzero=True, key=op) if kind == "int" else divisors((3, 4), kind, key=op)
    grad = kind != "int" and op == "%"
    check_op(lambda t: f(t, s), lambda t: f(t, s), x, grad=grad, rtol=1e-5, atol=1e-5)
    # torch has no derivative for a scalar dividend
    check_op(lambda t: f(s, t), lambda t: f(s, t), x, grad=False)
    check_op(f, f, x, ints((4,), nonzero=True) if kind == "int" else divisors((4,), kind),
             grad=grad, rtol=1e-5, atol=1e-5)


def test_division_methods_match_torch():
    a, b = floats((2, 3)), divisors((3,))
    for name in DIVISION + ["hypot"]:
        check_op(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), a, b,
                 grad=name != "floor_divide")
        check_op(lambda x: getattr(x, name)(1.5),
                 lambda x: getattr(x, name)(torch.tensor(1.5, dtype=torch.float64)), a,
                 grad=name != "floor_divide")


# ---- hypot ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa,sb", SHAPE_PAIRS)
def test_hypot_matches_torch(sa, sb, dtype):
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    check_op(glia.hypot, torch.hypot, floats(sa, dtype, "h"), divisors(sb, dtype, "h"), **tol)


def test_hypot_gradcheck_and_large_values():
    gradcheck(glia.hypot, divisors((3, 4), key="ga"), divisors((4,), key="gb"))
    gradcheck(lambda x: glia.hypot(x, 2.0), divisors((5,), key="gc"))
    # no overflow where squaring would overflow
    big = np.array([3e200, 1e-200], dtype=np.float64)
    assert_close(glia.hypot(glia.tensor(big), glia.tensor(big)),
                 torch.hypot(torch.tensor(big), torch.tensor(big)), rtol=1e-15, atol=0)


def test_hypot_of_integers_gives_float32():
    # torch has no integer hypot; glia promotes integers to the default float type
    out = glia.hypot(glia.tensor(np.array([3, 5])), glia.tensor(np.array([4, 12])))
    assert out.dtype == glia.float32
    np.testing.assert_array_equal(out.numpy(), np.array([5, 13], np.float32))


# ---- bitwise ----

BITWISE = {"bitwise_and": operator.and_, "bitwise_or": operator.or_,
           "bitwise_xor": operator.xor}


@pytest.mark.parametrize("sa,sb", SHAPE_PAIRS)
@pytest.mark.parametrize("name", list(BITWISE))
def test_bitwise_matches_torch(name, sa, sb):
    big = np.iinfo(np.int64)
    a, b = ints(sa, big.min, big.max, key=name), ints(sb, -50, 50, key=name)
    for x, y in ((a, b), (np.asarray(a > 0), np.asarray(b > 0)), (a, np.asarray(b > 0))):
        check_op(getattr(glia, name), getattr(torch, name), x, y)
        check_op(BITWISE[name], BITWISE[name], x, y)
        check_op(lambda p, q: getattr(p, name)(q), lambda p, q: getattr(p, name)(q), x, y)


@pytest.mark.parametrize("s", [5, -6, 0, True, False])
@pytest.mark.parametrize("name", list(BITWISE))
def test_bitwise_with_scalars_matches_torch(name, s):
    f = BITWISE[name]
    for x in (ints((3, 4), key=name), ints((3, 4), key=name) > 0):
        if x.dtype == bool and not isinstance(s, bool):
            continue  # torch gives int64 for bool & int; glia's scalar rule is tested in ops
        check_op(lambda t: f(t, s), lambda t: f(t, s), x)
        check_op(lambda t: f(s, t), lambda t: f(s, t), x)


def test_bitwise_not_and_invert_match_torch():
    for x in (ints((3, 4), -2**62, 2**62), np.array([True, False]), np.zeros((0, 2), np.int64),
              np.array(-1)):
        check_op(glia.bitwise_not, torch.bitwise_not, x)
        check_op(operator.invert, operator.invert, x)
        check_op(lambda t: t.bitwise_not(), lambda t: t.bitwise_not(), x)


def test_bitwise_of_floats_raises_naming_the_op():
    f, i = glia.tensor(np.array([1.0, 2.0])), glia.tensor(np.array([1, 2]))
    for name in BITWISE:
        check_raises(lambda: getattr(glia, name)(f, i), TypeError, name, "float")
        check_raises(lambda: BITWISE[name](i, 1.5), TypeError, name)
    check_raises(lambda: glia.bitwise_not(f), TypeError, "bitwise_not", "float")
    check_raises(lambda: ~f, TypeError, "bitwise_not")


# ---- unary: trunc, log2, log10, exp2 ----

UNARY_DOMAIN = {"trunc": lambda x: x, "log2": lambda x: np.abs(x) + 0.25,
                "log10": lambda x: np.abs(x) + 0.25, "exp2": lambda x: x}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (0, 3), (1, 1, 3), (300, 257)])
@pytest.mark.parametrize("name", list(UNARY_DOMAIN))
def test_unary_matches_torch(name, shape, dtype):
    x = np.asarray(UNARY_DOMAIN[name](floats(shape, key=name)), dtype=dtype)
    if name == "trunc":
        x = np.asarray(_away_from_jumps(x, np.ones_like(x)), dtype=dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    check_op(getattr(glia, name), getattr(torch, name), x, **tol)
    check_op(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), x, **tol)


@pytest.mark.parametrize("name", ["log2", "log10", "exp2"])
def test_unary_gradcheck(name):
    gradcheck(getattr(glia, name), UNARY_DOMAIN[name](floats((3, 4), key="g" + name)))


def test_unary_special_values_and_integers_match_torch():
    s = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 1e-310, 2.5, -2.5, 1024.0])
    for name in UNARY_DOMAIN:
        for x in (s, s.astype(np.float32), np.array([-7, 0, 3, 8])):
            g, t = getattr(glia, name)(glia.tensor(x)), getattr(torch, name)(torch.tensor(x))
            assert_close(g, t, rtol=1e-6, atol=0)
