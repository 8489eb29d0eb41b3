"""The Python shape composites (glia/_shapes.py) vs PyTorch: roll, diff, rot90/flips, axis
aliases, ravel/unflatten/unfold, diagonals, tensordot/kron/cross, the *stack and *split
families, meshgrid/cartesian_prod/block_diag, take/take_along_dim/masked_select/argwhere,
triangle indices and Tensor.new_*: values, dtypes, views, gradients and errors."""
import warnings

import numpy as np
import pytest
import torch

import glia
from helpers import RNG, assert_close, check_op, check_raises, gradcheck, randn


# ---- local tools ----

def same(name, *args, **kwargs):
    """(glia fn, torch fn): the function `name` of each library with trailing args bound."""
    return (lambda *xs: getattr(glia, name)(*xs, *args, **kwargs),
            lambda *xs: getattr(torch, name)(*xs, *args, **kwargs))


def method(name, *args, **kwargs):
    """A call of the Tensor method `name` that works on glia and torch tensors alike."""
    return lambda x, *rest: getattr(x, name)(*rest, *args, **kwargs)


def ints(*shape, high=5):
    return RNG.integers(-high, high, shape).astype(np.int64)


def bools(*shape):
    return np.asarray(RNG.random(shape) < 0.5)


def joined(lib, fn):
    """fn returning a tuple -> one flat tensor of all parts, so check_op can compare them."""
    def run(*xs):
        parts = fn(*xs)
        return lib.cat([p.reshape(-1) for p in parts]) if parts else lib.zeros(0)
    return run


def check_parts(gfn, tfn, *arrays, **kw):
    """check_op for functions returning tuples: the parts' shapes, then values and gradients
    of the parts joined."""
    g = gfn(*[glia.tensor(a) for a in arrays])
    t = tfn(*[torch.from_numpy(np.array(a)) for a in arrays])
    assert [tuple(p.shape) for p in g] == [tuple(p.shape) for p in t]
    check_op(joined(glia, gfn), joined(torch, tfn), *arrays, **kw)


def check_alias(gfn, tfn, a, strides=True):
    """gfn(x) aliases x exactly when torch's does: after a write to x under no_grad both
    outputs still agree (a view sees the write, a copy keeps the old values); with `strides`,
    views also have torch's strides."""
    g, t = glia.tensor(a), torch.from_numpy(a.copy())
    go, to = gfn(g), tfn(t)
    go, to = (go, to) if isinstance(to, (tuple, list)) else ((go,), (to,))
    assert_close(go, to)
    if strides:
        for x, y in zip(go, to):
            if y.numel() > 1:
                assert x.stride() == y.stride()
    new = randn(*a.shape).astype(a.dtype)
    with glia.no_grad():
        g.copy_(glia.tensor(new))
    t.copy_(torch.from_numpy(new))
    assert_close(go, to)


# ---- roll ----

@pytest.mark.parametrize("shape,shifts,dims", [
    ((5,), 2, None), ((5,), -7, 0), ((3, 4), 1, None), ((3, 4), (1, -2), (0, 1)),
    ((3, 4), (5, 5), (1, 1)), ((0, 3), 1, 0), ((2, 0), 3, 1), ((), 1, None), ((1, 4), 3, -1),
    ((2, 3, 4), [1], [-2]), ((3, 4), 0, 1),
])
def test_roll_matches_torch(shape, shifts, dims):
    check_op(*same("roll", shifts, dims), randn(*shape))
    check_op(*same("roll", shifts, dims), ints(*shape))
    check_op(*same("roll", shifts, dims), bools(*shape))


def test_roll_is_a_copy_and_a_method():
    check_alias(method("roll", 0, 0), method("roll", 0, 0), randn(3, 4))
    check_op(method("roll", (2, 1), (1, 0)), method("roll", (2, 1), (1, 0)), randn(3, 4))
    gradcheck(lambda x: glia.roll(x, (1, -3), (0, 1)), randn(3, 4))


def test_roll_errors():
    x = glia.zeros(3, 4)
    check_raises(lambda: glia.roll(x, (1, 2)), ValueError, "roll", "(1, 2)")
    check_raises(lambda: glia.roll(x, (1, 2), 0), ValueError, "roll", "shifts=(1, 2)", "dims=(0,)")
    check_raises(lambda: glia.roll(x, (), ()), ValueError, "roll", "non-empty")
    check_raises(lambda: glia.roll(x, 1, 2), IndexError, "roll", "dim 2", "[-2, 1]")
    check_raises(lambda: glia.roll(x, 1.5), TypeError, "roll", "1.5")
    check_raises(lambda: glia.roll(glia.tensor(1.0), 1, 0), IndexError, "roll", "dim 0", "0-d")


# ---- diff ----

@pytest.mark.parametrize("shape,n,dim", [
    ((5,), 1, -1), ((3, 4), 2, 1), ((3, 4), 1, 0), ((3, 4), 5, 1), ((3, 4), 0, -1),
    ((0, 3), 1, 0), ((4, 1), 1, 1), ((2, 3, 4), 3, -2),
])
def test_diff_matches_torch(shape, n, dim):
    for a in (randn(*shape), ints(*shape), bools(*shape)):
        check_op(*same("diff", n, dim), a)


def test_diff_prepend_append_and_grad():
    x, pre, post = randn(3, 4), randn(3, 2), randn(3, 1)
    gfn = lambda x, p, q: glia.diff(x, 2, 1, p, q)
    tfn = lambda x, p, q: torch.diff(x, 2, 1, p, q)
    check_op(gfn, tfn, x, pre, post)
    check_op(method("diff", dim=0), method("diff", dim=0), x)
    check_op(lambda x, p: glia.diff(x, dim=0, prepend=p),
             lambda x, p: torch.diff(x, dim=0, prepend=p), x, randn(1, 4))
    # an int64 prepend promotes like torch.cat
    ip = ints(3, 1)
    check_op(lambda x: x.diff(append=glia.tensor(ip)), lambda x: x.diff(append=torch.tensor(ip)), x)
    gradcheck(lambda x, p: glia.diff(x, 3, 1, prepend=p), x, pre)
    check_alias(*same("diff", 0), randn(5))  # n=0 still copies


def test_diff_errors():
    x = glia.zeros(3, 4)
    check_raises(lambda: glia.diff(glia.tensor(1.0)), ValueError, "diff", "0-d")
    check_raises(lambda: glia.diff(x, -1), ValueError, "diff", "-1")
    check_raises(lambda: glia.diff(x, dim=2), IndexError, "diff", "dim 2")
    check_raises(lambda: glia.diff(x, prepend=glia.zeros(2, 1)), ValueError, "diff", "(2, 1)")
    check_raises(lambda: glia.diff(x, append=glia.zeros(3)), ValueError, "diff", "(3,)")
    check_raises(lambda: glia.diff(x, prepend=[1.0]), TypeError, "diff", "list")


# ---- rot90, fliplr, flipud ----

@pytest.mark.parametrize("k", range(-5, 6))
@pytest.mark.parametrize("shape,dims", [((3, 4), (0, 1)), ((3, 4), (1, 0)), ((2, 3, 4), (-1, 0)),
                                        ((2, 0, 3), (0, 1)), ((1, 5), [1, 0])])
def test_rot90_matches_torch(k, shape, dims):
    check_op(*same("rot90", k, dims), randn(*shape))


def test_rot90_int_bool_method_copy_and_errors():
    check_op(*same("rot90"), ints(3, 4))
    check_op(method("rot90", 3, (0, 1)), method("rot90", 3, (0, 1)), bools(2, 3))
    check_alias(*same("rot90", 0), randn(3, 4))
    gradcheck(lambda x: glia.rot90(x, 1, (1, 2)), randn(2, 3, 4))
    x = glia.zeros(3, 4)
    check_raises(lambda: glia.rot90(x, 1, (0, 0)), ValueError, "rot90", "(0, 0)")
    check_raises(lambda: glia.rot90(x, 1, (0,)), ValueError, "rot90", "(0,)")
    check_raises(lambda: glia.rot90(x, 1, (0, 2)), IndexError, "rot90", "dim 2")
    check_raises(lambda: glia.rot90(glia.zeros(3)), ValueError, "rot90", "(3,)")


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (0, 2), (1, 1)])
def test_fliplr_flipud_match_torch(shape):
    for name in ("fliplr", "flipud"):
        check_op(*same(name), randn(*shape))
        check_op(method(name), method(name), ints(*shape))
    check_op(*same("flipud"), randn(shape[-1]))
    check_alias(*same("fliplr"), randn(*shape))


def test_flip_errors():
    check_raises(lambda: glia.fliplr(glia.zeros(3)), ValueError, "fliplr", "(3,)")
    check_raises(lambda: glia.flipud(glia.tensor(1.0)), ValueError, "flipud", "0-d")


# ---- swapaxes, swapdims, moveaxis, ravel, unflatten ----

@pytest.mark.parametrize("d0,d1", [(0, 1), (-1, 0), (1, 1), (2, -3)])
def test_swapaxes_swapdims_are_transpose_views(d0, d1):
    for name in ("swapaxes", "swapdims"):
        check_op(*same(name, d0, d1), randn(2, 3, 4))
        check_op(method(name, d0, d1), method(name, d0, d1), ints(2, 3, 4))
        check_alias(*same(name, d0, d1), randn(2, 3, 4))
    a = randn(2, 3)
    assert_close(glia.swapaxes(glia.tensor(a), axis0=1, axis1=0),
                 torch.swapaxes(torch.tensor(a), axis0=1, axis1=0))


@pytest.mark.parametrize("src,dst", [((0, 1), (2, 0)), (-1, 0), ((), ()), ([0, 2], [-1, -2]),
                                     (1, 1), ((0, 1, 2), (2, 0, 1))])
def test_moveaxis_matches_torch(src, dst):
    check_op(*same("moveaxis", src, dst), randn(2, 3, 4))
    check_op(method("moveaxis", src, dst), method("moveaxis", src, dst), bools(2, 0, 4))
    check_alias(*same("moveaxis", src, dst), randn(2, 3, 4))


def test_swap_and_moveaxis_errors():
    x = glia.zeros(2, 3, 4)
    check_raises(lambda: glia.swapaxes(x, 0, 3), IndexError, "swapaxes", "3")
    check_raises(lambda: x.swapdims(-4, 0), IndexError, "swapdims", "-4")
    check_raises(lambda: glia.moveaxis(x, (0, 0), (1, 2)), ValueError, "moveaxis", "repeated", "(0, 0)")
    check_raises(lambda: glia.moveaxis(x, (0, 1), (2,)), ValueError, "moveaxis", "(0, 1)", "(2,)")
    check_raises(lambda: glia.moveaxis(x, 3, 0), IndexError, "moveaxis", "dim 3")
    check_raises(lambda: glia.moveaxis(x, 0.5, 0), TypeError, "moveaxis", "0.5")


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (), (0, 3), (5,)])
def test_ravel_matches_torch(shape):
    check_op(*same("ravel"), randn(*shape))
    check_op(method("ravel"), method("ravel"), ints(*shape))
    check_alias(*same("ravel"), randn(*shape))  # a view of a contiguous input
    check_alias(lambda x: x.mT.ravel(), lambda x: x.mT.ravel(), randn(3, 4))  # a copy


@pytest.mark.parametrize("shape,dim,sizes", [
    ((3, 4), 1, (2, -1)), ((3, 4), -1, [4]), ((0, 3), 1, (3, 1)), ((3, 4), 0, (1, -1, 1)),
    ((2, 12, 1), 1, (2, 3, 2)), ((6,), 0, (-1, 3)),
])
def test_unflatten_matches_torch(shape, dim, sizes):
    check_op(*same("unflatten", dim, sizes), randn(*shape))
    check_op(method("unflatten", dim, sizes), method("unflatten", dim, sizes), bools(*shape))
    check_alias(*same("unflatten", dim, sizes), randn(*shape))
    if len(shape) == 2:  # splitting a dim of a transposed input is a view too
        f = lambda x: x.mT.unflatten(dim, sizes)
        check_alias(f, f, randn(*shape[::-1]))


def test_unflatten_errors():
    x = glia.zeros(3, 4)
    check_raises(lambda: glia.unflatten(x, 1, (3, -1)), ValueError, "unflatten", "(3, -1)", "4")
    check_raises(lambda: glia.unflatten(x, 1, (2, 3)), ValueError, "unflatten", "(2, 3)")
    check_raises(lambda: glia.unflatten(x, 1, (-1, -1)), ValueError, "unflatten", "(-1, -1)")
    check_raises(lambda: glia.unflatten(x, 1, ()), ValueError, "unflatten", "non-empty")
    check_raises(lambda: glia.unflatten(x, 2, (4,)), IndexError, "unflatten", "dim 2")
    check_raises(lambda: glia.unflatten(glia.zeros(0, 3), 0, (0, -1)), ValueError, "unflatten")


# ---- unfold ----

@pytest.mark.parametrize("shape,dim,size,step", [
    ((10,), 0, 3, 2), ((3, 4), 1, 2, 1), ((3, 4), -1, 4, 10), ((3, 4), 0, 0, 1), ((), 0, 1, 1),
    ((), -1, 0, 2), ((0, 3), 1, 2, 1), ((0, 3), 0, 0, 1), ((5, 6, 7), 1, 3, 2), ((4, 5), 0, 1, 3),
])
def test_unfold_matches_torch(shape, dim, size, step):
    f = method("unfold", dim, size, step)
    check_op(f, f, randn(*shape))
    check_op(f, f, ints(*shape))


def test_unfold_grad_and_errors():
    gradcheck(lambda x: x.unfold(1, 3, 1), randn(2, 6))  # overlapping windows add up
    x = glia.zeros(3, 4)
    check_raises(lambda: x.unfold(0, 4, 1), ValueError, "unfold", "size 4", "size 3")
    check_raises(lambda: x.unfold(0, 1, 0), ValueError, "unfold", "step", "0")
    check_raises(lambda: x.unfold(0, -1, 1), ValueError, "unfold", "size", "-1")
    check_raises(lambda: x.unfold(2, 1, 1), IndexError, "unfold", "dim 2")
    check_raises(lambda: glia.tensor(1.0).unfold(0, 2, 1), ValueError, "unfold", "size 2")


# ---- diagonal, diag_embed, diag ----

@pytest.mark.parametrize("shape,offset,d1,d2", [
    *[((3, 4), k, 0, 1) for k in range(-4, 6)], ((4, 3), -1, 0, 1), ((4, 3), 1, 1, 0),
    ((2, 3, 4), 0, 0, 2), ((2, 3, 4), 1, 2, 0), ((2, 3, 4), -1, -1, 1), ((0, 3), 0, 0, 1),
    ((3, 0), -1, 0, 1), ((1, 1), 0, 1, 0), ((2, 5, 1), 0, 1, 2),
])
def test_diagonal_matches_torch(shape, offset, d1, d2):
    check_op(*same("diagonal", offset, d1, d2), randn(*shape))
    check_op(method("diagonal", offset, d1, d2), method("diagonal", offset, d1, d2), ints(*shape))
    check_op(*same("diagonal", offset, d1, d2), bools(*shape))


@pytest.mark.parametrize("pre", [lambda x: x, lambda x: x.mT, lambda x: x.permute(2, 0, 1)])
@pytest.mark.parametrize("offset", [-1, 0, 2])
def test_diagonal_is_a_view_like_torch(pre, offset):
    f = lambda x: pre(x).diagonal(offset, -1, -2)
    check_alias(f, f, randn(2, 3, 4))


def test_diagonal_of_any_strides_is_a_view_like_torch():
    # a column slice cannot merge its two dims: the diagonal is still a view (strided)
    f = lambda x: x[:, 1:4].diagonal()  # noqa: E731
    check_alias(f, f, randn(3, 5))
    f = lambda x: x[::2, 1:].diagonal(-1)  # noqa: E731
    check_alias(f, f, randn(6, 4))
    a = randn(3, 5)
    g = glia.tensor(a)
    with glia.no_grad():
        g[:, 1:4].diagonal().fill_(9.0)  # writes through, as torch
    t = torch.from_numpy(a.copy())
    t[:, 1:4].diagonal().fill_(9.0)
    assert_close(g, t)
    gradcheck(lambda x: x[:, 1:4].diagonal(-1), a)
    gradcheck(lambda x: glia.diagonal(x, 1, 2, 0), randn(2, 3, 4))


def test_diagonal_errors():
    x = glia.zeros(3, 4)
    check_raises(lambda: glia.diagonal(x, 0, 1, -1), ValueError, "diagonal", "1 and -1")
    check_raises(lambda: glia.diagonal(x, 0, 0, 2), IndexError, "diagonal", "dim 2")
    check_raises(lambda: glia.diagonal(glia.zeros(3)), IndexError, "diagonal", "dim 1", "1-d")


@pytest.mark.parametrize("shape,offset,d1,d2", [
    ((3,), 0, -2, -1), ((3,), 2, 0, 1), ((3,), -1, 1, 0), ((2, 3), 1, 0, 2), ((2, 3), -2, -1, 0),
    ((2, 3), 0, 1, 0), ((0,), 1, 0, 1), ((2, 0), 0, -2, -1), ((2, 1, 3), 3, 3, 1),
])
def test_diag_embed_matches_torch(shape, offset, d1, d2):
    check_op(*same("diag_embed", offset, d1, d2), randn(*shape))
    f = method("diag_embed", offset, d1, d2)
    check_op(f, f, ints(*shape))
    check_op(f, f, bools(*shape))


def test_diag_embed_grad_copy_and_errors():
    gradcheck(lambda x: glia.diag_embed(x, -1, 0, 2), randn(2, 3))
    check_alias(*same("diag_embed"), randn(2, 3))
    x = glia.zeros(2, 3)
    check_raises(lambda: glia.diag_embed(x, 0, 1, 1), ValueError, "diag_embed", "1 and 1")
    check_raises(lambda: glia.diag_embed(x, 0, 0, 3), IndexError, "diag_embed", "dim 3")
    check_raises(lambda: glia.diag_embed(glia.tensor(1.0)), ValueError, "diag_embed", "0-d")


@pytest.mark.parametrize("shape,k", [((3,), 0), ((3,), 2), ((3,), -1), ((0,), 1), ((1,), 0),
                                     ((3, 4), 0), ((3, 4), 1), ((3, 4), -2), ((3, 4), 10),
                                     ((0, 2), 0)])
def test_diag_matches_torch(shape, k):
    check_op(*same("diag", k), randn(*shape))
    check_op(method("diag", k), method("diag", k), ints(*shape))
    check_op(*same("diag", k), bools(*shape))
    check_alias(*same("diag", k), randn(*shape), strides=False)  # a copy for 2-D input too


def test_diag_errors():
    check_raises(lambda: glia.diag(glia.zeros(2, 2, 2)), ValueError, "diag", "(2, 2, 2)")
    check_raises(lambda: glia.diag(glia.tensor(1.0)), ValueError, "diag", "()")


# ---- tensordot, kron, cross ----

@pytest.mark.parametrize("sa,sb,dims", [
    ((3, 4, 5), (4, 5, 2), 2), ((3, 4), (4, 2), 1), ((2, 3), (3, 2), 0),
    ((3, 4), (4, 2, 3), ([1, 0], [0, 2])), ((3, 1), (3, 2), ([1], [1])), ((2, 0), (0, 3), 1),
    ((2, 3), (2, 3), ((0, 1), (0, 1))), ((3, 4), (4, 3), ([-1], [0])), ((), (), 0),
])
def test_tensordot_matches_torch(sa, sb, dims):
    check_op(*same("tensordot", dims=dims), randn(*sa), randn(*sb))
    check_op(*same("tensordot", dims=dims), ints(*sa), ints(*sb))


def test_tensordot_grad_tensor_dims_and_errors():
    gradcheck(lambda a, b: glia.tensordot(a, b, ([0, 2], [2, 0])), randn(2, 3, 4), randn(4, 5, 2))
    a, b = randn(3, 4), randn(4, 2)
    assert_close(glia.tensordot(glia.tensor(a), glia.tensor(b), glia.tensor(1)),
                 torch.tensordot(torch.tensor(a), torch.tensor(b), 1))
    x, y = glia.zeros(3, 4), glia.zeros(3, 4)
    check_raises(lambda: glia.tensordot(x, y, 1), ValueError, "tensordot", "size 4", "size 3")
    check_raises(lambda: glia.tensordot(x, y.long(), 2), TypeError, "tensordot", "int64")
    check_raises(lambda: glia.tensordot(x.bool(), y.bool(), 2), TypeError, "tensordot", "bool")
    check_raises(lambda: glia.tensordot(x, y, -1), ValueError, "tensordot", "-1")
    check_raises(lambda: glia.tensordot(x, y, 3), ValueError, "tensordot", "3")
    check_raises(lambda: glia.tensordot(x, y, ([0], [0, 1])), ValueError, "tensordot", "[0, 1]")
    check_raises(lambda: glia.tensordot(x, y, ([0, 0], [0, 1])), ValueError, "tensordot", "[0, 0]")
    check_raises(lambda: glia.tensordot(x, y, ([5], [0])), IndexError, "tensordot", "dim 5")
    check_raises(lambda: glia.tensordot(x, y, "ab"), TypeError, "tensordot", "'ab'")


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 2)), ((2,), (3, 4)), ((), (3,)),
                                   ((2, 1, 2), (2, 2)), ((0, 2), (2, 3)), ((3,), ())])
def test_kron_matches_torch(sa, sb):
    # torch.kron fails on some non-contiguous inputs ("view size is not compatible")
    t = lambda a, b: torch.kron(a.contiguous(), b.contiguous())
    for a, b in [(randn(*sa), randn(*sb)), (ints(*sa), ints(*sb)), (bools(*sa), bools(*sb)),
                 (ints(*sa), randn(*sb).astype(np.float32))]:  # the last pair promotes
        check_op(glia.kron, t, a, b)
        check_op(lambda a, b: a.kron(b), t, a, b)


def test_kron_grad_and_errors():
    gradcheck(glia.kron, randn(2, 3), randn(3, 2))
    check_raises(lambda: glia.kron(glia.zeros(2), [1.0]), TypeError, "kron")


@pytest.mark.parametrize("sa,sb,dim", [
    ((4, 3), (4, 3), 1), ((4, 3), (4, 3), -1), ((3, 5), (3, 5), 0), ((1, 3), (4, 3), -1),
    ((2, 3, 1), (2, 3, 4), 1), ((0, 3), (0, 3), 1), ((3,), (3,), 0),
])
def test_cross_matches_torch(sa, sb, dim):
    check_op(*same("cross", dim=dim), randn(*sa), randn(*sb))
    check_op(method("cross", dim=dim), method("cross", dim=dim), ints(*sa), ints(*sb))


@pytest.mark.parametrize("sa,sb", [((3, 3), (3, 3)), ((1, 3), (3, 3)), ((2, 3, 3), (2, 3, 3))])
def test_cross_without_dim_uses_the_first_size_3_dim_and_warns(sa, sb):
    a, b = randn(*sa), randn(*sb)
    with pytest.warns(UserWarning, match="cross"):
        g = glia.cross(glia.tensor(a), glia.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.cross(torch.tensor(a), torch.tensor(b))
    assert_close(g, t)


def test_cross_grad_and_errors():
    gradcheck(lambda a, b: glia.cross(a, b, dim=0), randn(3, 2), randn(3, 1))
    x = glia.zeros(2, 3)
    check_raises(lambda: glia.cross(glia.zeros(3), x, dim=-1), ValueError, "cross", "(3,)",
                 "(2, 3)")
    check_raises(lambda: glia.cross(x, x.long(), dim=1), TypeError, "cross", "int64")
    check_raises(lambda: glia.cross(x.bool(), x.bool(), dim=1), TypeError, "cross", "bool")
    check_raises(lambda: glia.cross(x, glia.zeros(2, 2), dim=1), ValueError, "cross", "size 3")
    check_raises(lambda: glia.cross(x, x, dim=0), ValueError, "cross", "dim 0", "size 3")
    check_raises(lambda: glia.cross(x, x, dim=2), IndexError, "cross", "dim 2")
    check_raises(lambda: glia.cross(glia.zeros(2, 4), glia.zeros(2, 4)), ValueError, "cross",
                 "(2, 4)")
    check_raises(lambda: glia.cross(x, glia.zeros(1, 3), dim=0), ValueError, "cross", "(1, 3)")


# ---- atleast_*d and the *stack family ----

@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (0,)])
def test_atleast_matches_torch(n, shape):
    name = f"atleast_{n}d"
    check_op(*same(name), randn(*shape))
    check_alias(*same(name), randn(*shape))
    g = glia.tensor(randn(*shape))
    assert (getattr(glia, name)(g) is g) == (g.dim() >= n)  # as torch, returns the input itself
    a, b = randn(*shape), ints(3)
    parts = [getattr(lib, name)(lib.tensor(a), lib.tensor(b)) for lib in (glia, torch)]
    assert_close(parts[0], parts[1])
    parts = [getattr(lib, name)([lib.tensor(a)]) for lib in (glia, torch)]
    assert isinstance(parts[0], tuple) and len(parts[0]) == 1
    assert_close(parts[0], parts[1])


def test_atleast_errors_and_empty():
    assert glia.atleast_2d() == ()
    check_raises(lambda: glia.atleast_1d(1.0), TypeError, "atleast_1d", "float")
    check_raises(lambda: glia.atleast_3d([glia.zeros(1), "x"]), TypeError, "atleast_3d", "str")


def _stack_case(name, shapes, kinds=None):
    kinds = kinds or "f" * len(shapes)
    arrays = [randn(*s) if k == "f" else ints(*s) if k == "i" else bools(*s)
              for s, k in zip(shapes, kinds)]
    g = lambda *xs: getattr(glia, name)(list(xs))
    t = lambda *xs: getattr(torch, name)(list(xs))
    check_op(g, t, *arrays)


@pytest.mark.parametrize("name,shapes,kinds", [
    ("hstack", [(), (3,)], None), ("hstack", [(2, 1), (2, 3)], None),
    ("hstack", [(3,), (0,)], "fi"),
    ("hstack", [(2, 2, 1), (2, 1, 1)], None), ("hstack", [(3,), (2,)], "ib"),
    ("vstack", [(3,), (2, 3)], None), ("vstack", [(2, 3, 4), (1, 3, 4)], None),
    ("vstack", [(), ()], "if"), ("row_stack", [(3,), (2, 3)], None),
    ("dstack", [(3,), (1, 3)], None), ("dstack", [(2, 3), (2, 3, 2)], None), ("dstack", [()], "b"),
    ("column_stack", [(3,), (3, 2), (3,)], "ffi"), ("column_stack", [(), (1, 2)], None),
    ("column_stack", [(2, 2, 2), (2, 1, 2)], None), ("column_stack", [(0,), (0, 2)], None),
])
def test_stacks_match_torch(name, shapes, kinds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.row_stack is deprecated in favour of vstack
        _stack_case(name, shapes, kinds)


def test_stack_errors():
    x = glia.zeros(2, 3)
    check_raises(lambda: glia.hstack([]), ValueError, "hstack", "non-empty")
    check_raises(lambda: glia.hstack(x), TypeError, "hstack", "Tensor")
    check_raises(lambda: glia.hstack([x, glia.zeros(3)]), ValueError, "hstack", "(3,)", "(2, 3)")
    check_raises(lambda: glia.vstack([x, glia.zeros(2, 4)]), ValueError, "vstack", "(2, 4)")
    check_raises(lambda: glia.dstack([x, glia.zeros(3, 3)]), ValueError, "dstack", "(3, 3, 1)")
    check_raises(lambda: glia.column_stack([glia.zeros(3), x]), ValueError, "column_stack",
                 "(3, 1)", "(2, 3)")
    check_raises(lambda: glia.vstack([x, 1.0]), TypeError, "vstack", "float", "position 1")


# ---- block_diag, meshgrid, cartesian_prod ----

@pytest.mark.parametrize("shapes,kinds", [
    ([(), (2,), (2, 3), (0, 2), (2, 0)], None), ([(2, 2)], None), ([(1, 3), (2,)], "if"),
    ([(2,), (1, 2)], "bb"), ([(2, 2), (3,)], "bi"), ([(0,)], None), ([], None),
])
def test_block_diag_matches_torch(shapes, kinds):
    kinds = kinds or "f" * len(shapes)
    arrays = [randn(*s) if k == "f" else ints(*s) if k == "i" else bools(*s)
              for s, k in zip(shapes, kinds)]
    check_op(*same("block_diag"), *arrays)


def test_block_diag_grad_and_errors():
    gradcheck(glia.block_diag, randn(2, 3), randn(2), randn(1, 1))
    check_raises(lambda: glia.block_diag(glia.zeros(1), glia.zeros(2, 2, 2)), ValueError,
                 "block_diag", "(2, 2, 2)", "position 1")
    check_raises(lambda: glia.block_diag(glia.zeros(1), [1.0]), TypeError, "block_diag", "list")


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [[(3,)], [(2,), (3,)], [(2,), (), (4,)], [(0,), (3,)],
                                    [(1,), (2,), (3,), (2,)]])
def test_meshgrid_matches_torch(indexing, shapes):
    arrays = [randn(*s) for s in shapes]
    g = lambda *xs: glia.meshgrid(*xs, indexing=indexing)
    t = lambda *xs: torch.meshgrid(*xs, indexing=indexing)
    check_parts(g, t, *arrays)
    check_parts(lambda *xs: glia.meshgrid(list(xs), indexing=indexing),
                lambda *xs: torch.meshgrid(list(xs), indexing=indexing),
                *[ints(*s) for s in shapes])
    # every grid is a view of its input
    check_alias(lambda x: glia.meshgrid(x, glia.zeros(2, dtype=glia.float64), indexing=indexing),
                lambda x: torch.meshgrid(x, torch.zeros(2, dtype=torch.float64),
                                         indexing=indexing), randn(3), strides=False)


def test_meshgrid_default_is_ij_and_errors():
    a, b = randn(2), randn(3)
    assert_close(glia.meshgrid(glia.tensor(a), glia.tensor(b)),
                 torch.meshgrid(torch.tensor(a), torch.tensor(b), indexing="ij"))
    x = glia.zeros(2)
    check_raises(lambda: glia.meshgrid(x, glia.zeros(2, 2)), ValueError, "meshgrid", "(2, 2)")
    check_raises(lambda: glia.meshgrid(x, x.long()), TypeError, "meshgrid", "int64")
    check_raises(lambda: glia.meshgrid(x, indexing="foo"), ValueError, "meshgrid", "'foo'")
    check_raises(lambda: glia.meshgrid(), ValueError, "meshgrid", "at least one")


@pytest.mark.parametrize("shapes", [[(3,)], [(2,), (3,)], [(2,), (1,), (3,)], [(2,), (0,)]])
def test_cartesian_prod_matches_torch(shapes):
    check_op(*same("cartesian_prod"), *[randn(*s) for s in shapes])
    check_op(*same("cartesian_prod"), *[ints(*s) for s in shapes])
    g = glia.zeros(2)
    assert glia.cartesian_prod(g) is g  # as torch


def test_cartesian_prod_grad_and_errors():
    gradcheck(glia.cartesian_prod, randn(2), randn(3))
    x = glia.zeros(2)
    check_raises(lambda: glia.cartesian_prod(x, glia.zeros(2, 2)), ValueError, "cartesian_prod",
                 "(2, 2)")
    check_raises(lambda: glia.cartesian_prod(x, glia.tensor(1.0)), ValueError, "cartesian_prod",
                 "()")
    check_raises(lambda: glia.cartesian_prod(x, x.long()), TypeError, "cartesian_prod", "int64")


# ---- tensor_split, hsplit, vsplit, dsplit ----

@pytest.mark.parametrize("spec", [3, 10, 1, [1, -1, 10], [3, 1], [], (1,), [0, 0, 4]])
@pytest.mark.parametrize("dim", [1, -1, 0])
def test_tensor_split_matches_torch(spec, dim):
    check_parts(*same("tensor_split", spec, dim), randn(3, 4))
    f = method("tensor_split", spec, dim=dim)
    check_parts(f, f, bools(3, 4))


def test_tensor_split_views_tensor_specs_and_errors():
    check_alias(*same("tensor_split", [1, 3], 1), randn(3, 4))
    check_alias(*same("tensor_split", 2), randn(5, 2))
    for spec in ([2], 2):
        g = glia.tensor_split(glia.tensor(randn(3, 4)), glia.tensor(spec), 1)
        t = torch.tensor_split(torch.zeros(3, 4), torch.tensor(spec), 1)
        assert [p.shape for p in g] == [tuple(p.shape) for p in t]
    x = glia.zeros(3, 4)
    check_raises(lambda: glia.tensor_split(x, 0), ValueError, "tensor_split", "0")
    check_raises(lambda: glia.tensor_split(x, -1), ValueError, "tensor_split", "-1")
    check_raises(lambda: glia.tensor_split(x, 1.5), TypeError, "tensor_split", "1.5")
    check_raises(lambda: glia.tensor_split(x, glia.tensor([2.0])), TypeError, "tensor_split",
                 "float32")
    check_raises(lambda: glia.tensor_split(x, glia.tensor([[2]])), TypeError, "tensor_split",
                 "(1, 1)")
    check_raises(lambda: glia.tensor_split(glia.tensor(1.0), 2), ValueError, "tensor_split", "0-d")
    check_raises(lambda: glia.tensor_split(x, 2, 2), IndexError, "tensor_split", "dim 2")


@pytest.mark.parametrize("name,shape,spec", [
    ("hsplit", (3, 4), 2), ("hsplit", (3, 4), [1, 2]), ("hsplit", (6,), 3), ("hsplit", (2, 0), 2),
    ("vsplit", (4, 3), 4), ("vsplit", (4, 3), [3]), ("dsplit", (2, 2, 4), [1]),
    ("dsplit", (1, 2, 6), 3),
])
def test_hsplit_vsplit_dsplit_match_torch(name, shape, spec):
    check_parts(*same(name, spec), randn(*shape))
    check_parts(method(name, spec), method(name, spec), ints(*shape))


def test_hsplit_vsplit_dsplit_errors():
    x = glia.zeros(3, 4)
    check_raises(lambda: glia.hsplit(x, 3), ValueError, "hsplit", "size 4", "3")
    check_raises(lambda: glia.hsplit(x, 0), ValueError, "hsplit", "0")
    check_raises(lambda: glia.hsplit(glia.tensor(1.0), 1), ValueError, "hsplit", "at least 1")
    check_raises(lambda: glia.vsplit(glia.zeros(6), 3), ValueError, "vsplit", "(6,)")
    check_raises(lambda: glia.vsplit(x, 2), ValueError, "vsplit", "size 3", "2")
    check_raises(lambda: x.dsplit(1), ValueError, "dsplit", "(3, 4)")


# ---- take, take_along_dim, masked_select, argwhere ----

@pytest.mark.parametrize("shape,index", [
    ((3, 4), [[0, -1], [11, -12]]), ((5,), [4, 4, 0]), ((3, 4), 5), ((2, 3), []), ((), [0, -1]),
])
def test_take_matches_torch(shape, index):
    i = np.array(index, dtype=np.int64)
    g = lambda x: glia.take(x, glia.tensor(i))
    t = lambda x: torch.take(x, torch.tensor(i))
    check_op(g, t, randn(*shape))
    check_op(g, t, ints(*shape))
    check_op(lambda x: x.take(glia.tensor(i)), lambda x: x.take(torch.tensor(i)), bools(*shape))


def test_take_grad_and_errors():
    gradcheck(lambda x: glia.take(x, glia.tensor([[1, 1], [-1, 0]])), randn(2, 3))
    x = glia.zeros(3, 4)
    check_raises(lambda: glia.take(x, glia.tensor([12])), IndexError, "take", "12", "12 elements")
    check_raises(lambda: glia.take(x, glia.tensor([0, -13])), IndexError, "take", "-13")
    check_raises(lambda: glia.take(x, glia.tensor([1.0])), TypeError, "take", "float32")
    check_raises(lambda: glia.take(glia.zeros(0), glia.tensor([0])), IndexError, "take", "0")
    check_raises(lambda: glia.take(x, [1]), TypeError, "take", "list")


@pytest.mark.parametrize("shape,ishape,dim", [
    ((3, 4), (3, 2), 1), ((3, 4), (1, 2), 1), ((3, 1), (3, 2), 0), ((1, 4), (3, 2), 1),
    ((3, 4), (2,), None), ((3, 4), (2, 5), None), ((2, 3, 4), (2, 1, 4), -2), ((3, 4), (3, 0), 1),
    ((), (), None),
])
def test_take_along_dim_matches_torch(shape, ishape, dim):
    size = int(np.prod(shape)) if dim is None else shape[dim]
    i = RNG.integers(0, max(size, 1), ishape).astype(np.int64)
    g = lambda x: glia.take_along_dim(x, glia.tensor(i), dim)
    # torch's dim=None path views its input and fails on non-contiguous ones
    t = lambda x: torch.take_along_dim(x.contiguous(), torch.tensor(i), dim)
    check_op(g, t, randn(*shape))
    check_op(g, t, ints(*shape))


def test_take_along_dim_of_argsort_sorts():
    a = randn(3, 5)
    x = glia.tensor(a, requires_grad=True)
    out = x.take_along_dim(x.argsort(dim=1), dim=1)
    assert_close(out, torch.from_numpy(np.sort(a, axis=1)))
    gradcheck(lambda x: glia.take_along_dim(x, glia.tensor([[0, 0], [2, 1]]), 1), randn(1, 3))


def test_take_along_dim_errors():
    x = glia.zeros(3, 4)
    check_raises(lambda: glia.take_along_dim(x, glia.tensor([[0.0]]), 1), TypeError,
                 "take_along_dim", "float32")
    check_raises(lambda: glia.take_along_dim(x, glia.tensor([0]), 1), ValueError,
                 "take_along_dim", "(3, 4)", "(1,)")
    check_raises(lambda: glia.take_along_dim(x, glia.tensor([[4]]), 1), IndexError,
                 "take_along_dim", "4")
    check_raises(lambda: glia.take_along_dim(x, glia.tensor([[-1]]), 1), IndexError,
                 "take_along_dim", "-1")
    check_raises(lambda: glia.take_along_dim(x, glia.tensor([[0]]), 2), IndexError,
                 "take_along_dim", "dim 2")
    check_raises(lambda: glia.take_along_dim(x, glia.zeros(2, 1).long(), 1), ValueError,
                 "take_along_dim", "(3, 1)", "(2, 1)")
    check_raises(lambda: glia.take_along_dim(x, glia.tensor([12])), IndexError,
                 "take_along_dim", "12")


@pytest.mark.parametrize("shape,mshape", [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)),
                                          ((), ()), ((3, 1), (1, 2)), ((0, 2), (2,)), ((2,), ())])
def test_masked_select_matches_torch(shape, mshape):
    m = bools(*mshape)
    g = lambda x: glia.masked_select(x, glia.tensor(m))
    t = lambda x: torch.masked_select(x, torch.tensor(m))
    check_op(g, t, randn(*shape))
    check_op(lambda x: x.masked_select(glia.tensor(m)), lambda x: x.masked_select(torch.tensor(m)),
             ints(*shape))


def test_masked_select_grad_and_errors():
    gradcheck(lambda x: glia.masked_select(x, glia.tensor([[True], [False], [True]])), randn(3, 2))
    x = glia.zeros(3, 4)
    check_raises(lambda: glia.masked_select(x, glia.tensor([1, 0, 1, 0])), TypeError,
                 "masked_select", "int64")
    check_raises(lambda: glia.masked_select(x, [True]), TypeError, "masked_select", "list")
    check_raises(lambda: glia.masked_select(x, glia.tensor([True, False, True])), ValueError,
                 "masked_select", "(3, 4)", "(3,)")


@pytest.mark.parametrize("a", [
    randn(3, 4) * (RNG.random((3, 4)) < 0.5), ints(2, 3, 2, high=2), bools(5), np.array(2.0),
    np.array(0.0), np.zeros((0, 3)), np.array([np.nan, 0.0, -0.0, np.inf]),
])
def test_argwhere_matches_torch(a):
    check_op(*same("argwhere"), a)
    check_op(method("argwhere"), method("argwhere"), a)


def test_argwhere_errors():
    check_raises(lambda: glia.argwhere([1, 0]), TypeError, "argwhere")


# ---- tril_indices, triu_indices ----

@pytest.mark.parametrize("row,col,offset", [(3, 4, 0), (3, 4, 1), (4, 3, -2), (0, 4, 1), (3, 0, 0),
                                            (3, 4, 10), (3, 4, -10), (1, 1, 0), (5, 5, -1)])
def test_triangle_indices_match_torch(row, col, offset):
    for name in ("tril_indices", "triu_indices"):
        assert_close(getattr(glia, name)(row, col, offset), getattr(torch, name)(row, col, offset))
    assert_close(glia.tril_indices(row, col, offset, dtype=glia.int64),
                 torch.tril_indices(row, col, offset, dtype=torch.int64))


def test_triangle_indices_errors():
    check_raises(lambda: glia.tril_indices(-1, 4), ValueError, "tril_indices", "row", "-1")
    check_raises(lambda: glia.triu_indices(3, 2.5), ValueError, "triu_indices", "col", "2.5")
    check_raises(lambda: glia.triu_indices(3, 3, 0.5), TypeError, "triu_indices", "0.5")
    check_raises(lambda: glia.tril_indices(3, 3, dtype=glia.float32), TypeError, "tril_indices",
                 "float32")


# ---- Tensor.new_* ----

@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.bool_])
def test_new_tensors_keep_self_dtype(dtype):
    a = np.ones((2, 3), dtype)
    g, t = glia.tensor(a), torch.from_numpy(a)
    for call in (lambda x: x.new_zeros(2, 3), lambda x: x.new_zeros((2, 0)),
                 lambda x: x.new_ones([4]), lambda x: x.new_ones(()),
                 lambda x: x.new_full((2,), 3), lambda x: x.new_full([2, 1], 1.7),
                 lambda x: x.new_tensor([[1.5, -2.5]]), lambda x: x.new_tensor(3),
                 lambda x: x.new_tensor(np.arange(3.0) - 1.2)):
        assert_close(call(g), call(t))
    e = g.new_empty(2, 3)
    assert e.shape == (2, 3) and e.dtype == g.dtype


def test_new_tensors_dtype_grad_copy_and_errors():
    g = glia.zeros(2, dtype=glia.int64)
    assert_close(g.new_zeros(2, dtype=glia.float64), torch.zeros(2, dtype=torch.float64))
    assert_close(g.new_full((2,), 7, dtype=glia.bool), torch.full((2,), True))
    assert_close(g.new_tensor([1, 2], dtype=float), torch.tensor([1.0, 2.0]))
    w = glia.zeros(2).new_ones(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    src = glia.tensor([1.0, 2.0])
    copy = src.new_tensor(src)
    with glia.no_grad():
        src.fill_(5.0)
    assert copy.tolist() == [1.0, 2.0]  # a copy, not an alias
    check_raises(lambda: g.new_zeros("ab"), TypeError, "new_zeros", "'a', 'b'")
    check_raises(lambda: g.new_full(2.5, 1), TypeError, "new_full", "2.5")
    check_raises(lambda: g.new_tensor("ab"), TypeError, "new_tensor", "str")


# ---- methods ----

def test_only_functions_with_a_torch_method_are_methods():
    for name in ["tensordot", "meshgrid", "hstack", "vstack", "block_diag", "cartesian_prod",
                 "atleast_1d", "tril_indices", "roll", "take", "unflatten"]:
        assert hasattr(glia.Tensor, name) == hasattr(torch.Tensor, name), name
