"""Shape ops and views vs PyTorch: reshape/view, flatten, squeeze/unsqueeze, transposes,
expand, narrow/select, copies, repeat, unbind, cat/stack/split/chunk and dtype conversion."""
import numpy as np
import pytest
import torch

import glia
from helpers import RNG, assert_close, check_op, check_raises, gradcheck, randn, to_torch


# ---- local tools ----

def _inputs(arrays, nc, grad):
    """(glia leaves, torch leaves, glia inputs, torch inputs) for `arrays`. With nc, every
    input of 1+ dims is a non-contiguous view (transpose or stride-2 slice) of its leaf."""
    gl, tl, gi, ti = [], [], [], []
    for a in arrays:
        a = np.asarray(a)
        rg = grad and a.dtype.kind == "f"
        if nc and a.ndim >= 2:
            store = np.ascontiguousarray(np.swapaxes(a, -1, -2))
            g, t = glia.tensor(store, requires_grad=rg), to_torch(store, rg)
            x, y = g.transpose(-1, -2), t.transpose(-1, -2)
        elif nc and a.ndim == 1:
            store = np.repeat(a, 2)
            g, t = glia.tensor(store, requires_grad=rg), to_torch(store, rg)
            x, y = g[::2], t[::2]
        else:
            g, t = glia.tensor(a, requires_grad=rg), to_torch(a, rg)
            x, y = g, t
        if nc and a.size:
            assert x.is_contiguous() == y.is_contiguous()
            assert x.stride() == y.stride()
        gl.append(g), tl.append(t), gi.append(x), ti.append(y)
    return gl, tl, gi, ti


def compare(gfn, tfn, *arrays, grad=True, nc=(False, True), rtol=1e-5, atol=1e-6):
    """gfn(*glia inputs) vs tfn(*torch inputs): outputs (a tensor or a tuple) and, under random
    cotangents, the gradients of the leaves; contiguous and non-contiguous inputs."""
    for variant in nc:
        gl, tl, gi, ti = _inputs(arrays, variant, grad)
        go, to = gfn(*gi), tfn(*ti)
        single = isinstance(to, torch.Tensor)
        go, to = ((go,), (to,)) if single else (tuple(go), tuple(to))
        assert_close(go, to, rtol, atol)
        if not any(t.requires_grad for t in tl):
            continue
        gloss, tloss = None, None
        for g, t in zip(go, to):
            if not t.requires_grad or t.numel() == 0:
                continue
            c = np.random.default_rng(7).standard_normal(tuple(t.shape)).astype(
                t.detach().numpy().dtype)
            gl_ = (g * glia.tensor(c)).sum()
            tl_ = (t * torch.from_numpy(c)).sum()
            gloss = gl_ if gloss is None else gloss + gl_
            tloss = tl_ if tloss is None else tloss + tl_
        if tloss is None:
            continue
        gloss.backward()
        tloss.backward()
        for g, t in zip(gl, tl):
            if t.grad is None or t.grad.numel() == 0:  # unused input, or an empty one
                assert g.grad is None or g.grad.numel() == 0 or not g.grad.numpy().any()
            elif t.requires_grad:
                assert g.grad is not None, "glia left a gradient out"
                assert_close(g.grad, t.grad, rtol, atol)


def view_matches(gfn, tfn, shape, dtype=np.float64):
    """gfn(base) is a view like torch's: same strides, offset, contiguity, and it sees a write
    to the base made under no_grad."""
    a = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    gb, tb = glia.tensor(a), torch.from_numpy(a.copy())
    gv, tv = gfn(gb), tfn(tb)
    assert_close(gv, tv)
    if tv.numel():  # strides of empty tensors are a convention (see the test below)
        assert gv.stride() == tv.stride()
        assert gv.is_contiguous() == tv.is_contiguous()
        assert gv.data_ptr() - gb.data_ptr() == tv.data_ptr() - tb.data_ptr()
    if not tv.numel():
        return gv
    new = randn(*shape).astype(dtype)
    with glia.no_grad():
        gb.copy_(glia.tensor(new))
    tb.copy_(torch.from_numpy(new))
    assert_close(gv, tv)
    return gv


# ---- reshape / view ----

RESHAPES = [
    ((2, 3, 4), (6, 4)),
    ((2, 3, 4), (-1,)),
    ((2, 3, 4), (4, -1)),
    ((2, 3, 4), (2, -1, 2)),
    ((2, 3, 4), (1, 24, 1)),
    ((6,), (3, 2)),
    ((1,), ()),
    ((), (1, 1)),
    ((), (-1,)),
    ((0, 3), (3, 0)),
    ((0, 3), (-1, 3)),
    ((4, 1, 3), (3, 4)),
]


@pytest.mark.parametrize("src,dst", RESHAPES)
@pytest.mark.parametrize("form", ["varargs", "tuple", "list", "function"])
def test_reshape_matches_torch(src, dst, form):
    call = {
        "varargs": lambda x, s: x.reshape(*s),
        "tuple": lambda x, s: x.reshape(tuple(s)),
        "list": lambda x, s: x.reshape(list(s)),
        "function": lambda x, s: (glia if isinstance(x, glia.Tensor) else torch).reshape(x, s),
    }["tuple" if form == "varargs" and not dst else form]  # reshape() alone is no torch call
    compare(lambda x: call(x, dst), lambda x: call(x, dst), randn(*src))


@pytest.mark.parametrize("src,dst", [s for s in RESHAPES if s[1]])
def test_view_matches_torch(src, dst):
    compare(lambda x: x.view(*dst), lambda x: x.view(*dst), randn(*src), nc=(False,))
    compare(lambda x: x.view(dst), lambda x: x.view(dst), randn(*src), nc=(False,))
    g = view_matches(lambda x: x.view(*dst), lambda x: x.view(*dst), src)
    assert g.shape == torch.empty(src).view(*dst).shape


@pytest.mark.parametrize("src,fn", [
    ((2, 3, 4), lambda x: x.view(-1)),
    ((2, 3, 4), lambda x: x.reshape(4, 6)),
    ((2, 3, 4), lambda x: x.reshape(2, 12)),
    ((2, 3, 4), lambda x: x.view(6, 2, 2)),
])
def test_reshape_of_contiguous_is_a_view(src, fn):
    view_matches(fn, fn, src)


@pytest.mark.parametrize("shape,fn", [
    # transposed / sliced inputs that PyTorch can still view (strides allow it)
    ((4, 6), lambda x: x.t().view(3, 2, 4)),
    ((4, 6), lambda x: x[:, ::2].view(4, 3, 1)),
    ((2, 3, 4), lambda x: x.permute(1, 0, 2).view(3, 2, 2, 2)),
    ((2, 3, 4), lambda x: x.transpose(0, 1).unsqueeze(0).view(3, 2, 4)),
    ((6, 4), lambda x: x[1:5].view(2, 2, 4)),
    ((6, 4), lambda x: x[:, 1:3].view(6, 2, 1)),
    ((4, 6), lambda x: x[:, ::2].view(12)),
    ((2, 3, 4), lambda x: x.permute(2, 0, 1).view(4, 6)),
])
def test_view_of_noncontiguous_when_strides_allow(shape, fn):
    view_matches(fn, fn, shape)


@pytest.mark.parametrize("shape,fn,target", [
    ((2, 3), lambda x: x.t(), (6,)),
    ((2, 3, 4), lambda x: x.transpose(0, 2), (-1,)),
    ((4, 6), lambda x: x[:, :3], (12,)),
    ((2, 3, 4), lambda x: x.permute(2, 0, 1), (8, 3)),
])
def test_view_of_noncontiguous_raises(shape, fn, target):
    g = fn(glia.tensor(randn(*shape)))
    with pytest.raises(RuntimeError):
        fn(torch.from_numpy(randn(*shape))).view(*target)
    check_raises(lambda: g.view(*target), ValueError, "view", "reshape")


@pytest.mark.parametrize("shape,fn,target", [
    ((2, 3), lambda x: x.t(), (6,)),
    ((2, 3, 4), lambda x: x.transpose(0, 2), (-1,)),
    ((4, 6), lambda x: x[:, :3], (12,)),
    ((2, 3, 4), lambda x: x.permute(2, 0, 1), (8, 3)),
])
def test_reshape_of_noncontiguous_copies(shape, fn, target):
    a = randn(*shape)
    gb, tb = glia.tensor(a), torch.from_numpy(a.copy())
    gr, tr = fn(gb).reshape(*target), fn(tb).reshape(*target)
    assert_close(gr, tr)
    assert gr.is_contiguous() and gr.stride() == tr.stride()
    assert not (gb.data_ptr() <= gr.data_ptr() < gb.data_ptr() + 8 * a.size)
    with glia.no_grad():
        gb.zero_()
    assert_close(gr, tr)  # the copy keeps the old values
    compare(lambda x: fn(x).reshape(*target), lambda x: fn(x).reshape(*target), a)


@pytest.mark.parametrize("fn", [lambda x: x.mT, lambda x: x[:, ::2], lambda x: x.expand(3, 2, 0)])
def test_empty_tensor_contiguity_matches_torch(fn):
    g, t = fn(glia.zeros(2, 0)), fn(torch.zeros(2, 0))
    assert g.shape == t.shape
    assert g.is_contiguous() == t.is_contiguous()


@pytest.mark.parametrize("shape", [(0, 3), (2, 0), (0,), (3, 0, 2)])
@pytest.mark.parametrize("op", ["copy_", "mul_", "add_", "zero_"])
def test_inplace_write_to_empty_tensor_is_a_noop(shape, op):
    x = glia.tensor(np.zeros(shape))  # NumPy may give empty arrays any strides
    args = {"copy_": (glia.zeros(*shape, dtype=glia.float64),), "mul_": (2.0,), "add_": (1.0,),
            "zero_": ()}[op]
    with glia.no_grad():
        out = getattr(x, op)(*args)
    assert out.shape == shape and out.numel() == 0 and out.dtype == glia.float64


def test_view_as_and_reshape_as():
    compare(lambda x, y: x.view_as(y), lambda x, y: x.view_as(y), randn(2, 6), randn(3, 4),
            nc=(False,))
    compare(lambda x, y: x.reshape_as(y), lambda x, y: x.reshape_as(y), randn(2, 6),
            randn(3, 4))


@pytest.mark.parametrize("op", ["reshape", "view"])
def test_reshape_wrong_size_raises(op):
    x = glia.zeros(2, 3, 4)
    check_raises(lambda: getattr(x, op)(5, 5), ValueError, "(5, 5)", "24")
    check_raises(lambda: getattr(x, op)(-1, 5), ValueError, "5", "24")
    check_raises(lambda: getattr(x, op)(-1, -1), ValueError, "-1")
    check_raises(lambda: getattr(x, op)(2, -1, -1), ValueError, "-1")
    check_raises(lambda: getattr(glia.zeros(0, 3), op)(-1, 0), ValueError, "0")


# ---- flatten / squeeze / unsqueeze ----

@pytest.mark.parametrize("shape,start,end", [
    ((2, 3, 4), 0, -1), ((2, 3, 4), 1, -1), ((2, 3, 4), 0, 1), ((2, 3, 4), -2, -1),
    ((2, 3, 4, 5), 1, 2), ((2, 3, 4), 2, 2), ((5,), 0, 0), ((), 0, -1), ((2, 0, 3), 1, 2),
    ((1, 1), 0, -1),
])
def test_flatten(shape, start, end):
    compare(lambda x: x.flatten(start, end), lambda x: x.flatten(start, end), randn(*shape))
    compare(lambda x: glia.flatten(x, start_dim=start, end_dim=end),
            lambda x: torch.flatten(x, start_dim=start, end_dim=end), randn(*shape), nc=(False,))


def test_flatten_errors():
    check_raises(lambda: glia.zeros(2, 3).flatten(0, 2), IndexError, "2")
    with pytest.raises((IndexError, ValueError)):
        glia.zeros(2, 3, 4).flatten(2, 1)


@pytest.mark.parametrize("shape,dim", [
    ((1, 3, 1, 2), None), ((1, 3, 1, 2), 0), ((1, 3, 1, 2), 2), ((1, 3, 1, 2), -2),
    ((1, 3, 1, 2), 1), ((1, 3, 1, 2), (0, 2)), ((1, 3, 1, 2), (0, -2)), ((1, 3, 1, 2), (1, 2)),
    ((1, 1, 1), None), ((1, 1, 1), (0, 1, 2)), ((), None), ((), 0), ((0, 1), None), ((0, 1), 1),
])
def test_squeeze(shape, dim):
    if dim is None:
        compare(lambda x: x.squeeze(), lambda x: x.squeeze(), randn(*shape))
        compare(glia.squeeze, torch.squeeze, randn(*shape), nc=(False,))
    else:
        compare(lambda x: x.squeeze(dim), lambda x: x.squeeze(dim), randn(*shape))
        compare(lambda x: glia.squeeze(x, dim), lambda x: torch.squeeze(x, dim), randn(*shape),
                nc=(False,))


@pytest.mark.parametrize("dim", [-4, -3, -2, -1, 0, 1, 2, 3])
def test_unsqueeze(dim):
    compare(lambda x: x.unsqueeze(dim), lambda x: x.unsqueeze(dim), randn(2, 3, 4))
    view_matches(lambda x: x.unsqueeze(dim), lambda x: x.unsqueeze(dim), (2, 3, 4))
    compare(lambda x: glia.unsqueeze(x, dim=dim % 1 - 1), lambda x: torch.unsqueeze(x, dim % 1 - 1),
            randn(), nc=(False,))


def test_squeeze_unsqueeze_dim_out_of_range():
    x = glia.zeros(1, 3)
    check_raises(lambda: x.unsqueeze(3), IndexError, "3")
    check_raises(lambda: x.unsqueeze(-4), IndexError, "-4")
    check_raises(lambda: x.squeeze(2), IndexError, "2")
    check_raises(lambda: x.squeeze(-3), IndexError, "-3")
    check_raises(lambda: glia.zeros(3, 1).squeeze(-3), IndexError, "-3")
    check_raises(lambda: x.squeeze((0, 2)), IndexError, "2")
    check_raises(lambda: x.squeeze((0, -3)), IndexError, "-3")


# ---- transposes ----

@pytest.mark.parametrize("d0,d1", [(0, 1), (0, 2), (-1, -2), (1, 1), (2, -3)])
def test_transpose(d0, d1):
    compare(lambda x: x.transpose(d0, d1), lambda x: x.transpose(d0, d1), randn(2, 3, 4))
    compare(lambda x: glia.transpose(x, d0, d1), lambda x: torch.transpose(x, d0, d1),
            randn(2, 1, 0), nc=(False,))
    view_matches(lambda x: x.transpose(d0, d1), lambda x: x.transpose(d0, d1), (2, 3, 4))


@pytest.mark.parametrize("dims", [(0, 1, 2), (2, 0, 1), (1, 2, 0), (-1, 0, -2), (2, 1, 0)])
@pytest.mark.parametrize("form", ["varargs", "tuple", "function"])
def test_permute(dims, form):
    call = {
        "varargs": lambda x: x.permute(*dims),
        "tuple": lambda x: x.permute(tuple(dims)),
        "function": lambda x: (glia if isinstance(x, glia.Tensor) else torch).permute(x, list(dims)),
    }[form]
    compare(call, call, randn(2, 3, 4))
    view_matches(call, call, (2, 3, 4))


def test_permute_errors():
    x = glia.zeros(2, 3, 4)
    check_raises(lambda: x.movedim((0, 0), (1, 2)), ValueError, "movedim", "source (0, 0)")
    scalar = glia.tensor(2.5)  # a 0-d tensor moves dim 0 (or -1) onto itself, as torch
    for src, dst in ((0, 0), (-1, 0), ((0,), (-1,)), ((), ())):
        assert scalar.movedim(src, dst).item() == 2.5 and scalar.movedim(src, dst).dim() == 0
    check_raises(lambda: scalar.movedim(1, 0), IndexError, "movedim", "1")
    check_raises(lambda: x.movedim((0, 1), (2, 2)), ValueError, "movedim", "destination")
    check_raises(lambda: x.movedim((0, 1), (2,)), ValueError, "movedim", "same number")
    check_raises(lambda: x.movedim((0, 3), (1, 2)), IndexError, "movedim", "3")
    check_raises(lambda: x.permute(0, 1), ValueError, "permute")
    check_raises(lambda: x.permute(0, 1, 3), IndexError, "3")
    with pytest.raises((IndexError, ValueError)):
        x.permute(0, 1, 1)


@pytest.mark.parametrize("src,dst", [(0, 2), (2, 0), (-1, 0), (1, -1), (1, 1), ((0, 1), (1, 0)),
                                     ((0,), (2,)), ((2, 0), (0, 1)), ((0, 1, 2), (2, 1, 0)),
                                     ([-1, 0], [0, -1]), ((), ())])
def test_movedim(src, dst):
    compare(lambda x: x.movedim(src, dst), lambda x: x.movedim(src, dst), randn(2, 3, 4))
    compare(lambda x: glia.movedim(x, src, dst), lambda x: torch.movedim(x, src, dst),
            randn(2, 3, 4), nc=(False,))
    view_matches(lambda x: x.movedim(src, dst), lambda x: x.movedim(src, dst), (2, 3, 4))


@pytest.mark.filterwarnings("ignore:.*Tensor.T.*:UserWarning")
@pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning")
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (1, 4), (0, 2)])
def test_T_and_t(shape):
    compare(lambda x: x.T, lambda x: x.T, randn(*shape))
    compare(lambda x: x.t(), lambda x: x.t(), randn(*shape))
    if len(shape) == 2:
        view_matches(lambda x: x.T, lambda x: x.T, shape)
        view_matches(lambda x: x.t(), lambda x: x.t(), shape)


def test_T_reverses_all_dims():
    compare(lambda x: x.T, lambda x: x.permute(2, 1, 0), randn(2, 3, 4))


def test_t_on_3d_raises():
    with pytest.raises((ValueError, RuntimeError)):
        glia.zeros(2, 3, 4).t()


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (2, 1, 3, 5), (2, 0, 3)])
def test_mT(shape):
    compare(lambda x: x.mT, lambda x: x.mT, randn(*shape))
    view_matches(lambda x: x.mT, lambda x: x.mT, shape)


@pytest.mark.parametrize("fn", [
    lambda x: x.transpose(0, 3), lambda x: x.transpose(-4, 0), lambda x: x.movedim(0, 3),
    lambda x: x.movedim(-4, 0), lambda x: x.permute(0, 1, -4), lambda x: x.mT.transpose(5, 0),
])
def test_transpose_dim_out_of_range(fn):
    with pytest.raises(IndexError):
        fn(glia.zeros(2, 3, 4))


# ---- expand / broadcast ----

@pytest.mark.parametrize("shape,target", [
    ((1, 3), (4, 3)), ((1, 3), (-1, 3)), ((1, 3), (4, -1)), ((1, 3), (2, 4, 3)),
    ((1, 3), (2, 5, -1)), ((3,), (2, 3)), ((), (2, 3)), ((2, 1, 1), (2, 3, 4)),
    ((1, 3), (0, 3)), ((2, 3), (2, 3)), ((3, 1), (2, 3, 0)),
])
def test_expand(shape, target):
    compare(lambda x: x.expand(*target), lambda x: x.expand(*target), randn(*shape))
    compare(lambda x: x.expand(target), lambda x: x.expand(target), randn(*shape), nc=(False,))
    if -1 not in target:
        compare(lambda x: glia.broadcast_to(x, target), lambda x: torch.broadcast_to(x, target),
                randn(*shape))
        compare(lambda x, y: x.expand_as(y), lambda x, y: x.expand_as(y), randn(*shape),
                randn(*target), grad=False)
        g = view_matches(lambda x: x.expand(*target), lambda x: x.expand(*target), shape)
        assert g.numel() == int(np.prod(target))


def test_expand_as_gradient():
    compare(lambda x, y: x.expand_as(y) * y, lambda x, y: x.expand_as(y) * y, randn(3, 1),
            randn(2, 3, 4))


@pytest.mark.parametrize("shape,target", [
    ((2, 3), (3, 3)), ((2, 3), (3,)), ((1, 3), (-1, 2, 3)), ((2, 3), (2, 3, 1)),
])
def test_expand_errors(shape, target):
    with pytest.raises(RuntimeError):
        torch.zeros(shape).expand(*target)
    check_raises(lambda: glia.zeros(*shape).expand(*target), ValueError, "expand")


# ---- narrow / select ----

@pytest.mark.parametrize("dim,start,length", [(0, 0, 2), (0, 1, 2), (1, 2, 2), (-1, 3, 1),
                                              (2, 0, 5), (1, 4, 0), (1, -2, 2), (2, -5, 3),
                                              (0, -1, 1)])
def test_narrow(dim, start, length):
    compare(lambda x: x.narrow(dim, start, length), lambda x: x.narrow(dim, start, length),
            randn(3, 4, 5))
    compare(lambda x: glia.narrow(x, dim, start, length),
            lambda x: torch.narrow(x, dim, start, length), randn(3, 4, 5), nc=(False,))
    if length:
        view_matches(lambda x: x.narrow(dim, start, length),
                     lambda x: x.narrow(dim, start, length), (3, 4, 5))


@pytest.mark.parametrize("dim,index", [(0, 0), (0, 2), (0, -1), (1, -4), (2, 4), (-1, -5)])
def test_select(dim, index):
    compare(lambda x: x.select(dim, index), lambda x: x.select(dim, index), randn(3, 4, 5))
    compare(lambda x: glia.select(x, dim, index), lambda x: torch.select(x, dim, index),
            randn(3, 4, 5), nc=(False,))
    view_matches(lambda x: x.select(dim, index), lambda x: x.select(dim, index), (3, 4, 5))


def test_select_1d_gives_0d():
    compare(lambda x: x.select(0, 2), lambda x: x.select(0, 2), randn(4))


def test_narrow_select_errors():
    x = glia.zeros(3, 4)
    check_raises(lambda: x.select(1, 4), IndexError, "4")
    check_raises(lambda: x.select(0, -4), IndexError, "-4", "3")
    check_raises(lambda: x.select(2, 0), IndexError, "2")
    check_raises(lambda: x.narrow(1, 3, 2), IndexError, "4")
    check_raises(lambda: x.narrow(2, 0, 1), IndexError, "2")
    check_raises(lambda: x.narrow(1, -5, 1), IndexError, "narrow", "-5", "4")
    check_raises(lambda: x.narrow(1, -2, 3), IndexError, "narrow", "length 3")


# ---- copies ----

@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (5,), (), (0, 3)])
def test_clone(shape):
    compare(lambda x: x.clone(), lambda x: x.clone(), randn(*shape))
    compare(glia.clone, torch.clone, randn(*shape))
    a = randn(*shape)
    g = glia.tensor(a)
    c = g.clone()
    assert c.is_contiguous()
    if a.size:
        assert c.data_ptr() != g.data_ptr()
    with glia.no_grad():
        g.zero_()
    assert_close(c, torch.from_numpy(a))


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (1, 5)])
def test_contiguous(shape):
    compare(lambda x: x.contiguous(), lambda x: x.contiguous(), randn(*shape))
    compare(glia.contiguous, lambda x: x.contiguous(), randn(*shape))
    a = randn(*shape)
    g = glia.tensor(a)
    assert g.contiguous().data_ptr() == g.data_ptr()
    nc = g.mT
    c = nc.contiguous()
    tc = torch.from_numpy(a).mT.contiguous()
    assert c.is_contiguous() and c.stride() == tc.stride()
    assert_close(c, tc)
    if shape[-1] > 1 and shape[-2] > 1:
        assert not nc.is_contiguous()
        with glia.no_grad():
            g.zero_()
        assert_close(c, tc)


# ---- repeat / unbind ----

@pytest.mark.parametrize("shape,reps", [
    ((2, 3), (2, 1)), ((2, 3), (1, 3)), ((2, 3), (2, 2)), ((2, 3), (3, 1, 2)), ((3,), (2,)),
    ((3,), (2, 2)), ((), (3,)), ((), (2, 3)), ((2, 3), (0, 2)), ((1, 2), (1, 1)),
])
def test_repeat(shape, reps):
    compare(lambda x: x.repeat(*reps), lambda x: x.repeat(*reps), randn(*shape))
    compare(lambda x: x.repeat(reps), lambda x: x.repeat(reps), randn(*shape), nc=(False,))


@pytest.mark.parametrize("shape,dims", [((2, 3), (2,)), ((2, 3), (2, 1)), ((3,), (2, 2)), ((), (3,)),
                                        ((0, 2), (2, 3)), ((2, 1, 2), (1, 3, 1))])
def test_tile_matches_torch(shape, dims):
    check_op(lambda a: glia.tile(a, dims), lambda a: torch.tile(a, dims), randn(*shape))
    check_op(lambda a: a.tile(dims), lambda a: a.tile(dims), randn(*shape))


@pytest.mark.parametrize("shape,repeats,dim", [((2, 3), 2, 1), ((2, 3), 3, 0), ((2, 3), 2, -1),
                                               ((2, 3), 2, None), ((4,), 0, 0), ((), 3, None),
                                               ((0, 3), 2, 1), ((2, 3), [1, 0, 2], 1),
                                               ((3, 2), [2], 0), ((2, 3), [1, 2, 0, 1, 1, 3], None)])
def test_repeat_interleave_matches_torch(shape, repeats, dim):
    def rep(lib):
        r = repeats if isinstance(repeats, int) else (
            glia.tensor(np.array(repeats)) if lib is glia else torch.tensor(repeats))
        return lambda a: lib.repeat_interleave(a, r, dim=dim)
    check_op(rep(glia), rep(torch), randn(*shape))


def test_trace_tile_repeat_interleave_gradcheck_and_errors():
    check_op(glia.trace, torch.trace, randn(3, 4))
    check_op(lambda a: a.trace(), lambda a: a.trace(), randn(5, 2))
    check_op(glia.trace, torch.trace, randn(0, 3))
    check_op(lambda a: glia.trace(a), lambda a: torch.trace(a), np.arange(9).reshape(3, 3))
    gradcheck(glia.trace, randn(3, 4))
    gradcheck(lambda a: a.repeat_interleave(2, dim=0), randn(2, 3))
    gradcheck(lambda a: a.repeat_interleave(glia.tensor(np.array([2, 0, 1])), dim=1), randn(2, 3))
    gradcheck(lambda a: glia.tile(a, (2, 1, 2)), randn(2, 3))
    check_raises(lambda: glia.trace(glia.zeros(2, 2, 2)), ValueError, "trace", "(2, 2, 2)")
    x = glia.zeros(2, 3)
    check_raises(lambda: x.repeat_interleave(-1), ValueError, "repeat_interleave", "-1")
    check_raises(lambda: x.repeat_interleave(glia.tensor(np.array([1, 2])), dim=1), ValueError,
                 "repeat_interleave", "3 non-negative counts")
    check_raises(lambda: x.repeat_interleave(glia.tensor([1.0, 2.0, 1.0]), dim=1), ValueError,
                 "repeat_interleave", "int64")
    check_raises(lambda: x.repeat_interleave(2, dim=2), IndexError, "repeat_interleave", "2")


def test_repeat_too_few_raises():
    with pytest.raises(ValueError):
        glia.zeros(2, 3).repeat(2)


@pytest.mark.parametrize("shape,dim", [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), 1),
                                       ((4,), 0), ((0, 3), 1), ((2, 0), 0)])
def test_unbind(shape, dim):
    compare(lambda x: x.unbind(dim), lambda x: x.unbind(dim), randn(*shape))
    a = np.arange(float(np.prod(shape))).reshape(shape)
    g, t = glia.tensor(a), torch.from_numpy(a.copy())
    parts, tparts = g.unbind(dim), t.unbind(dim)
    assert len(parts) == len(tparts)
    for p, tp in zip(parts, tparts):
        if tp.numel():
            assert p.stride() == tp.stride()
            assert p.data_ptr() - g.data_ptr() == tp.data_ptr() - t.data_ptr()
    if not a.size:
        return
    with glia.no_grad():
        g.mul_(-2.0)
    t.mul_(-2.0)
    assert_close(parts, tparts)


def test_unbind_dim_out_of_range():
    with pytest.raises(IndexError):
        glia.zeros(2, 3).unbind(2)


# ---- cat / stack ----

@pytest.mark.parametrize("shapes,dim", [
    (((2, 3), (4, 3)), 0),
    (((2, 3), (2, 1), (2, 5)), 1),
    (((2, 3), (2, 1), (2, 5)), -1),
    (((2, 3, 4), (2, 3, 1)), 2),
    (((2, 3, 4), (2, 2, 4), (2, 1, 4)), -2),
    (((2, 3, 4), (1, 3, 4)), -3),
    (((2, 3), (0, 3), (1, 3)), 0),
    (((2, 3),), 1),
    (((5,), (2,), (1,)), 0),
    (((0, 3), (0, 3)), 0),
])
def test_cat(shapes, dim):
    arrays = [randn(*s) for s in shapes]
    compare(lambda *xs: glia.cat(list(xs), dim), lambda *xs: torch.cat(list(xs), dim), *arrays)
    compare(lambda *xs: glia.cat(xs, dim=dim), lambda *xs: torch.cat(xs, dim=dim), *arrays,
            nc=(False,))


@pytest.mark.parametrize("dtypes", [
    (np.int64, np.float32), (np.float32, np.float64), (np.bool_, np.int64),
    (np.int64, np.float64, np.float32), (np.bool_, np.float32), (np.bool_, np.bool_),
])
def test_cat_promotes_dtypes(dtypes):
    arrays = [(randn(2, 3) * 3).astype(dt) for dt in dtypes]
    compare(lambda *xs: glia.cat(xs, 1), lambda *xs: torch.cat(xs, 1), *arrays)


def test_cat_mixed_float_gradients_keep_input_dtypes():
    compare(lambda a, b: glia.cat([a, b], 0), lambda a, b: torch.cat([a, b], 0),
            randn(2, 3).astype(np.float32), randn(1, 3))


@pytest.mark.parametrize("shapes,dim", [
    (((0,), (2, 3)), 0), (((2, 3), (0,)), 1), (((0,), (2, 3), (0,), (1, 3)), 0),
    (((0,), (0,)), 0), (((0,), (4,)), 0),
])
def test_cat_skips_empty_1d(shapes, dim):
    arrays = [randn(*s) for s in shapes]
    compare(lambda *xs: glia.cat(xs, dim), lambda *xs: torch.cat(xs, dim), *arrays, nc=(False,))


def test_cat_empty_1d_takes_part_in_promotion_and_gets_an_empty_gradient():
    for dtypes in ((np.int64, np.float32), (np.bool_, np.float64), (np.float32, np.int64)):
        arrays = [np.array([1, 2]).astype(dtypes[0]), np.zeros(0, dtypes[1])]
        compare(lambda *xs: glia.cat(xs, 0), lambda *xs: torch.cat(xs, 0), *arrays, grad=False)
    e = glia.zeros(0, requires_grad=True)
    x = glia.ones(2, 3, requires_grad=True)
    glia.cat([e, x, e]).sum().backward()
    assert e.grad is not None and tuple(e.grad.shape) == (0,) and e.grad.dtype == glia.float32
    only = glia.cat([glia.zeros(0, requires_grad=True), glia.zeros(0, dtype=glia.float64)])
    assert tuple(only.shape) == (0,) and only.dtype == glia.float64 and only.requires_grad


def test_cat_errors():
    a, b = glia.zeros(2, 3, 4), glia.zeros(2, 4, 4)
    check_raises(lambda: glia.cat([a, b], 0), ValueError, "cat", "(2, 3, 4)", "(2, 4, 4)")
    check_raises(lambda: glia.cat([a, glia.zeros(2, 3)], 0), ValueError, "cat", "(2, 3)")
    check_raises(lambda: glia.cat([a, a], 3), IndexError, "3")
    check_raises(lambda: glia.cat([a, a], -4), IndexError, "-4")
    with pytest.raises(ValueError):
        glia.cat([], 0)
    with pytest.raises(ValueError):
        glia.cat([glia.tensor(1.0), glia.tensor(2.0)])


@pytest.mark.parametrize("shape,n,dim", [((2, 3), 2, 0), ((2, 3), 3, 1), ((2, 3), 2, 2),
                                         ((2, 3), 2, -1), ((2, 3), 4, -3), ((), 3, 0),
                                         ((0, 2), 2, 1), ((4,), 1, 0)])
def test_stack(shape, n, dim):
    arrays = [randn(*shape) for _ in range(n)]
    compare(lambda *xs: glia.stack(xs, dim), lambda *xs: torch.stack(xs, dim), *arrays)
    compare(lambda *xs: glia.stack(list(xs), dim=dim), lambda *xs: torch.stack(list(xs), dim=dim),
            *arrays, nc=(False,))


def test_stack_errors():
    check_raises(lambda: glia.stack([glia.zeros(2, 3), glia.zeros(3, 2)]), ValueError, "stack",
                 "(2, 3)", "(3, 2)")
    check_raises(lambda: glia.stack([glia.zeros(2, 3)] * 2, 3), IndexError, "3")


# ---- split / chunk ----

@pytest.mark.parametrize("shape,size,dim", [
    ((5, 3), 2, 0), ((6, 3), 3, 0), ((3, 7), 3, 1), ((3, 7), 10, 1), ((2, 3, 4), 1, -1),
    ((5, 3), [1, 4], 0), ((5, 3), [2, 0, 3], 0), ((3, 7), [3, 3, 1], -1), ((3, 7), (7,), 1),
    ((0, 3), 2, 0),
])
def test_split(shape, size, dim):
    compare(lambda x: x.split(size, dim), lambda x: x.split(size, dim), randn(*shape))
    compare(lambda x: glia.split(x, size, dim=dim), lambda x: torch.split(x, size, dim=dim),
            randn(*shape), nc=(False,))


def test_split_parts_are_views():
    a = np.arange(12.0).reshape(3, 4)
    g, t = glia.tensor(a), torch.from_numpy(a.copy())
    parts, tparts = g.split([1, 3], 1), t.split([1, 3], 1)
    for p, tp in zip(parts, tparts):
        assert p.stride() == tp.stride()
        assert p.data_ptr() - g.data_ptr() == tp.data_ptr() - t.data_ptr()
    with glia.no_grad():
        g.add_(100.0)
    assert_close(parts, tuple(tp + 100 for tp in tparts))


def test_split_errors():
    x = glia.zeros(5, 3)
    check_raises(lambda: x.split([2, 2], 0), ValueError, "split", "5")
    with pytest.raises(ValueError):
        x.split(0, 0)
    with pytest.raises(IndexError):
        x.split(2, 2)


@pytest.mark.parametrize("n,chunks", [(6, 3), (5, 3), (6, 4), (2, 5), (7, 2), (1, 1), (10, 4),
                                      (0, 3)])
def test_chunk(n, chunks):
    compare(lambda x: x.chunk(chunks, 1), lambda x: x.chunk(chunks, 1), randn(2, n))
    compare(lambda x: glia.chunk(x, chunks, dim=-1), lambda x: torch.chunk(x, chunks, dim=-1),
            randn(2, n), nc=(False,))


def test_chunk_errors():
    with pytest.raises(ValueError):
        glia.zeros(4).chunk(0)
    with pytest.raises(IndexError):
        glia.zeros(4).chunk(2, 1)


# ---- dtype conversion ----

CONVERSIONS = [
    ("float", lambda x: x.float(), lambda x: x.float()),
    ("double", lambda x: x.double(), lambda x: x.double()),
    ("long", lambda x: x.long(), lambda x: x.long()),
    ("bool", lambda x: x.bool(), lambda x: x.bool()),
    ("to32", lambda x: x.to(glia.float32), lambda x: x.to(torch.float32)),
    ("to64", lambda x: x.to(dtype=glia.float64), lambda x: x.to(dtype=torch.float64)),
    ("toint", lambda x: x.to(glia.int64), lambda x: x.to(torch.int64)),
    ("tobool", lambda x: x.to(glia.bool), lambda x: x.to(torch.bool)),
]


@pytest.mark.parametrize("name,gfn,tfn", CONVERSIONS, ids=[c[0] for c in CONVERSIONS])
@pytest.mark.parametrize("src", [np.float64, np.float32, np.int64, np.bool_])
def test_conversions(name, gfn, tfn, src):
    a = np.array([[-2.7, -0.5, 0.0], [0.4, 1.0, 3.9]])
    a = a.astype(src) if src is not np.int64 else np.trunc(a * 3).astype(src)
    tol = dict(rtol=1e-6, atol=1e-7) if src == np.float32 else {}
    compare(gfn, tfn, a, **tol)


@pytest.mark.parametrize("name,gfn,tfn", CONVERSIONS[:2] + CONVERSIONS[4:6],
                         ids=["float", "double", "to32", "to64"])
def test_conversions_are_differentiable(name, gfn, tfn):
    compare(lambda x: gfn(x) * 2, lambda x: tfn(x) * 2, randn(3, 2).astype(np.float32),
            rtol=1e-6, atol=1e-6)


def test_to_same_dtype_and_to_tensor():
    g = glia.tensor(randn(2, 3))
    assert g.to(glia.float64) is g and g.double() is g
    t32 = glia.zeros(1)
    out = g.to(t32)
    assert out.dtype == glia.float32
    assert_close(out, torch.from_numpy(g.numpy()).to(torch.float32))
    assert_close(glia.tensor([True, False]).long(), torch.tensor([1, 0]))


# ---- gradcheck of each differentiable op ----

GRADCHECKS = [
    ("reshape", lambda x: x.reshape(4, -1), (2, 3, 2)),
    ("reshape_nc", lambda x: x.mT.reshape(-1), (2, 3, 2)),
    ("view", lambda x: x.view(3, 4), (2, 3, 2)),
    ("view_as", lambda x: x.view_as(glia.zeros(12)), (2, 6)),
    ("flatten", lambda x: x.flatten(1), (2, 3, 2)),
    ("squeeze", lambda x: x.squeeze(), (1, 3, 1, 2)),
    ("squeeze_dims", lambda x: x.squeeze((0, 2)), (1, 3, 1, 2)),
    ("unsqueeze", lambda x: x.unsqueeze(-2), (3, 2)),
    ("transpose", lambda x: x.transpose(0, 2) * glia.arange(6.0).double().reshape(2, 3, 1),
     (1, 3, 2)),
    ("permute", lambda x: x.permute(2, 0, 1) * glia.arange(2.0).double().reshape(2, 1, 1),
     (2, 3, 2)),
    ("movedim", lambda x: x.movedim(0, -1), (2, 3, 2)),
    ("T", lambda x: x.T, (3, 2)),
    ("mT", lambda x: x.mT, (2, 3, 2)),
    ("t", lambda x: x.t(), (3, 2)),
    ("expand", lambda x: x.expand(2, 3, -1), (3, 1)),
    ("expand_as", lambda x: x.expand_as(glia.zeros(2, 3, 2)), (1, 2)),
    ("broadcast_to", lambda x: glia.broadcast_to(x, (4, 3)), (3,)),
    ("narrow", lambda x: x.narrow(1, 1, 2), (2, 4)),
    ("select", lambda x: x.select(1, -1), (2, 4)),
    ("contiguous", lambda x: x.mT.contiguous(), (2, 3)),
    ("clone", lambda x: x.clone(), (2, 3)),
    ("repeat", lambda x: x.repeat(2, 1, 3), (2, 2)),
    ("unbind", lambda x: x.unbind(1), (2, 3)),
    ("split", lambda x: x.split([1, 2], 1), (2, 3)),
    ("split_int", lambda x: x.split(2, 0), (5, 2)),
    ("chunk", lambda x: x.chunk(2, 0), (3, 2)),
    ("double", lambda x: x.double() * 3, (2, 2)),
]


@pytest.mark.parametrize("name,fn,shape", GRADCHECKS, ids=[g[0] for g in GRADCHECKS])
def test_gradcheck_unary(name, fn, shape):
    gradcheck(fn, randn(*shape))


def test_gradcheck_cat_stack():
    gradcheck(lambda a, b: glia.cat([a, b], 1), randn(2, 3), randn(2, 1))
    gradcheck(lambda a, b: glia.cat([b, a.mT], -2), randn(3, 2), randn(1, 3))
    gradcheck(lambda a, b: glia.stack([a, b], 1), randn(2, 3), randn(2, 3))
    gradcheck(lambda a, b: glia.stack([a, b, a], -1), randn(2, 3), randn(2, 3))


def test_second_order_through_views():
    x = glia.tensor(randn(2, 3), requires_grad=True)
    t = to_torch(x.detach().numpy(), True)
    y = (x.mT.reshape(-1) ** 3).sum()
    ty = (t.mT.reshape(-1) ** 3).sum()
    (gx,) = glia.autograd.grad([y], [x], create_graph=True)
    (tgx,) = torch.autograd.grad(ty, t, create_graph=True)
    assert_close(gx, tgx)
    gx.expand(4, 2, 3).sum().backward()
    tgx.expand(4, 2, 3).sum().backward()
    assert_close(x.grad, t.grad)


def test_check_op_plain_views():
    # the shared helper too: int64 inputs keep their strides through from_numpy
    check_op(lambda x: x.mT.reshape(-1), lambda x: x.mT.reshape(-1),
             np.arange(12).reshape(3, 4), grad=False)
    check_op(lambda x: glia.cat([x, x], 0), lambda x: torch.cat([x, x], 0), randn(2, 3))


@pytest.mark.parametrize("shape,perm", [
    ((40, 33), (1, 0)), ((17, 64), (1, 0)), ((3, 20, 48), (0, 2, 1)), ((20, 3, 48), (2, 1, 0)),
    ((2, 16, 5, 18), (0, 3, 1, 2)), ((16, 16), (1, 0)), ((15, 64), (1, 0)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_contiguous_of_transposed_views_matches_numpy(shape, perm, dtype):
    # the tiled transposing copy (cpu/elementwise.cpp), and the plain one it falls back to
    a = (RNG.standard_normal(shape) * 10).astype(dtype)
    g = glia.tensor(a).permute(*perm)
    np.testing.assert_array_equal(g.contiguous().numpy(), np.transpose(a, perm))
    # a sliced source: an offset and strides that are not the shape's
    sliced = glia.tensor(a)[(slice(1, None),) + (slice(None),) * (len(shape) - 1)]
    np.testing.assert_array_equal(sliced.permute(*perm).contiguous().numpy(),
                                  np.transpose(a[1:], perm))
    # into a strided destination, and across dtypes (the plain path)
    out = glia.zeros(tuple(np.transpose(a, perm).shape), dtype=glia.float64)
    out.copy_(g)
    np.testing.assert_array_equal(out.numpy(), np.transpose(a, perm).astype(np.float64))
