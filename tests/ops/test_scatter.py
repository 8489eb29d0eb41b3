"""scatter, scatter_reduce, index_fill, index_copy, masked_scatter, put and their in-place
forms vs PyTorch: values on random inputs (every dim, src larger than index, repeated
indices, int/bool tensors), gradients against torch and finite differences, and errors."""
import zlib

import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_op, check_raises, gradcheck


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def randn(shape, key=()):
    return np.asarray(_rng(shape, key).standard_normal(shape))


def unique_index(shape, dim, n, key=()):
    """An index whose entries along dim are distinct (a permutation prefix per line), so the
    result of an overwriting scatter does not depend on the write order."""
    r = _rng(shape, dim, n, key, "u")
    moved = np.moveaxis(np.zeros(shape, np.int64), dim, -1)
    for pos in np.ndindex(*moved.shape[:-1]):
        moved[pos] = r.permutation(n)[:moved.shape[-1]]
    return np.ascontiguousarray(np.moveaxis(moved, -1, dim))


def repeated_index(shape, n, key=()):
    return _rng(shape, n, key, "r").integers(0, n, size=shape)


CASES = [  # base shape, dim, index shape, src shape
    ((3, 4), 0, (2, 4), (2, 4)),
    ((3, 4), 1, (3, 2), (3, 3)),     # src larger than index
    ((2, 3, 4), -1, (2, 3, 4), (2, 3, 4)),
    ((2, 3, 4), 1, (1, 2, 2), (2, 3, 4)),
    ((5,), 0, (3,), (4,)),
    ((0, 3), 1, (0, 2), (0, 2)),
]


@pytest.mark.parametrize("shape,dim,ishape,sshape", CASES)
def test_scatter_matches_torch(shape, dim, ishape, sshape):
    idx = unique_index(ishape, dim, shape[dim], "s")
    f = lambda lib: lambda x, s: lib.scatter(x, dim, lib.tensor(idx), s)  # noqa: E731
    # torch 2.13's backward fails when src is larger than index: values only there
    check_op(f(glia), f(torch), randn(shape, "b"), randn(sshape, "src"), rtol=1e-12, atol=0,
             grad=ishape == sshape)
    check_op(lambda x: x.scatter(dim, glia.tensor(idx), 2.5),
             lambda x: x.scatter(dim, torch.tensor(idx), 2.5), randn(shape, "v"))
    gradcheck(f(glia), randn(shape, "gb"), randn(sshape, "gs"))


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
def test_scatter_repeated_indices_last_write_wins_and_int_bool():
    x = np.zeros((2, 5))
    idx = np.array([[1, 1, 3], [0, 4, 0]])
    src = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    check_op(lambda a, s: glia.scatter(a, 1, glia.tensor(idx), s),
             lambda a, s: torch.scatter(a, 1, torch.tensor(idx), s), x, src, grad=False)
    check_op(lambda a, s: glia.scatter(a, 1, glia.tensor(idx), s),
             lambda a, s: torch.scatter(a, 1, torch.tensor(idx), s), x.astype(np.int64),
             src.astype(np.int64))
    check_op(lambda a: glia.scatter(a, 1, glia.tensor(idx), True),
             lambda a: torch.scatter(a, 1, torch.tensor(idx), True), x > 0)
    for reduce in ("add", "multiply"):
        check_op(lambda a, s: glia.scatter(a, 1, glia.tensor(idx), s, reduce=reduce),
                 lambda a, s: torch.scatter(a, 1, torch.tensor(idx), s, reduce=reduce),
                 x + 2, src, grad=False)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("shape,dim,ishape,sshape", CASES[:5])
def test_scatter_reduce_matches_torch(reduce, include_self, shape, dim, ishape, sshape):
    idx = repeated_index(ishape, shape[dim], (reduce, dim))
    f = lambda lib: lambda x, s: lib.scatter_reduce(  # noqa: E731
        x, dim, lib.tensor(idx), s, reduce, include_self=include_self)
    # integer-valued floats make amax/amin ties: the shared gradient is compared too
    base = np.round(randn(shape, "rb") * 2) if reduce in ("amax", "amin") else randn(shape, "rb")
    src = np.round(randn(sshape, "rs") * 2) if reduce in ("amax", "amin") else randn(sshape, "rs")
    if not include_self:
        # torch still counts an excluded base value that ties the result when it shares the
        # gradient (the shares then sum to less than the gradient); glia does not
        base = base + 0.5
    # torch 2.13's backward fails when src is larger than index: values only there
    check_op(f(glia), f(torch), base, src, rtol=1e-10, atol=1e-12, grad=ishape == sshape)
    check_op(lambda x, s: x.scatter_reduce(dim, glia.tensor(idx), s, reduce,
                                           include_self=include_self),
             lambda x, s: x.scatter_reduce(dim, torch.tensor(idx), s, reduce,
                                           include_self=include_self),
             base.astype(np.float32), src.astype(np.float32), rtol=1e-5, atol=1e-5,
             grad=ishape == sshape)
    if reduce not in ("amax", "amin"):
        gradcheck(f(glia), randn(shape, "gb2"), randn(sshape, "gs2"))


def test_scatter_reduce_integers_and_errors():
    x = np.array([[5, 1, -2], [0, 7, 3]])
    idx = np.array([[0, 0, 1], [1, 1, 2]])
    src = np.array([[4, -3, 9], [2, 8, -6]])
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for inc in (True, False):
            g = glia.scatter_reduce(glia.tensor(x), 1, glia.tensor(idx), glia.tensor(src),
                                    reduce, include_self=inc)
            t = torch.scatter_reduce(torch.tensor(x), 1, torch.tensor(idx), torch.tensor(src),
                                     reduce, include_self=inc)
            assert_close(g, t)
    b = glia.tensor(randn((2, 3)), requires_grad=True)
    check_raises(lambda: glia.scatter_reduce(b, 1, glia.tensor(idx), glia.tensor(randn((2, 3))),
                                             "max"), RuntimeError, "scatter_reduce", "'max'")
    zero_src = glia.tensor(np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]))
    check_raises(lambda: glia.scatter_reduce(b, 1, glia.tensor(idx), zero_src, "prod").sum()
                 .backward(), RuntimeError, "scatter_reduce", "prod", "zeros")
    check_raises(lambda: glia.scatter(b, 1, glia.tensor(idx + 5), zero_src), IndexError,
                 "scatter", "out of bounds")
    check_raises(lambda: glia.scatter(b, 1, glia.tensor(idx), zero_src, reduce="max"),
                 ValueError, "scatter", "'max'")
    check_raises(lambda: glia.scatter(b, 1, glia.tensor(idx)), TypeError, "scatter", "one of")
    check_raises(lambda: glia.scatter(b, 1, glia.tensor(idx[0]), zero_src), ValueError,
                 "scatter", "same rank")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_fill_index_copy_match_torch(dim):
    x = randn((4, 5), ("if", dim))
    n = x.shape[dim]
    idx = np.array([n - 1, 0])
    check_op(lambda a: glia.index_fill(a, dim, glia.tensor(idx), -3.5),
             lambda a: torch.index_fill(a, dim, torch.tensor(idx), -3.5), x)
    check_op(lambda a: a.index_fill(dim, glia.tensor(idx), glia.tensor(2.0)),
             lambda a: a.index_fill(dim, torch.tensor(idx), torch.tensor(2.0)), x)
    src_shape = list(x.shape)
    src_shape[dim] = 2
    src = randn(tuple(src_shape), ("ic", dim))
    check_op(lambda a, s: glia.index_copy(a, dim, glia.tensor(idx), s),
             lambda a, s: torch.index_copy(a, dim, torch.tensor(idx), s), x, src)
    gradcheck(lambda a, s: glia.index_copy(a, dim, glia.tensor(idx), s), x, src)
    check_op(lambda a: glia.index_fill(a, dim, glia.tensor(idx), 7),
             lambda a: torch.index_fill(a, dim, torch.tensor(idx), 7), x.astype(np.int64))


@pytest.mark.parametrize("mask_shape", [(3, 4), (4,), (3, 1)])
def test_masked_scatter_matches_torch(mask_shape):
    x = randn((3, 4), "ms")
    mask = _rng(mask_shape, "m").random(mask_shape) > 0.4
    src = randn((3, 5), "msrc")
    check_op(lambda a, s: glia.masked_scatter(a, glia.tensor(mask), s),
             lambda a, s: torch.masked_scatter(a, torch.tensor(mask), s), x, src)
    gradcheck(lambda a, s: glia.masked_scatter(a, glia.tensor(mask), s), x, src)
    check_raises(lambda: glia.masked_scatter(glia.tensor(x), glia.ones(3, 4).bool(),
                                             glia.zeros(5)), ValueError, "masked_scatter", "12")


def test_put_matches_torch():
    x = randn((3, 4), "put")
    idx = np.array([[0, 10], [-1, 5]])  # -1 is element 11
    src = randn((2, 2), "putsrc")
    check_op(lambda a, s: glia.put(a, glia.tensor(idx), s),
             lambda a, s: torch.put(a, torch.tensor(idx), s), x, src)
    rep = np.array([1, 1, 7])
    s3 = randn((3,), "p3")
    check_op(lambda a, s: a.put(glia.tensor(rep), s, accumulate=True),
             lambda a, s: a.put(torch.tensor(rep), s, accumulate=True), x, s3)
    check_raises(lambda: glia.put(glia.tensor(x), glia.tensor([12]), glia.tensor([1.0])),
                 IndexError, "put", "12")


def test_inplace_forms_match_torch():
    x = randn((3, 4), "inp")
    idx = np.array([[2, 0, 1, 1]])
    src = randn((1, 4), "isrc")
    mask = x > 0
    cases = [
        ("scatter_", (0, idx, src), {}),
        ("scatter_reduce_", (0, idx, src, "amax"), {"include_self": False}),
        ("index_fill_", (1, np.array([0, 3]), 9.0), {}),
        ("index_copy_", (0, np.array([1]), src), {}),
        ("masked_scatter_", (mask, randn((12,), "ms12")), {}),
        ("put_", (np.array([0, 5]), np.array([1.5, -2.5])), {}),
    ]
    for name, args, kw in cases:
        g, t = glia.tensor(x), torch.tensor(x)
        ga = [glia.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        ta = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        assert getattr(g, name)(*ga, **kw) is g
        getattr(t, name)(*ta, **kw)
        assert_close(g, t, rtol=1e-12, atol=0)


def test_zero_dim_gather_and_scatters_match_torch():
    # a 0-d tensor is one element along dim 0 (or -1), as in torch
    for dim in (0, -1):
        check_op(lambda a: glia.gather(a, dim, glia.tensor(0)),
                 lambda a: torch.gather(a, dim, torch.tensor(0)), np.array(2.5))
        check_op(lambda a, s: glia.scatter(a, dim, glia.tensor(0), s),
                 lambda a, s: torch.scatter(a, dim, torch.tensor(0), s), np.array(2.5),
                 np.array(-1.0))
        check_op(lambda a, s: glia.scatter_add(a, dim, glia.tensor(0), s),
                 lambda a, s: torch.scatter_add(a, dim, torch.tensor(0), s), np.array(2.5),
                 np.array(-1.0))
        check_op(lambda a, s: glia.scatter_reduce(a, dim, glia.tensor(0), s, "amax"),
                 lambda a, s: torch.scatter_reduce(a, dim, torch.tensor(0), s, "amax"),
                 np.array(2.5), np.array(-1.0), grad=False)
    check_raises(lambda: glia.gather(glia.tensor(2.5), 0, glia.tensor(1)), IndexError,
                 "gather", "1")
    check_raises(lambda: glia.gather(glia.tensor(2.5), 1, glia.tensor(0)), IndexError,
                 "gather", "dim 1")


def test_changing_a_saved_index_in_place_is_caught():
    s = glia.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for make in (lambda i: glia.zeros(3).scatter_add(0, i, s),
                 lambda i: glia.zeros(3).scatter(0, i, s),
                 lambda i: glia.zeros(3).scatter_reduce(0, i, s, "sum")):
        i = glia.tensor([0, 1, 2])
        out = make(i)
        with glia.no_grad():
            i.fill_(0)
        check_raises(lambda: out.sum().backward(), RuntimeError, "modified by an in-place")


def test_scatter_reduce_prod_over_zeros_fails_only_on_backward_and_has_no_double_backward():
    b = glia.tensor([1.0, 2.0], requires_grad=True)
    out = b.scatter_reduce(0, glia.tensor([0]), glia.tensor([0.0]), "prod")
    np.testing.assert_array_equal(out.detach().numpy(), [0.0, 2.0])  # the forward works
    check_raises(lambda: out.sum().backward(), RuntimeError, "scatter_reduce", "zeros")
    s = glia.tensor([2.0, 3.0, 4.0], requires_grad=True)
    check_raises(lambda: glia.autograd.grad(glia.ones(2).scatter_reduce(
        0, glia.tensor([0, 0, 1]), s, "prod").sum(), [s], create_graph=True), RuntimeError,
        "ScatterReduceBackward", "double backward")
