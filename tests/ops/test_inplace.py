"""In-place methods x.<op>_(...) vs PyTorch (values, returning self, writing through views,
refusing tensors that need grad or results of another kind), and the random fills
uniform_/normal_/exponential_/log_normal_/bernoulli_/random_ (moments, bounds, seeding)."""
import zlib

import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_raises


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def randn(shape, key=()):
    return _rng(shape, key).standard_normal(shape)


UNIT = lambda x: 0.9 * np.tanh(x)  # noqa: E731
POS = lambda x: np.abs(x) + 0.25  # noqa: E731

# name -> (domain of self, extra args as numpy arrays or numbers)
CASES = {
    "abs_": (None, ()), "neg_": (None, ()), "exp_": (None, ()), "exp2_": (None, ()),
    "expm1_": (None, ()), "log_": (POS, ()), "log1p_": (POS, ()), "log2_": (POS, ()),
    "log10_": (POS, ()), "sqrt_": (POS, ()), "rsqrt_": (POS, ()), "sin_": (None, ()),
    "cos_": (None, ()), "tan_": (UNIT, ()), "asin_": (UNIT, ()), "acos_": (UNIT, ()),
    "atan_": (None, ()), "sinh_": (None, ()), "cosh_": (None, ()), "tanh_": (None, ()),
    "asinh_": (None, ()), "acosh_": (lambda x: POS(x) + 1, ()), "atanh_": (UNIT, ()),
    "sigmoid_": (None, ()), "relu_": (None, ()), "square_": (None, ()),
    "reciprocal_": (POS, ()), "sign_": (None, ()), "floor_": (None, ()), "ceil_": (None, ()),
    "round_": (None, ()), "trunc_": (None, ()), "frac_": (None, ()), "erf_": (None, ()),
    "erfc_": (None, ()), "clamp_": (None, (-0.5, 0.5)), "clip_": (None, (-0.2, None)),
    "clamp_min_": (None, (0.1,)), "clamp_max_": (None, (0.1,)), "pow_": (POS, (1.7,)),
    "atan2_": (None, ("row",)), "hypot_": (None, ("row",)), "fmod_": (None, (0.7,)),
    "remainder_": (None, (0.7,)), "floor_divide_": (None, (0.7,)),
    "lerp_": (None, ("row", 0.3)), "addcmul_": (None, ("row", "row")),
    "addcdiv_": (None, ("row", "posrow")), "nan_to_num_": (None, ()), "logit_": (
        lambda x: 0.1 + 0.8 / (1 + np.exp(-x)), ()), "xlogy_": (None, ("posrow",)),
    "tril_": (None, ()), "triu_": (None, (1,)), "deg2rad_": (None, ()),
    "rad2deg_": (None, ()), "mul_": (None, ("row",)), "div_": (None, ("posrow",)),
}


def _arg(a, key):
    if a == "row":
        return randn((4,), key)
    if a == "posrow":
        return POS(randn((4,), key))
    return a


@pytest.mark.parametrize("name", list(CASES))
def test_inplace_matches_torch_and_returns_self(name):
    domain, extra = CASES[name]
    x = randn((3, 4), name)
    x = domain(x) if domain else x
    args = [_arg(a, (name, i)) for i, a in enumerate(extra)]
    g, t = glia.tensor(x), torch.tensor(x)
    gargs = [glia.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    targs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    out = getattr(g, name)(*gargs)
    assert out is g
    getattr(t, name)(*targs)
    assert_close(g, t, rtol=1e-12, atol=1e-12)
    # through a non-contiguous view: the base sees the change, the rest stays
    base_g, base_t = glia.tensor(np.stack([x, x], -1)), torch.tensor(np.stack([x, x], -1))
    getattr(base_g[..., 1], name)(*gargs)
    getattr(base_t[..., 1], name)(*targs)
    assert_close(base_g, base_t, rtol=1e-12, atol=1e-12)


def test_inplace_integer_and_bool_ops_match_torch():
    i = np.array([[5, -7, 8], [0, 3, -2]])
    b = np.array([[True, False, True], [False, False, True]])
    for name, arg in [("bitwise_and_", 6), ("bitwise_or_", 3), ("bitwise_xor_", -1),
                      ("bitwise_not_", None), ("remainder_", 3), ("floor_divide_", -2),
                      ("abs_", None), ("neg_", None), ("clamp_", (-1, 4))]:
        args = () if arg is None else (arg if isinstance(arg, tuple) else (arg,))
        g, t = glia.tensor(i), torch.tensor(i)
        getattr(g, name)(*args)
        getattr(t, name)(*args)
        assert_close(g, t)
    for name in ("logical_not_", "bitwise_not_"):
        g, t = glia.tensor(b), torch.tensor(b)
        getattr(g, name)()
        getattr(t, name)()
        assert_close(g, t)
    g, t = glia.tensor(b), torch.tensor(b)
    g.logical_and_(glia.tensor([True, True, False]))
    t.logical_and_(torch.tensor([True, True, False]))
    assert_close(g, t)


def test_inplace_masked_fill_index_add_scatter_add_match_torch():
    x = randn((3, 4), "idx")
    mask = x > 0.3
    g, t = glia.tensor(x), torch.tensor(x)
    g.masked_fill_(glia.tensor(mask), -9.0)
    t.masked_fill_(torch.tensor(mask), -9.0)
    assert_close(g, t)
    src = randn((2, 4), "src")
    g.index_add_(0, glia.tensor([2, 0]), glia.tensor(src))
    t.index_add_(0, torch.tensor([2, 0]), torch.tensor(src))
    assert_close(g, t, rtol=1e-12, atol=1e-12)
    idx = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
    g.scatter_add_(0, glia.tensor(idx), glia.tensor(src))
    t.scatter_add_(0, torch.tensor(idx), torch.tensor(src))
    assert_close(g, t, rtol=1e-12, atol=1e-12)


def test_inplace_refuses_grad_tensors_broadcasting_and_lost_kinds():
    w = glia.tensor(randn((3,), "w"), requires_grad=True)
    check_raises(lambda: w.relu_(), RuntimeError, "relu_", "requires grad")
    check_raises(lambda: w[1:].clamp_(0, 1), RuntimeError, "clamp_", "requires grad", "view")
    check_raises(lambda: w.normal_(), RuntimeError, "normal_", "requires grad")
    with glia.no_grad():
        w.relu_()  # allowed, as torch, for initialisation and updates
    assert (w.detach().numpy() >= 0).all() and w.requires_grad
    # self cannot broadcast up to the other operand's shape
    x = glia.tensor(randn((4,), "b"))
    check_raises(lambda: x.mul_(glia.tensor(randn((3, 4), "c"))), ValueError, "(3, 4)", "(4,)")
    check_raises(lambda: x.atan2_(glia.tensor(randn((3, 4), "c"))), ValueError, "atan2_",
                 "(3, 4)", "(4,)")
    # a float result does not fit an integer tensor
    check_raises(lambda: glia.tensor([1, 2]).sqrt_(), TypeError, "sqrt_", "float32", "int64")
    check_raises(lambda: glia.tensor([1, 2]).clamp_(0.5, 1.5), TypeError, "clamp_")


# ---- random fills ----

N = 200_000


@pytest.mark.parametrize("dtype", [glia.float32, glia.float64])
def test_uniform_and_normal_fill_moments_and_bounds(dtype):
    glia.manual_seed(3)
    x = glia.empty(N, dtype=dtype)
    assert x.uniform_(-2.0, 3.0) is x and x.dtype == dtype
    v = x.numpy()
    assert v.min() >= -2.0 and v.max() < 3.0
    assert abs(v.mean() - 0.5) < 0.02 and abs(v.var() - 25 / 12) < 0.03
    assert np.histogram(v, bins=10, range=(-2, 3))[0].min() > 0.095 * N  # flat
    x.normal_(1.5, 0.5)
    v = x.numpy()
    assert abs(v.mean() - 1.5) < 0.005 and abs(v.std() - 0.5) < 0.005
    assert abs(np.mean(np.abs(v - 1.5) < 0.5) - 0.6827) < 0.005  # the normal's 1-sigma mass


def test_exponential_log_normal_bernoulli_random_fills():
    glia.manual_seed(4)
    v = glia.empty(N, dtype=glia.float64).exponential_(2.0).numpy()
    assert v.min() >= 0 and abs(v.mean() - 0.5) < 0.005 and abs(v.std() - 0.5) < 0.01
    v = glia.empty(N, dtype=glia.float64).log_normal_(0.5, 0.25).numpy()
    assert v.min() > 0 and abs(np.log(v).mean() - 0.5) < 0.005
    assert abs(np.log(v).std() - 0.25) < 0.005
    v = glia.empty(N).bernoulli_(0.3).numpy()
    assert set(np.unique(v)) == {0.0, 1.0} and abs(v.mean() - 0.3) < 0.005
    p = glia.tensor([0.0, 1.0, 0.5])
    rows = glia.empty(N // 10, 3).bernoulli_(p).numpy()
    assert rows[:, 0].max() == 0 and rows[:, 1].min() == 1 and abs(rows[:, 2].mean() - 0.5) < 0.02
    v = glia.empty(N, dtype=glia.int64).random_(-3, 4).numpy()
    assert v.dtype == np.int64 and set(np.unique(v)) == set(range(-3, 4))
    v = glia.zeros(N).random_(5).numpy()
    assert set(np.unique(v)) == {0.0, 1.0, 2.0, 3.0, 4.0}


def test_random_fills_are_reproducible_and_write_through_views():
    glia.manual_seed(11)
    a = glia.zeros(4, 3).normal_().numpy().copy()
    glia.manual_seed(11)
    b = glia.zeros(4, 3).normal_().numpy()
    np.testing.assert_array_equal(a, b)
    base = glia.zeros(4, 3)
    base[:, 1].uniform_(5.0, 6.0)
    v = base.numpy()
    assert (v[:, [0, 2]] == 0).all() and (v[:, 1] >= 5).all()


def test_random_fills_reject_bad_arguments():
    x = glia.empty(3)
    check_raises(lambda: x.uniform_(2.0, 1.0), ValueError, "uniform_", "from_=2.0", "to=1.0")
    check_raises(lambda: x.normal_(0.0, -1.0), ValueError, "normal_", "std=-1.0")
    check_raises(lambda: x.exponential_(0.0), ValueError, "exponential_", "lambd=0.0")
    check_raises(lambda: x.bernoulli_(1.5), ValueError, "bernoulli_", "p=1.5")
    check_raises(lambda: x.random_(4, 2), ValueError, "random_", "from_=4", "to=2")
    check_raises(lambda: glia.tensor([1, 2]).normal_(), TypeError, "normal_", "int64")
    check_raises(lambda: glia.zeros(2, dtype=glia.bool).random_(0, 5), ValueError,
                 "random_", "bool")


def test_core_inplace_methods_return_the_same_object():
    p = glia.nn.Parameter(glia.zeros(3))
    with glia.no_grad():
        for call in (lambda t: t.add_(1), lambda t: t.add_(glia.ones(3), alpha=2),
                     lambda t: t.sub_(0.5), lambda t: t.sub_(glia.ones(3), alpha=3),
                     lambda t: t.mul_(2), lambda t: t.mul_(glia.ones(3)),
                     lambda t: t.div_(4), lambda t: t.div_(glia.ones(3)),
                     lambda t: t.fill_(7), lambda t: t.copy_(glia.arange(3.0)),
                     lambda t: t.zero_(), lambda t: t.uniform_()):
            assert call(p) is p
    assert isinstance(p, glia.nn.Parameter)
    x = glia.ones(3)
    x.add_(2).mul_(3).sub_(1, alpha=2)  # chains act on x itself
    np.testing.assert_array_equal(x.numpy(), [7.0, 7.0, 7.0])
