"""copysign, fmax, fmin, nextafter, gcd, lcm, the bitwise shifts (and << >>) and signbit vs
PyTorch: broadcasting, non-contiguous and empty inputs, NaN, signed zeros, integer
extremes, gradients (torch and finite differences) and dtype errors."""
import zlib

import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_op, check_raises, gradcheck

PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3)), ((0, 3), (3,))]


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def floats(shape, key=()):
    return np.asarray(2 * _rng(shape, key).standard_normal(shape))


def ints(shape, lo=-30, hi=31, key=()):
    return np.asarray(_rng(shape, key, "i").integers(lo, hi, size=shape), dtype=np.int64)


@pytest.mark.parametrize("sa,sb", PAIRS)
@pytest.mark.parametrize("name", ["copysign", "fmax", "fmin"])
def test_float_binaries_match_torch(name, sa, sb):
    a, b = floats(sa, (name, "a")), floats(sb, (name, "b"))
    # values exact; gradients summed over broadcast dims in another order
    check_op(getattr(glia, name), getattr(torch, name), a, b, rtol=1e-14, atol=0)
    check_op(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y),
             a.astype(np.float32), b.astype(np.float32), rtol=1e-6, atol=0)
    if name != "copysign":  # torch gives copysign of integers in float32, fmax keeps int64
        check_op(getattr(glia, name), getattr(torch, name), ints(sa), ints(sb, key=1))
    gradcheck(getattr(glia, name), floats((3, 4), (name, "g")), floats((4,), (name, "h")))


def test_special_values_match_torch():
    a = np.array([1.0, np.nan, np.nan, -0.0, 0.0, 3.0, -2.0, np.inf, 0.0])
    b = np.array([np.nan, 2.0, np.nan, 0.0, -0.0, -1.0, -0.0, -1.0, 0.0])
    for name in ("copysign", "fmax", "fmin", "nextafter"):
        g = getattr(glia, name)(glia.tensor(a), glia.tensor(b)).numpy()
        t = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
        np.testing.assert_array_equal(g, t)
        np.testing.assert_array_equal(np.signbit(g) & ~np.isnan(g), np.signbit(t) & ~np.isnan(t))
    # ties and NaN: the gradient goes to the side torch chooses
    check_op(glia.fmax, torch.fmax, np.array([1.0, np.nan, 2.0, 5.0]),
             np.array([1.0, 3.0, np.nan, 5.0]))
    check_op(glia.fmin, torch.fmin, np.array([1.0, np.nan, 2.0]), np.array([1.0, 3.0, np.nan]))
    # copysign's gradient is 0 at a = 0, as torch
    check_op(glia.copysign, torch.copysign, np.array([0.0, 2.0, -3.0]), np.array([-1.0, -1.0, 1.0]))


def test_nextafter_steps_one_ulp_like_torch():
    a = np.array([1.0, 1.0, 0.0, -0.0, 3e38, 1.4e-45])
    b = np.array([2.0, 0.0, 1.0, -1.0, np.inf, 0.0])
    for dtype in (np.float32, np.float64):
        assert_close(glia.nextafter(glia.tensor(a.astype(dtype)), glia.tensor(b.astype(dtype))),
                     torch.nextafter(torch.tensor(a.astype(dtype)), torch.tensor(b.astype(dtype))),
                     rtol=0, atol=0)
    check_raises(lambda: glia.nextafter(glia.tensor([1]), glia.tensor([2])), TypeError,
                 "nextafter", "int64")


@pytest.mark.parametrize("sa,sb", PAIRS)
@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_match_torch(name, sa, sb):
    a, b = ints(sa, key=(name, 1)), ints(sb, key=(name, 2))
    check_op(getattr(glia, name), getattr(torch, name), a, b)
    check_op(lambda x: getattr(x, name)(glia.tensor(6)),
             lambda x: getattr(x, name)(torch.tensor(6)), a)


def test_gcd_lcm_edges_and_errors():
    a = np.array([0, 0, 12, -12, 2**62, 7])
    b = np.array([0, 5, -18, -18, 2**61, 0])
    for name in ("gcd", "lcm"):
        assert_close(getattr(glia, name)(glia.tensor(a), glia.tensor(b)),
                     getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
        check_raises(lambda: getattr(glia, name)(glia.tensor([1.0]), glia.tensor([2.0])),
                     TypeError, name, "float")


@pytest.mark.parametrize("sa,sb", PAIRS)
def test_shifts_match_torch(sa, sb):
    a = ints(sa, -2**40, 2**40, "sa")
    b = ints(sb, -2, 70, "sb")  # negative and past-the-width shifts too
    for name, op in (("bitwise_left_shift", lambda x, y: x << y),
                     ("bitwise_right_shift", lambda x, y: x >> y)):
        check_op(getattr(glia, name), getattr(torch, name), a, b)
        check_op(op, op, a, b)
    check_op(lambda x: x << 3, lambda x: x << 3, a)
    check_op(lambda x: 5 >> x, lambda x: 5 >> x, np.abs(b) % 8)
    check_raises(lambda: glia.bitwise_left_shift(glia.tensor([1.0]), glia.tensor([1])),
                 TypeError, "bitwise_left_shift", "float")


def test_signbit_matches_torch():
    x = np.array([-0.0, 0.0, -1.5, 2.0, -np.inf, np.inf, np.nan, -np.nan])
    for a in (x, x.astype(np.float32), np.array([-3, 0, 4]), np.array([True, False]),
              np.zeros((0, 2))):
        assert_close(glia.signbit(glia.tensor(a)), torch.signbit(torch.tensor(a)))
        assert_close(glia.tensor(a).signbit(), torch.tensor(a).signbit())
