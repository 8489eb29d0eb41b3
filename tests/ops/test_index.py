"""Indexing vs NumPy and PyTorch: __getitem__ (basic, advanced, masks), __setitem__,
index_select, gather, scatter_add, index_add, nonzero, masked_fill, and their errors."""
import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_op, check_raises, gradcheck, randn, to_torch

A = np.arange(60.0).reshape(3, 4, 5)
MASK_FULL = A % 7 < 3
MASK_LEAD = A[:, :, 0] > 12          # masks dims 0 and 1
MASK_MID = A[0] % 3 == 0             # masks dims 1 and 2 (after a slice)
MASK_ROWS = np.array([True, False, True])


def _for(lib, key):
    """The key for glia or torch: NumPy arrays become tensors of that library."""
    if isinstance(key, tuple):
        return tuple(_for(lib, k) for k in key)
    if isinstance(key, np.ndarray):
        return glia.from_numpy(key) if lib == "glia" else torch.from_numpy(key)
    return key


def _ids(keys):
    return [repr(k).replace("slice(None, None, None)", ":")[:50] for k in keys]


def compare(gfn, tfn, *arrays, grad=True, rtol=1e-5, atol=1e-6):
    """Outputs and leaf gradients (random cotangent) of gfn vs tfn on float arrays."""
    gl = [glia.tensor(a, requires_grad=True) for a in arrays]
    tl = [to_torch(a, True) for a in arrays]
    go, to = gfn(*gl), tfn(*tl)
    assert_close(go, to, rtol, atol)
    if to.numel() == 0 or not grad:
        return
    c = np.random.default_rng(3).standard_normal(tuple(to.shape))
    (go * glia.tensor(c)).sum().backward()
    (to * torch.from_numpy(c)).sum().backward()
    for g, t in zip(gl, tl):
        assert_close(g.grad, t.grad, rtol, atol)


# ---- __getitem__: basic indexing ----

BASIC_KEYS = [
    0, 2, -1, -3, (1, 2), (-1, -2, -3), (0, -1, 4),
    slice(1, 3), slice(None, None, 2), slice(-3, None), slice(None, -1), slice(-2, -1),
    slice(None, -1, 2), slice(-100, 100, 3), slice(3, 1), slice(10, 20), slice(-100, 2),
    (slice(None), slice(1, None, 2)), (slice(None), slice(None), slice(-4, -1, 2)),
    (1, slice(1, 3), -2),
    None, (None, 0), (None, None), (Ellipsis, 1), (0, Ellipsis), (Ellipsis, None),
    (1, None, slice(None, None, 2), None), (slice(None), None, Ellipsis, -1),
    (Ellipsis, slice(1, 3), 0), (None, Ellipsis, None), Ellipsis, (),
    np.int64(1), (np.int64(-1), slice(None, None, 3)),
]


@pytest.mark.parametrize("key", BASIC_KEYS, ids=_ids(BASIC_KEYS))
def test_getitem_basic_vs_numpy_and_torch(key):
    g, t = glia.tensor(A), torch.from_numpy(A.copy())
    out = g[key]
    np.testing.assert_array_equal(out.numpy(), A[key])
    assert_close(out, t[key])
    # basic indexing gives views, laid out as in torch
    tv = t[key]
    if tv.numel():  # strides of size-1 dims are a convention: compare the others
        assert [st for st, n in zip(out.stride(), out.shape) if n > 1] == \
            [st for st, n in zip(tv.stride(), tv.shape) if n > 1]
        assert out.data_ptr() - g.data_ptr() == tv.data_ptr() - t.data_ptr()
        with glia.no_grad():
            g.mul_(-1.0)
        np.testing.assert_array_equal(out.numpy(), -A[key])


def test_getitem_on_noncontiguous_and_0d():
    g = glia.tensor(A).permute(2, 0, 1)
    p = np.transpose(A, (2, 0, 1))
    for key in [(1, slice(None, None, 2)), (Ellipsis, -1), ([0, 4], 1), (p % 2 == 0)]:
        np.testing.assert_array_equal(g[_for("glia", key)].numpy(), p[key])
    s = glia.tensor(3.5)
    np.testing.assert_array_equal(s[None].numpy(), np.array([3.5], dtype=np.float32))
    np.testing.assert_array_equal(s[...].numpy(), np.array(3.5, dtype=np.float32))


def test_getitem_int_tensor_scalar_index():
    g = glia.tensor(A)
    np.testing.assert_array_equal(g[glia.tensor(2), glia.tensor(-1)].numpy(), A[2, -1])


# ---- __getitem__: advanced indexing ----

ADV_KEYS = [
    [2, 0], [-1, 0, 0], np.array([1]), np.array(2),
    ([0, 2], [1, 3]),                                   # two, same shape
    ([[0], [2]], [1, 3]),                               # two, broadcast to (2, 2)
    (slice(None), [0, 2], [1, 3]),                      # adjacent, not leading: stay in place
    (slice(None), [[0, 1], [2, 3]]),                    # a 2-d index
    ([0, 2], slice(None), [1, 3]),                      # non-adjacent: go first
    ([[0], [2]], slice(1, 3), [[1, 3, 4]]),             # non-adjacent, broadcast
    (Ellipsis, [1, -1]),
    (None, [0, 2], [[1], [3]]),
    ([0, 2], 1, [1, 3]),
    ([0, 1], slice(None), slice(None, None, 2)),
    (slice(1, None), [3, 0], None, slice(None, None, 2)),
    ([], ), (np.array([], dtype=np.int64), slice(None)),
    ([0, 0, 2, 0],),
    ([1, -2], [-1, 3], [0, 4]),
    np.array([[0, 1], [2, 0]]),
    # boolean masks
    MASK_FULL, MASK_LEAD, (MASK_LEAD, slice(1, 3)), (slice(None), MASK_MID),
    (MASK_ROWS,), [True, False, True], (MASK_ROWS, [1, 3]), (Ellipsis, np.array([1, 0, 0, 1, 1], bool)),
    np.zeros((3, 4), bool), (MASK_LEAD, list(np.arange(MASK_LEAD.sum()) % 6 - 1)),
    (1, MASK_MID), (slice(None), np.array([False, True, True, False]), 2),
]


@pytest.mark.parametrize("key", ADV_KEYS, ids=_ids(ADV_KEYS))
def test_getitem_advanced_vs_numpy_and_torch(key):
    g, t = glia.tensor(A), torch.from_numpy(A.copy())
    out = g[_for("glia", key)]
    np.testing.assert_array_equal(out.numpy(), A[key])
    assert_close(out, t[_for("torch", key)])
    # the same key given as NumPy arrays, and the result is a copy (a 0-d integer array
    # is an integer: NumPy and torch return a view for it)
    assert_close(g[key], t[_for("torch", key)])
    if out.numel() and not (isinstance(key, np.ndarray) and key.ndim == 0):
        with glia.no_grad():
            g.zero_()
        np.testing.assert_array_equal(out.numpy(), A[key])


@pytest.mark.parametrize("key", [(1, slice(None), [1, 3]), (0, [[1], [2]], slice(None)),
                                 (slice(None), 2, [0, 4, 1])])
def test_getitem_int_with_index_tensor_follows_torch(key):
    # PyTorch applies an int as select() before placing the index dims (NumPy would treat the
    # int as one more advanced index); glia is PyTorch-shaped
    g, t = glia.tensor(A), torch.from_numpy(A.copy())
    assert_close(g[key], t[key])


def test_getitem_scalar_bool():
    g, t = glia.tensor(A), torch.from_numpy(A.copy())
    assert_close(g[True], t[True])
    assert_close(g[False], t[False])
    assert_close(g[None, True], t[None, True])


def test_getitem_bool_tensor_and_int_values():
    v = np.array([[5, -2, 7], [0, 3, 9]])
    g, t = glia.tensor(v), torch.from_numpy(v)
    assert_close(g[g > 2], t[t > 2])
    assert_close(g[:, [2, 0]], t[:, [2, 0]])
    b = np.array([[True, False], [False, True]])
    assert_close(glia.tensor(b)[[1, 0, 1]], torch.from_numpy(b)[[1, 0, 1]])


# ---- gradients of indexing ----

GRAD_KEYS = [
    1, (slice(None), slice(1, None, 2)), (Ellipsis, -1), (None, 1, None),
    [2, 0], [0, 0, 2, 0],                                  # repeated rows accumulate
    ([0, 0, 1], [1, 1, 1]),                                # repeated pairs accumulate
    ([[0], [2]], slice(None), [1, 1, 3]),
    (slice(None), [0, 2], [1, 3]),
    (Ellipsis, [4, 4, 0]),
    MASK_FULL, MASK_LEAD, (slice(None), MASK_MID),
    ([0, 2, 0], 1, slice(None, None, 2)),
]


@pytest.mark.parametrize("key", GRAD_KEYS, ids=_ids(GRAD_KEYS))
def test_getitem_gradient_vs_torch(key):
    compare(lambda x: x[_for("glia", key)], lambda x: x[_for("torch", key)], randn(3, 4, 5))
    compare(lambda x: x.mT[_for("glia", key)], lambda x: x.mT[_for("torch", key)], randn(3, 5, 4))


def test_repeated_index_gradient_counts():
    x = glia.tensor(np.zeros(4), requires_grad=True)
    x[[1, 1, 1, 3, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 4.0, 0.0, 1.0])
    y = glia.tensor(np.zeros((2, 2)), requires_grad=True)
    y[[0, 0, 1], [1, 1, 0]].sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[0.0, 2.0], [1.0, 0.0]])


@pytest.mark.parametrize("key", [
    (slice(None), [0, 0, 2]), ([1, 1], slice(None, None, 2)), ([0, 1], [2, 2]), (Ellipsis, 1),
    (np.array([[True, False, True], [False, True, True]]),),
])
def test_getitem_gradcheck(key):
    gradcheck(lambda x: x[_for("glia", key)], randn(2, 3))


def test_getitem_second_order():
    x = glia.tensor(randn(4), requires_grad=True)
    t = to_torch(x.detach().numpy(), True)
    (gx,) = glia.autograd.grad([(x[[0, 2, 2]] ** 3).sum()], [x], create_graph=True)
    (tx,) = torch.autograd.grad((t[[0, 2, 2]] ** 3).sum(), t, create_graph=True)
    assert_close(gx, tx)
    gx[[2, 3]].sum().backward()
    tx[[2, 3]].sum().backward()
    assert_close(x.grad, t.grad)


# ---- __setitem__ ----

TORCH_ORDER_KEY = (1, slice(None), [0, 4])  # int + index tensor: torch's (not NumPy's) layout
SET_CASES = [
    (1, 7.0),
    (-1, np.arange(5.0)),                                    # broadcast row
    ((0, 2, 3), -5.0),
    ((slice(None), slice(None, None, 2)), 0.0),
    ((slice(-2, None), slice(1, 3)), np.arange(10.0).reshape(2, 1, 5)),
    ((Ellipsis, 1), np.arange(4.0)),
    ((None, 1), 3.0),
    (MASK_FULL, -1.0),
    (MASK_FULL, np.arange(float(MASK_FULL.sum()))),
    (MASK_LEAD, np.arange(5.0)),
    ((slice(None), MASK_MID), 2.5),
    ([0, 2], 9.0),
    ([2, 0], np.arange(40.0).reshape(2, 4, 5)),
    (np.array([1]), np.arange(5.0)),
    (([0, 2], [1, 3]), np.array([[10.0], [20.0]])),
    (([0, 2], [1, 3], [4, 0]), np.array([-1.0, -2.0])),
    (([0, 2], slice(None), [1, 3]), np.arange(8.0).reshape(2, 4)),   # non-adjacent
    ((slice(None), [0, 2], [1, 3]), np.arange(6.0).reshape(3, 2)),   # adjacent, not leading
    ((slice(None), [0, 2], [1, 3]), np.array([100.0, 200.0])),
    ((Ellipsis, [1, 3]), np.arange(2.0)),
    (TORCH_ORDER_KEY, np.arange(8.0).reshape(4, 2)),
    (([[0], [2]], [1, 3]), np.arange(5.0)),
    (([[0], [2]], [1, 3]), np.arange(20.0).reshape(2, 2, 5)),
    ((0, 0, 0), np.array(5.0)),                               # a 0-d NumPy value
    ([], 5.0),
    (np.int64(2), 1),                                          # int value into float
]


@pytest.mark.parametrize("key,value", SET_CASES, ids=_ids([c[0] for c in SET_CASES]))
@pytest.mark.parametrize("vform", ["python", "glia"])
def test_setitem_vs_numpy(key, value, vform):
    expected = A.copy()
    if key is TORCH_ORDER_KEY:
        expected[1][:, [0, 4]] = value
    else:
        expected[key] = value
    g = glia.tensor(A)
    v = value
    if vform == "glia":
        v = glia.tensor(np.asarray(value, dtype=np.float64))
    g[_for("glia", key)] = v
    np.testing.assert_array_equal(g.numpy(), expected)
    t = torch.from_numpy(A.copy())
    t[_for("torch", key)] = torch.as_tensor(np.asarray(value, dtype=np.float64))
    assert_close(g, t)


def test_setitem_on_noncontiguous_writes_through_to_base():
    base = glia.tensor(A)
    view = base.permute(2, 0, 1)[1:]
    expected = A.copy()
    ev = np.transpose(expected, (2, 0, 1))[1:]
    view[0, [0, 2]] = -1.0
    ev[0, [0, 2]] = -1.0
    view[..., 1] = 7.0
    ev[..., 1] = 7.0
    view[view > 50] = 0.0
    ev[ev > 50] = 0.0
    np.testing.assert_array_equal(base.numpy(), expected)
    row = base[2]
    row[1:3] = glia.zeros(2, 5, dtype=glia.float64) + 4
    expected[2, 1:3] = 4
    np.testing.assert_array_equal(base.numpy(), expected)


@pytest.mark.parametrize("dtype,value", [(np.int64, 2.7), (np.int64, -3), (np.int64, True),
                                         (np.bool_, 1), (np.float32, 2), (np.bool_, False)])
def test_setitem_dtypes(dtype, value):
    a = (A[0] % 3).astype(dtype)
    expected = a.copy()
    expected[1:, [0, 2]] = value
    g = glia.tensor(a)
    g[1:, [0, 2]] = value
    np.testing.assert_array_equal(g.numpy(), expected)
    assert g.numpy().dtype == dtype
    expected[expected != 0] = value
    g[g != 0] = value
    np.testing.assert_array_equal(g.numpy(), expected)


def test_setitem_value_dtype_converted():
    g = glia.tensor(A[0].astype(np.int64))
    g[0] = glia.tensor([1.9, -1.9, 2.0, 3.0, 4.0], dtype=glia.float64)
    expected = A[0].astype(np.int64)
    expected[0] = np.array([1.9, -1.9, 2.0, 3.0, 4.0]).astype(np.int64)
    np.testing.assert_array_equal(g.numpy(), expected)


def test_setitem_requires_grad():
    x = glia.tensor(randn(3, 4), requires_grad=True)
    before = x.detach().numpy().copy()
    for key in [0, slice(1, 3), [0, 2], x.detach() > 0]:
        with pytest.raises(RuntimeError):
            x[key] = 1.0
    np.testing.assert_array_equal(x.detach().numpy(), before)
    with glia.no_grad():
        x[1] = 5.0
        x[[0, 2], [1, 1]] = -2.0
    before[1] = 5.0
    before[[0, 2], [1, 1]] = -2.0
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.requires_grad


def test_setitem_errors():
    g = glia.tensor(A)
    with pytest.raises(ValueError):
        g[0] = glia.zeros(3, 5, dtype=glia.float64)          # cannot broadcast (3,5) to (4,5)
    with pytest.raises(ValueError):
        g[[0, 1]] = glia.zeros(3, 4, 5, dtype=glia.float64)
    check_raises(lambda: g.__setitem__([0, 3], 1.0), IndexError, "3")
    np.testing.assert_array_equal(g.numpy(), A)


# ---- index_select / gather / scatter_add / index_add ----

@pytest.mark.parametrize("shape,dim,index", [
    ((3, 4, 5), 0, [2, 0]), ((3, 4, 5), 1, [3, 3, 0, 3]), ((3, 4, 5), -1, [4]),
    ((3, 4, 5), 2, []), ((5,), 0, [4, 1, 1]), ((3, 4), 1, 2), ((3, 0), 0, [1, 1]),
])
def test_index_select(shape, dim, index):
    idx = np.array(index, dtype=np.int64)
    compare(lambda x: x.index_select(dim, glia.from_numpy(idx)),
            lambda x: x.index_select(dim, torch.from_numpy(idx)), randn(*shape))
    check_op(lambda x: glia.index_select(x, dim, glia.from_numpy(idx)),
             lambda x: torch.index_select(x, dim, torch.from_numpy(idx)), randn(*shape))
    check_op(lambda x: glia.index_select(x, dim, glia.from_numpy(idx)),
             lambda x: torch.index_select(x, dim, torch.from_numpy(idx)),
             (np.arange(int(np.prod(shape))) - 7).reshape(shape))


@pytest.mark.parametrize("index", [[0], 0])
def test_index_select_0d_input(index):
    compare(lambda x: x.index_select(0, glia.tensor(index)),
            lambda x: x.index_select(0, torch.tensor(index)), randn())


@pytest.mark.parametrize("shape,dim,ishape", [
    ((3, 4), 0, (5, 4)), ((3, 4), 1, (3, 6)), ((3, 4), -1, (2, 3)), ((2, 3, 4), 1, (2, 5, 4)),
    ((2, 3, 4), 2, (1, 2, 7)), ((4,), 0, (9,)), ((3, 4), 0, (0, 4)),
])
def test_gather(shape, dim, ishape):
    n = shape[dim]
    idx = np.random.default_rng(5).integers(0, n, ishape)  # many repeats: gradients accumulate
    compare(lambda x: x.gather(dim, glia.from_numpy(idx)),
            lambda x: x.gather(dim, torch.from_numpy(idx)), randn(*shape))
    check_op(lambda x: glia.gather(x, dim, glia.from_numpy(idx)),
             lambda x: torch.gather(x, dim, torch.from_numpy(idx)),
             np.arange(float(np.prod(shape))).reshape(shape))
    gradcheck(lambda x: x.gather(dim, glia.from_numpy(idx)), randn(*shape))


@pytest.mark.parametrize("shape,dim,ishape,sshape", [
    ((3, 4), 0, (5, 4), (5, 4)), ((3, 4), 1, (3, 6), (3, 6)), ((3, 4), -1, (2, 3), (3, 5)),
    ((2, 3, 4), 1, (2, 5, 4), (2, 5, 4)), ((5,), 0, (8,), (8,)), ((3, 4), 0, (0, 4), (1, 4)),
])
def test_scatter_add(shape, dim, ishape, sshape):
    idx = np.random.default_rng(6).integers(0, shape[dim], ishape)
    # (torch's own backward rejects an index smaller than src; gradcheck covers that case)
    compare(lambda b, s: b.scatter_add(dim, glia.from_numpy(idx), s),
            lambda b, s: b.scatter_add(dim, torch.from_numpy(idx), s),
            randn(*shape), randn(*sshape), grad=ishape == sshape)
    check_op(lambda b, s: glia.scatter_add(b, dim, glia.from_numpy(idx), s),
             lambda b, s: torch.scatter_add(b, dim, torch.from_numpy(idx), s),
             np.arange(float(np.prod(shape))).reshape(shape), randn(*sshape), grad=False)
    gradcheck(lambda b, s: b.scatter_add(dim, glia.from_numpy(idx), s), randn(*shape),
              randn(*sshape))


@pytest.mark.parametrize("shape,dim,index", [
    ((3, 4), 0, [2, 0, 2]), ((3, 4), 1, [3, 3, 3]), ((2, 3, 4), -1, [0, 1, 0, 1, 3]),
    ((5,), 0, [4, 4]), ((3, 4), 0, []),
])
def test_index_add(shape, dim, index):
    idx = np.array(index, dtype=np.int64)
    sshape = list(shape)
    sshape[dim] = len(index)
    compare(lambda b, s: b.index_add(dim, glia.from_numpy(idx), s),
            lambda b, s: b.index_add(dim, torch.from_numpy(idx), s), randn(*shape), randn(*sshape))
    check_op(lambda b, s: glia.index_add(b, dim, glia.from_numpy(idx), s),
             lambda b, s: torch.index_add(b, dim, torch.from_numpy(idx), s),
             np.arange(float(np.prod(shape))).reshape(shape), np.ones(sshape), grad=False)
    gradcheck(lambda b, s: b.index_add(dim, glia.from_numpy(idx), s), randn(*shape),
              randn(*sshape))


def test_index_ops_int_values():
    v = np.array([[3, -1, 4], [1, 5, -9]])
    gi, ti = glia.tensor([[0, 0], [1, 2]]), torch.tensor([[0, 0], [1, 2]])
    assert_close(glia.tensor(v).gather(1, gi), torch.from_numpy(v).gather(1, ti))
    assert_close(glia.tensor(v).scatter_add(1, gi, glia.tensor(v)),
                 torch.from_numpy(v).scatter_add(1, ti, torch.from_numpy(v)))
    assert_close(glia.tensor(v).index_add(0, glia.tensor([1, 1]), glia.tensor(v)),
                 torch.from_numpy(v).index_add(0, torch.tensor([1, 1]), torch.from_numpy(v)))


def test_index_ops_noncontiguous_inputs():
    x = randn(5, 4)
    idx = np.array([[0, 3, 3, 1], [4, 4, 0, 2]])
    compare(lambda a: a.mT.gather(1, glia.from_numpy(idx)),
            lambda a: a.mT.gather(1, torch.from_numpy(idx)), x)
    compare(lambda a: a.mT.index_select(1, glia.tensor([4, 0, 4])),
            lambda a: a.mT.index_select(1, torch.tensor([4, 0, 4])), x)
    compare(lambda a, s: a.mT.scatter_add(1, glia.from_numpy(idx).mT.mT, s.mT),
            lambda a, s: a.mT.scatter_add(1, torch.from_numpy(idx).mT.mT, s.mT), x, randn(4, 2))
    compare(lambda a, s: a.mT.index_add(0, glia.tensor([3, 0]), s.mT),
            lambda a, s: a.mT.index_add(0, torch.tensor([3, 0]), s.mT), x, randn(5, 2))
    nc_idx = np.ascontiguousarray(idx.T).T  # a strided index tensor
    check_op(lambda a: a.gather(1, glia.from_numpy(nc_idx)),
             lambda a: a.gather(1, torch.from_numpy(nc_idx)), x.T.copy(), grad=False)


# ---- nonzero / masked_fill ----

@pytest.mark.parametrize("a", [
    np.array([0.0, 1.5, 0.0, -2.0]), A % 4 == 0, (A[0] % 3).astype(np.int64), np.zeros((2, 3)),
    np.array(3.0), np.array(0), np.zeros((0, 3)), np.ones((2, 1, 2), dtype=bool),
], ids=["1d", "3d-bool", "2d-int", "none", "0d", "0d-zero", "empty", "all"])
def test_nonzero(a):
    assert_close(glia.tensor(a).nonzero(), torch.from_numpy(np.array(a)).nonzero())
    if a.ndim >= 2:  # a strided input
        assert_close(glia.nonzero(glia.tensor(a).mT), torch.nonzero(torch.from_numpy(a).mT))


@pytest.mark.parametrize("shape,mshape,value", [
    ((3, 4), (3, 4), -1.5), ((3, 4), (4,), 0.0), ((2, 3, 4), (3, 1), 7.0), ((3, 4), (3, 4), 2),
    ((0, 4), (4,), 1.0),
])
def test_masked_fill(shape, mshape, value):
    mask = np.random.default_rng(8).random(mshape) < 0.5
    compare(lambda x: x.masked_fill(glia.from_numpy(mask), value),
            lambda x: x.masked_fill(torch.from_numpy(mask), value), randn(*shape))
    check_op(lambda x: glia.masked_fill(x, glia.from_numpy(mask), value),
             lambda x: torch.masked_fill(x, torch.from_numpy(mask), value),
             np.arange(int(np.prod(shape))).reshape(shape))
    gradcheck(lambda x: x.masked_fill(glia.from_numpy(mask), value), randn(*shape))


def test_masked_fill_non_bool_mask_raises():
    with pytest.raises(TypeError):
        glia.zeros(3).masked_fill(glia.tensor([1, 0, 1]), 1.0)


# ---- errors ----

@pytest.mark.parametrize("key,fragments", [
    (3, ("3",)), (-4, ("-4", "3")), ((0, 4), ("4",)), ((0, 0, -6), ("-6", "5")),
    ([0, 3], ("3",)), ([-4], ("-4", "3")), ((slice(None), [0, 4]), ("4",)),
    ((Ellipsis, [5]), ("5",)), (([0, 1], [0, 9]), ("9", "4")),
    (np.array([0, 7]), ("7", "3")),
])
def test_getitem_out_of_range(key, fragments):
    g = glia.tensor(A)
    with pytest.raises(IndexError):
        A[key]
    check_raises(lambda: g[key], IndexError, *fragments)
    check_raises(lambda: g[_for("glia", key)], IndexError, *fragments)


@pytest.mark.parametrize("key", [
    (0, 0, 0, 0), (Ellipsis, Ellipsis), np.ones((3, 5), bool), np.ones((2,), bool),
    (slice(None), np.ones((4, 5, 1), bool)), ([0, 1], [[0, 1, 2]], [0, 1]),
])
def test_getitem_bad_keys(key):
    with pytest.raises(IndexError):
        A[key]
    with pytest.raises((IndexError, ValueError)):
        glia.tensor(A)[_for("glia", key)]


@pytest.mark.parametrize("key", [
    glia.tensor([0.0, 1.0]), [0.5, 1.0], np.array([1.0, 2.0]), (slice(None), glia.tensor([1.0])),
    1.0, glia.tensor(1.0), "a",
])
def test_getitem_float_index_raises(key):
    with pytest.raises((IndexError, TypeError)):
        glia.tensor(A)[key]


def test_index_ops_out_of_range():
    x = glia.zeros(3, 4)
    check_raises(lambda: x.index_select(0, glia.tensor([0, 3])), IndexError, "3")
    check_raises(lambda: x.index_select(1, glia.tensor([-1])), IndexError, "-1", "4")
    check_raises(lambda: x.gather(1, glia.tensor([[0, 4]])), IndexError, "4")
    check_raises(lambda: x.gather(0, glia.tensor([[-1, 0]])), IndexError, "-1", "3")
    check_raises(lambda: x.scatter_add(0, glia.tensor([[3]]), glia.ones(1, 1)), IndexError, "3")
    check_raises(lambda: x.index_add(1, glia.tensor([9]), glia.ones(3, 1)), IndexError, "9", "4")
    check_raises(lambda: x.index_select(2, glia.tensor([0])), IndexError, "2")


def test_index_ops_float_index_raises():
    x = glia.zeros(3, 4)
    fi = glia.tensor([0.0, 1.0])
    for fn in [lambda: x.index_select(0, fi), lambda: x.gather(0, fi.reshape(1, 2)),
               lambda: x.scatter_add(0, fi.reshape(1, 2), glia.ones(1, 2)),
               lambda: x.index_add(0, fi, glia.ones(2, 4))]:
        with pytest.raises((IndexError, TypeError)):
            fn()


def test_index_ops_shape_errors():
    x = glia.zeros(3, 4)
    with pytest.raises(ValueError):
        x.gather(0, glia.tensor([0, 1]))                       # rank differs
    with pytest.raises(ValueError):
        x.index_add(0, glia.tensor([0, 1]), glia.ones(3, 4))   # source rows != index length
    with pytest.raises(ValueError):
        x.index_select(0, glia.tensor([[0, 1]]))               # 2-d index


# ---- flip, tril, triu ----

@pytest.mark.parametrize("shape,dims", [((2, 3, 4), (0,)), ((2, 3, 4), (2, 0)), ((2, 3, 4), (-1,)),
                                        ((5,), 0), ((2, 3), ()), ((0, 3), (0, 1)), ((), (0,)),
                                        ((3, 1), (1,))])
def test_flip_matches_torch(shape, dims):
    x = randn(*shape)
    check_op(lambda a: glia.flip(a, dims), lambda a: torch.flip(a, dims if isinstance(dims, tuple)
                                                                  else (dims,)), x)
    check_op(lambda a: a.flip(dims), lambda a: a.flip(dims), x)
    y = glia.tensor(x)
    assert glia.flip(y, dims).data_ptr() != y.data_ptr()  # a copy, even flipping nothing


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("shape", [(4, 5), (5, 3), (2, 3, 4), (0, 3), (1, 1), (2, 0, 2)])
@pytest.mark.parametrize("diagonal", [0, 1, -1, 7, -7])
def test_tril_triu_match_torch(name, shape, diagonal):
    x = randn(*shape)
    check_op(lambda a: getattr(glia, name)(a, diagonal),
             lambda a: getattr(torch, name)(a, diagonal), x)
    check_op(lambda a: getattr(a, name)(diagonal=diagonal),
             lambda a: getattr(a, name)(diagonal=diagonal), x)


def test_tril_triu_flip_dtypes_gradcheck_and_errors():
    b = np.ones((3, 3), dtype=bool)
    check_op(lambda a: glia.triu(a, 1), lambda a: torch.triu(a, 1), b)  # a causal mask
    check_op(lambda a: glia.tril(a), lambda a: torch.tril(a), np.arange(12).reshape(3, 4))
    check_op(lambda a: glia.flip(a, (1,)), lambda a: torch.flip(a, (1,)), b)
    gradcheck(lambda a: glia.tril(a, 1), randn(3, 4))
    gradcheck(lambda a: a.triu(-1), randn(2, 4, 3))
    gradcheck(lambda a: glia.flip(a, (0, 2)), randn(2, 3, 4))
    check_raises(lambda: glia.tril(glia.zeros(3)), ValueError, "tril", "2 dims", "(3,)")
    check_raises(lambda: glia.zeros(3).triu(), ValueError, "triu")
    check_raises(lambda: glia.flip(glia.zeros(2, 3), (0, 0)), ValueError, "flip", "more than once")
    check_raises(lambda: glia.flip(glia.zeros(2, 3), (1, -1)), ValueError, "flip", "more than once")
    check_raises(lambda: glia.flip(glia.zeros(2, 3), (2,)), IndexError, "flip", "2")
    x = randn(2, 3, 4)  # dims as separate arguments of the method, as torch
    assert_close(glia.tensor(x).flip(0, 2), torch.tensor(x).flip(0, 2))


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_index_select_last_dim_gathers_elements(dtype, threads, restore_threads):
    # one element per index (inner size 1): the typed gather path, rows split over threads
    glia.set_num_threads(threads)
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((40, 30, 50)) * 3).astype(dtype)
    idx = rng.integers(0, 50, 77)  # repeats, any order, more than the dim holds
    out = glia.index_select(glia.tensor(x), 2, glia.tensor(idx))
    np.testing.assert_array_equal(out.numpy(), x[:, :, idx])
    if dtype in (np.float32, np.float64):
        g = glia.tensor(x, requires_grad=True)
        w = rng.standard_normal((40, 30, 77)).astype(dtype)
        (glia.index_select(g, 2, glia.tensor(idx)) * glia.tensor(w)).sum().backward()
        expected = np.zeros_like(x)
        np.add.at(expected, (slice(None), slice(None), idx), w)
        np.testing.assert_allclose(g.grad.numpy(), expected, rtol=1e-5, atol=1e-5)
