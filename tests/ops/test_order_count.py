"""Order statistics (median, nanmedian, kthvalue, mode, quantile, nanquantile, msort) and
counting (unique, unique_consecutive, bincount, histc, histogram, searchsorted, bucketize,
isin) against PyTorch: every dim, keepdim, size-0/size-1 dims, 0-d inputs, non-contiguous
views, float32/float64/int64/bool, NaN, ties (with torch's choice of index), gradients
under random cotangents, float64 gradchecks and errors. Where torch leaves the index among
equal values open (its unstable sorts decide), glia's documented rule is checked instead:
the stable order's choice for median/kthvalue, the last occurrence for mode.""" 
import numpy as np
import pytest
import torch

import glia
from helpers import (RNG, assert_close, check_op, check_raises, gradcheck, noncontiguous, randn,
                     to_glia, to_torch)

# (shape, dim): reductions along dim, incl. negative dims, size-1 dims and empty other dims
SHAPES = [((7,), 0), ((3, 5), 1), ((3, 5), -2), ((2, 3, 4), 1), ((2, 3, 4), -1), ((4, 1), 1),
          ((1, 4), 0), ((0, 3), 1), ((), 0), ((), -1)]


def ties(shape, dtype=np.float64, nan=False):
    """Few distinct values (many ties), with some NaN if asked."""
    x = RNG.integers(-3, 4, size=shape).astype(dtype)
    if nan and x.size:
        x[RNG.random(x.shape) < 0.2] = np.nan
    return x


def both(g, t, fields=("values", "indices")):
    """A glia named tuple against torch's: field names and every field's numbers."""
    assert g._fields == fields
    for f in fields:
        assert_close(getattr(g, f), getattr(t, f))


def same_values(g, t, x, dim, index_rule):
    """Values as torch's; indices that point at those values and follow glia's rule
    index_rule(x moved so dim is last) -> index array (torch's own choice among ties is an
    implementation detail of its sorts)."""
    assert g._fields == ("values", "indices")
    assert_close(g.values, t.values)
    idx = g.indices.numpy()
    if x.ndim == 0:
        assert idx.item() == 0
        return
    d = dim % x.ndim
    want = np.moveaxis(index_rule(np.moveaxis(x, d, -1)), -1, d)
    assert np.array_equal(idx.reshape(want.shape), want)


def stable_kth(k):
    return lambda a: np.argsort(a, -1, kind="stable")[..., k - 1:k]


def last_of_mode(a):
    """The last occurrence of the smallest most frequent value of each row (NaNs apart)."""
    flat = a.reshape(-1, a.shape[-1])
    out = []
    for row in flat:
        vals, counts = np.unique(row[~np.isnan(row)] if row.dtype.kind == "f" else row,
                                 return_counts=True)
        nan_only = vals.size == 0 or counts.max() == 1 and np.isnan(row).any() and \
            np.nanmin(row) > np.nan_to_num(row[np.isnan(row)], nan=np.inf).min()
        best = vals[np.argmax(counts)] if vals.size else np.nan
        if nan_only and vals.size == 0:
            out.append(np.flatnonzero(np.isnan(row))[0])
        else:
            out.append(np.flatnonzero(row == best)[-1])
    return np.array(out, np.int64).reshape(a.shape[:-1] + (1,))


def rows_of_ties(n, dtype=np.float64):
    """Inputs that exercise torch's sorts: rows of up to and past 16 elements, sorted,
    reversed and constant rows."""
    cases = [RNG.integers(0, k, size=(3, m)).astype(dtype) for m in (1, 5, 16, 17, 40, 150)
             for k in (2, 5)]
    cases += [np.sort(c, 1) for c in cases[:4]] + [c[:, ::-1].copy() for c in cases[4:8]]
    return cases + [np.zeros((2, n), dtype)]


# ---- median / nanmedian / kthvalue / mode ----

@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", SHAPES)
def test_median_and_nanmedian_along_dim_match_torch(shape, dim, keepdim):
    for dtype in (np.float64, np.float32, np.int64):
        for nan in (False, True) if dtype != np.int64 else (False,):
            x = ties(shape, dtype, nan)
            for op in ("median", "nanmedian"):
                ref = getattr(torch, op)(to_torch(x), dim, keepdim)
                for g in (getattr(glia, op)(to_glia(x), dim, keepdim),
                          getattr(to_glia(noncontiguous(x)), op)(dim, keepdim=keepdim)):
                    if op == "median" or not np.isnan(ref.values.numpy()).any():
                        both(g, ref)
                    else:  # a row of only NaNs: NaN at glia's index 0 (torch's is open)
                        assert_close(g.values, ref.values)
                        keep = ~np.isnan(ref.values.numpy())
                        np.testing.assert_array_equal(g.indices.numpy()[keep],
                                                      ref.indices.numpy()[keep])
                        assert not g.indices.numpy()[~keep].any()
    # ties included: the gradient goes to the index torch picks (a row of only NaNs aside)
    x = ties(shape, nan=True)
    if x.ndim and x.size:
        np.moveaxis(x, dim, -1)[..., 0] = 1.0  # no row along dim is all NaN
    for op in ("median", "nanmedian"):
        check_op(lambda a: getattr(glia, op)(a, dim, keepdim).values,
                 lambda a: getattr(torch, op)(a, dim, keepdim).values, x)


def test_median_nan_rows():
    # median: the first NaN; nanmedian of a row of only NaNs: NaN at index 0
    for n in (1, 2, 3, 4, 7, 16, 33, 100):
        x = np.full((2, n), np.nan)
        x[1, n // 2:] = 1.0
        g, t = glia.median(to_glia(x), 1), torch.median(to_torch(x), 1)
        both(g, t)
        g, t = glia.nanmedian(to_glia(x), 1), torch.nanmedian(to_torch(x), 1)
        assert_close(g.values, t.values)
        assert g.indices.numpy()[0] == 0
        assert_close(g.indices[1], t.indices[1])


@pytest.mark.parametrize("op", ["median", "nanmedian"])
def test_median_of_all_elements_and_its_evenly_shared_gradient(op):
    for x in (ties((4, 5)), ties((4, 5), nan=True), ties((3, 3), np.float32, nan=True),
              ties((6,), np.int64), np.full(5, np.nan), np.array(2.5)):
        assert_close(getattr(glia, op)(to_glia(x)), getattr(torch, op)(to_torch(x)))
        if x.dtype.kind == "f":  # torch spreads the gradient over the equal (or NaN) elements
            check_op(getattr(glia, op), getattr(torch, op), x)
    assert_close(getattr(glia, op)(glia.zeros(0, 3)), getattr(torch, op)(torch.zeros(0, 3)))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", SHAPES)
def test_kthvalue_matches_torch_with_ties_and_nan(shape, dim, keepdim):
    n = shape[dim] if shape else 1
    if n == 0:
        return
    for k in sorted({1, (n + 1) // 2, n}):
        for dtype, nan in ((np.float64, True), (np.float32, True), (np.int64, False)):
            x = ties(shape, dtype, nan)
            ref = torch.kthvalue(to_torch(x), k, dim, keepdim=True)
            same_values(glia.kthvalue(to_glia(x), k, dim, keepdim=True), ref, x, dim,
                        stable_kth(k))
            same_values(to_glia(noncontiguous(x)).kthvalue(k, dim=dim, keepdim=True), ref, x,
                        dim, stable_kth(k))
            assert_close(glia.kthvalue(to_glia(x), k, dim, keepdim).values,
                         torch.kthvalue(to_torch(x), k, dim, keepdim).values)
        # gradients on distinct values (among ties torch's quickselect picks its own element)
        distinct = randn(*shape) if shape else np.asarray(randn(1)[0])
        check_op(lambda a: glia.kthvalue(a, k, dim, keepdim).values,
                 lambda a: torch.kthvalue(a, k, dim, keepdim).values, distinct)


def test_kthvalue_among_many_ties_takes_the_stable_orders_kth():
    for x in rows_of_ties(60):
        x[0, ::7] = np.nan
        for k in (1, x.shape[1] // 3 + 1, x.shape[1]):
            same_values(glia.kthvalue(to_glia(x), k, 1, keepdim=True),
                        torch.kthvalue(to_torch(x), k, 1, keepdim=True), x, 1, stable_kth(k))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", SHAPES)
def test_mode_matches_torch(shape, dim, keepdim):
    for dtype in (np.float64, np.float32, np.int64, np.bool_):
        x = ties(shape).astype(dtype) if dtype != np.bool_ else RNG.random(shape) < 0.5
        ref = torch.mode(to_torch(x), dim, keepdim=True)
        same_values(glia.mode(to_glia(x), dim, keepdim=True), ref, x, dim, last_of_mode)
        same_values(to_glia(noncontiguous(x)).mode(dim, keepdim=True), ref, x, dim,
                    last_of_mode)
        assert_close(glia.mode(to_glia(x), dim, keepdim).values,
                     torch.mode(to_torch(x), dim, keepdim).values)
    check_op(lambda a: glia.mode(a, dim, keepdim).values,
             lambda a: torch.mode(a, dim, keepdim).values, ties(shape))


def test_mode_on_many_random_integer_inputs():
    # the smallest most frequent value, at its last occurrence
    for x in rows_of_ties(300) + [ties((40, 23), np.int64), ties((5, 300), np.float32)]:
        for dim in (0, 1):
            same_values(glia.mode(to_glia(x), dim, keepdim=True),
                        torch.mode(to_torch(x), dim, keepdim=True), x, dim, last_of_mode)
    x = np.array([1.0, np.nan, np.nan, 2.0])  # each NaN counts alone, as in torch
    assert_close(glia.mode(to_glia(x)).values, torch.mode(to_torch(x)).values)
    assert glia.mode(to_glia(x)).indices.item() == 0


def test_order_statistics_gradcheck():
    x = randn(3, 5)  # distinct values: the finite differences see no ties
    gradcheck(lambda a: glia.median(a, 1).values, x)
    gradcheck(lambda a: glia.median(a), x)
    gradcheck(lambda a: glia.nanmedian(a, 0, keepdim=True).values, x)
    gradcheck(lambda a: glia.kthvalue(a, 2, 1).values, x)
    gradcheck(lambda a: a.kthvalue(3, 0).values, x)
    gradcheck(lambda a: glia.mode(a, 0).values, x)
    q = glia.tensor([0.1, 0.5, 0.93], dtype=glia.float64)
    gradcheck(lambda a: glia.quantile(a, q, 1), x)
    gradcheck(lambda a: glia.quantile(a, 0.3, interpolation="midpoint"), x)
    gradcheck(lambda a: glia.nanquantile(a, q, 0, keepdim=True), x)
    gradcheck(lambda a: glia.msort(a), x)


# ---- quantile / nanquantile ----

INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("shape,dim", SHAPES[:7] + [((), 0), ((4, 1), None), ((2, 3, 4), None),
                                                    ((), None)])
def test_quantile_and_nanquantile_match_torch(shape, dim, interpolation):
    for dtype in (np.float64, np.float32):
        qs = np.array([0.0, 0.25, 0.5, 0.6, 1 / 3, 1.0], dtype)
        x = ties(shape, dtype, nan=True)
        x.reshape(-1)[:1] = 2.0  # some rows keep a finite value
        for op in ("quantile", "nanquantile"):
            for q in (0.37, 1, glia.tensor(qs[1]), glia.tensor(qs)):
                tq = torch.from_numpy(q.numpy()) if isinstance(q, glia.Tensor) else q
                for keepdim in (False, True):
                    ref = getattr(torch, op)(to_torch(x), tq, dim, keepdim,
                                             interpolation=interpolation)
                    assert_close(getattr(glia, op)(to_glia(x), q, dim, keepdim,
                                                   interpolation=interpolation), ref)
            assert_close(getattr(to_glia(noncontiguous(x)), op)(glia.tensor(qs), dim=dim),
                         getattr(torch, op)(to_torch(x), torch.from_numpy(qs), dim=dim))
    tq = torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64)
    distinct = randn(*shape) if shape else np.asarray(randn(1)[0])
    if distinct.size > 2:
        distinct.reshape(-1)[1] = np.nan
    for op in ("quantile", "nanquantile"):  # gradients without ties (torch's sort decides those)
        check_op(lambda a: getattr(glia, op)(a, glia.tensor(tq.numpy()), dim,
                                             interpolation=interpolation),
                 lambda a: getattr(torch, op)(a, tq, dim, interpolation=interpolation),
                 distinct)


def test_sort_based_gradients_among_ties_sum_as_torchs():
    # among tied values the gradient goes to the first in stable order; torch's unstable sort
    # may pick another of them, so the gradients are compared summed per distinct value
    x = ties((3, 40))
    q = np.array([0.1, 0.5, 0.77])
    w = RNG.standard_normal((3, 3))
    a, b = glia.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (glia.quantile(a, glia.tensor(q), 1) * glia.tensor(w)).sum().backward()
    (torch.quantile(b, torch.from_numpy(q), 1) * torch.from_numpy(w)).sum().backward()
    ga, gb = a.grad.numpy(), b.grad.numpy()
    for row in range(3):
        for v in np.unique(x[row]):
            m = x[row] == v
            np.testing.assert_allclose(ga[row][m].sum(), gb[row][m].sum(), atol=1e-12)


def test_quantile_of_an_empty_q_and_a_q_of_one_element():
    x = randn(3, 4)
    for q in (np.zeros(0), np.array([0.5])):
        assert_close(glia.quantile(to_glia(x), glia.tensor(q), 1),
                     torch.quantile(to_torch(x), to_torch(q), 1))


# ---- msort ----

@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4), (0, 3), (1, 4), ()])
def test_msort_matches_torch(shape):
    for dtype in (np.float64, np.float32, np.int64):
        x = ties(shape, dtype, nan=dtype != np.int64)
        assert_close(glia.msort(to_glia(x)), torch.msort(to_torch(x)))
        assert_close(to_glia(noncontiguous(x)).msort(), torch.msort(to_torch(x)))
    check_op(glia.msort, torch.msort, ties(shape, nan=True))


# ---- unique / unique_consecutive ----

def check_unique(x, dim=None, sorted=True):
    for inv in (False, True):
        for counts in (False, True):
            ref = torch.unique(to_torch(x), sorted=sorted, return_inverse=inv,
                               return_counts=counts, dim=dim)
            assert_close(glia.unique(to_glia(x), sorted, inv, counts, dim), ref)
            assert_close(to_glia(noncontiguous(x)).unique(
                sorted=sorted, return_inverse=inv, return_counts=counts, dim=dim), ref)
            ref = torch.unique_consecutive(to_torch(x), return_inverse=inv,
                                           return_counts=counts, dim=dim)
            assert_close(glia.unique_consecutive(to_glia(x), inv, counts, dim), ref)
            assert_close(to_glia(x).unique_consecutive(return_inverse=inv,
                                                       return_counts=counts, dim=dim), ref)


@pytest.mark.parametrize("shape", [(9,), (4, 6), (2, 3, 4), (1, 5), (0,), (0, 3), ()])
def test_unique_and_unique_consecutive_flattened(shape):
    for dtype in (np.float64, np.float32, np.int64, np.bool_):
        x = ties(shape).astype(dtype) if dtype != np.bool_ else RNG.random(shape) < 0.5
        check_unique(x)
        check_unique(x, sorted=False)
    x = ties(shape, nan=True)
    check_unique(x[~np.isnan(x)] if x.ndim else x)
    check_unique_with_nans(x)


@pytest.mark.parametrize("shape", [(9,), (6, 3), (3, 6), (2, 3, 4), (0, 3), (1, 1)])
def test_unique_and_unique_consecutive_along_a_dim(shape):
    for dim in range(-len(shape), len(shape)):
        if any(s == 0 for d, s in enumerate(shape) if d != dim % len(shape)):
            continue
        for dtype in (np.float64, np.int64, np.bool_):
            x = RNG.integers(0, 2, size=shape).astype(dtype)  # repeated slices
            x = np.concatenate([x, x], dim) if x.size else x
            check_unique(x, dim)


def check_unique_with_nans(x):
    """Every NaN is distinct and sorts last, as in torch; their order among themselves (and so
    the inverse of a NaN) is glia's stable one: by position."""
    g = glia.unique(to_glia(x), return_inverse=True, return_counts=True)
    t = torch.unique(to_torch(x), return_inverse=True, return_counts=True)
    assert_close(g[0], t[0])
    assert_close(g[2], t[2])
    flat = x.reshape(-1)
    inv = g[1].numpy().reshape(-1)
    finite = ~np.isnan(flat)
    np.testing.assert_array_equal(inv[finite], t[1].numpy().reshape(-1)[finite])
    n_finite = np.unique(flat[finite]).size
    np.testing.assert_array_equal(inv[~finite], n_finite + np.arange((~finite).sum()))


def test_unique_keeps_every_nan():
    check_unique_with_nans(ties((300,), nan=True))
    rows = ties((40, 2), nan=True)
    rows[::2] = rows[1::2]  # equal rows, some with NaN (never equal)
    # equal rows without NaN collapse; rows with a NaN never equal anything. (torch 2.13's
    # comparator skips NaN columns, so its sort can separate equal rows and keep duplicates.)
    g = glia.unique(to_glia(rows), dim=0).numpy()
    has_nan = np.isnan(rows).any(1)
    clean = np.unique(rows[~has_nan], axis=0)
    g_nan = np.isnan(g).any(1)
    np.testing.assert_array_equal(g[~g_nan], clean)  # sorted rows, NaN rows in between
    assert g_nan.sum() == has_nan.sum()


# ---- bincount / histc / histogram ----

def test_bincount_matches_torch():
    x = RNG.integers(0, 6, size=20)
    for minlength in (0, 3, 10):
        assert_close(glia.bincount(to_glia(x), minlength=minlength),
                     torch.bincount(to_torch(x), minlength=minlength))
        assert_close(to_glia(noncontiguous(x)).bincount(minlength=minlength),
                     torch.bincount(to_torch(x), minlength=minlength))
        # float32 weights give float32 counts; float64, int64 and bool weights float64
        for w in (randn(20, dtype=np.float32), randn(20), RNG.integers(-3, 3, size=20),
                  RNG.random(20) < 0.5):
            assert_close(glia.bincount(to_glia(x), to_glia(w), minlength),
                         torch.bincount(to_torch(x), to_torch(w), minlength))
    empty = np.zeros(0, np.int64)
    for w in (None, np.zeros(0)):  # torch gives int64 zeros for an empty input, weights or not
        gw, tw = (None, None) if w is None else (to_glia(w), to_torch(w))
        assert_close(glia.bincount(to_glia(empty), gw, 4), torch.bincount(to_torch(empty), tw, 4))
        assert_close(glia.bincount(to_glia(empty), gw), torch.bincount(to_torch(empty), tw))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_histc_matches_torch(dtype):
    x = (randn(5, 40) * 3).astype(dtype)
    x[0, :3] = [np.nan, 100.0, -100.0]  # NaN and values outside the range are not counted
    for bins, lo, hi in ((10, -2, 2), (7, -1.5, 0.5), (1, 0, 1), (100, -3, 3), (63, -4, 2.5)):
        assert_close(glia.histc(to_glia(x), bins, lo, hi), torch.histc(to_torch(x), bins, lo, hi))
        assert_close(to_glia(noncontiguous(x)).histc(bins=bins, min=lo, max=hi),
                     torch.histc(to_torch(x), bins, lo, hi))
    finite = x[1:]
    assert_close(glia.histc(to_glia(finite), 16), torch.histc(to_torch(finite), 16))  # data range
    edges = np.array([0.0, 0.25, 0.5, 1.0, 1.0], dtype)  # on bin edges; 1.0 joins the last bin
    assert_close(glia.histc(to_glia(edges), 4, 0, 1), torch.histc(to_torch(edges), 4, 0, 1))
    for same in (np.full(3, 2.0, dtype), np.zeros(0, dtype), np.array(1.5, dtype)):
        assert_close(glia.histc(to_glia(same), 4), torch.histc(to_torch(same), 4))  # +-1 range


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_histogram_matches_torch(dtype):
    x = (randn(6, 30) * 2).astype(dtype)
    w = RNG.random((6, 30)).astype(dtype)
    edges = np.array([-3.0, -1.0, 0.0, 0.5, 2.5], dtype)
    unsorted = np.array([-1.0, 2.0, 0.0, 3.0], dtype)
    for bins in (1, 5, 13, glia.tensor(edges), glia.tensor(unsorted)):
        tb = torch.from_numpy(bins.numpy()) if isinstance(bins, glia.Tensor) else bins
        for rng in ((None, (-1.0, 1.5), (0, 0)) if isinstance(bins, int) else (None,)):
            kw = {} if rng is None else dict(range=rng)  # torch takes no range with tensor bins
            for weight in (None, w):
                for density in (False, True):
                    ref = torch.histogram(to_torch(x), tb, density=density, **kw,
                                          weight=None if weight is None else to_torch(weight))
                    res = glia.histogram(to_glia(x), bins, density=density, **kw,
                                         weight=None if weight is None else to_glia(weight))
                    both(res, ref, ("hist", "bin_edges"))
        both(to_glia(noncontiguous(x)).histogram(bins), torch.histogram(to_torch(x), tb),
             ("hist", "bin_edges"))
    for data in (np.zeros(0, dtype), np.array(1.0, dtype), np.full(4, 2.0, dtype)):
        both(glia.histogram(to_glia(data), 3), torch.histogram(to_torch(data), 3),
             ("hist", "bin_edges"))


# ---- searchsorted / bucketize / isin ----

def test_searchsorted_matches_torch():
    seq = np.sort(ties((12,)))
    values = np.array([-4.0, -3.0, 0.0, 0.5, 3.0, 9.0, np.nan])
    rows = np.sort(ties((2, 3, 10), nan=True), -1)  # NaN sorted last, as torch sorts
    row_values = ties((2, 3, 4), nan=True)
    perm = RNG.permutation(12)
    for right, side in ((False, None), (True, None), (False, "left"), (False, "right"),
                        (True, "right")):
        kw = dict(right=right, side=side)
        for s, v in ((seq, values), (rows, row_values), (seq.astype(np.int64), values),
                     (seq, values.astype(np.float32)), (seq, np.zeros((0, 2))),
                     (np.zeros(0), values), (seq.astype(np.float32), values[2:6].reshape(2, 2))):
            ref = torch.searchsorted(to_torch(s), to_torch(v), **kw)
            assert_close(glia.searchsorted(to_glia(s), to_glia(v), **kw), ref)
            assert_close(glia.searchsorted(to_glia(noncontiguous(s)), to_glia(noncontiguous(v)),
                                           **kw), ref)
        for scalar in (3, 0.5, -7, 1e9):
            assert_close(glia.searchsorted(to_glia(seq), scalar, **kw),
                         torch.searchsorted(to_torch(seq), scalar, **kw))
        # sorter: the indices that sort an unsorted sequence
        assert_close(glia.searchsorted(to_glia(seq[perm]), to_glia(values), sorter=to_glia(
            np.argsort(perm)), **kw), torch.searchsorted(to_torch(seq[perm]), to_torch(values),
                                                        sorter=to_torch(np.argsort(perm)), **kw))


def test_searchsorted_and_isin_promote_as_torch():
    s = np.array([1.0, 3.0], np.float32)
    # a Python float or a 0-d float64 tensor meets float32 values in float32; a 1-D one in float64
    for v in (3.0000001, np.array(3.0000001), np.array([3.0000001])):
        gv, tv = (to_glia(v), to_torch(v)) if isinstance(v, np.ndarray) else (v, v)
        assert_close(glia.searchsorted(to_glia(s), gv), torch.searchsorted(to_torch(s), tv))
        assert_close(glia.isin(to_glia(s), gv), torch.isin(to_torch(s), tv))
    big = np.array([16777217])  # int64 against float32 compares in float32
    assert_close(glia.isin(to_glia(big), to_glia(np.array([16777216.0], np.float32))),
                 torch.isin(to_torch(big), to_torch(np.array([16777216.0], np.float32))))
    assert_close(glia.searchsorted(to_glia(big), 16777216.9, right=True),
                 torch.searchsorted(to_torch(big), 16777216.9, right=True))


def test_bucketize_matches_torch():
    boundaries = np.array([-1.0, 0.0, 0.0, 2.0, 5.0])
    x = ties((3, 4), nan=True)
    for right in (False, True):
        for b, v in ((boundaries, x), (boundaries.astype(np.int64), x), (boundaries, x[0, 0]),
                     (np.array([5.0, 1.0, 3.0]), x)):  # unsorted: torch's bisection all the same
            ref = torch.bucketize(to_torch(v), to_torch(b), right=right)
            assert_close(glia.bucketize(to_glia(v), to_glia(b), right=right), ref)
        assert_close(glia.bucketize(2, to_glia(boundaries), right=right),
                     torch.bucketize(2, to_torch(boundaries), right=right))


def test_isin_matches_torch():
    e, ints = ties((3, 5), nan=True), ties((3, 5), np.int64)
    t = np.array([0.0, 2.0, np.nan, -3.0])  # NaN is never in
    unique = (np.array([1.0, 5.0, 2.0]), np.array([2.0, 7.0]))
    for invert in (False, True):
        kw = dict(invert=invert)
        for a, b in [(e, t), (ints, np.array([0, 2, -3])), (ints, np.array([1.5, 2.0])),
                     (e, ties((40,))), (noncontiguous(e), t), (np.zeros(0), t), (e, np.zeros(0))]:
            assert_close(glia.isin(to_glia(a), to_glia(b), **kw),
                         torch.isin(to_torch(a), to_torch(b), **kw))
        assert_close(glia.isin(*map(to_glia, unique), assume_unique=True, **kw),
                     torch.isin(*map(to_torch, unique), assume_unique=True, **kw))
        for a, b in ((e, 2.0), (ints, 2), (ints, 1.5)):
            assert_close(glia.isin(to_glia(a), b, **kw), torch.isin(to_torch(a), b, **kw))
            assert_close(glia.isin(b, to_glia(a), **kw), torch.isin(b, to_torch(a), **kw))


# ---- errors ----

def test_order_errors():
    x, i = glia.zeros(3, 4), glia.tensor([[1, 2], [3, 4]])
    q64 = glia.tensor([0.5], dtype=glia.float64)
    cases = [
        (lambda: glia.kthvalue(x, 5, 1), ValueError, ["kthvalue", "k=5", "size 4"]),
        (lambda: glia.kthvalue(x, 0), ValueError, ["kthvalue", "k=0"]),
        (lambda: glia.kthvalue(x, 1.5), TypeError, ["kthvalue", "1.5"]),
        (lambda: glia.kthvalue(x, 1, 2), IndexError, ["kthvalue", "dim 2"]),
        (lambda: glia.median(glia.zeros(0, 3), 0), IndexError, ["median", "size 0"]),
        (lambda: glia.mode(glia.zeros(0, 3), 0), IndexError, ["mode", "size 0"]),
        (lambda: glia.median(glia.tensor([True])), TypeError, ["median", "glia.bool"]),
        (lambda: glia.median(glia.zeros(0, dtype=glia.int64)), ValueError, ["median", "empty"]),
        (lambda: glia.nanmedian(x, -3), IndexError, ["nanmedian", "-3"]),
        (lambda: glia.quantile(x, 1.5), ValueError, ["quantile", "[0, 1]", "1.5"]),
        (lambda: glia.quantile(x, float("nan")), ValueError, ["quantile", "nan"]),
        (lambda: glia.nanquantile(x, glia.tensor([0.2, -0.1])), ValueError,
         ["nanquantile", "-0.1"]),
        (lambda: glia.quantile(x, 0.5, interpolation="cubic"), ValueError,
         ["quantile", "'cubic'", "midpoint"]),
        (lambda: glia.quantile(i, 0.5), TypeError, ["quantile", "glia.int64"]),
        (lambda: glia.quantile(x, q64), TypeError, ["quantile", "glia.float64"]),
        (lambda: glia.quantile(x, glia.zeros(1, 1)), ValueError, ["quantile", "(1, 1)"]),
        (lambda: glia.quantile(x, "half"), TypeError, ["quantile", "str"]),
        (lambda: glia.quantile(glia.zeros(0, 3), 0.5), ValueError, ["quantile", "non-empty"]),
        (lambda: glia.median([1.0, 2.0]), TypeError, ["median", "list"]),
    ]
    for fn, exc, fragments in cases:
        check_raises(fn, exc, *fragments)


def test_counting_errors():
    x, i = glia.zeros(3, 4), glia.tensor([1, 2])
    cases = [
        (lambda: glia.bincount(glia.tensor([1, -2])), ValueError, ["bincount", "-2"]),
        (lambda: glia.bincount(glia.tensor([1.0])), TypeError, ["bincount", "glia.float32"]),
        (lambda: glia.bincount(glia.tensor([[1]])), ValueError, ["bincount", "(1, 1)"]),
        (lambda: glia.bincount(i, minlength=-1), ValueError, ["bincount", "-1"]),
        (lambda: glia.bincount(i, glia.zeros(3)), ValueError, ["bincount", "(3,)"]),
        (lambda: glia.histc(x, bins=0), ValueError, ["histc", "bins", "0"]),
        (lambda: glia.histc(x, bins=-1), ValueError, ["histc", "-1"]),
        (lambda: glia.histc(x, 4, 3, 1), ValueError, ["histc", "min=3.0", "max=1.0"]),
        (lambda: glia.histc(glia.tensor([1.0, float("nan")]), 4), ValueError,
         ["histc", "nan", "not finite"]),
        (lambda: glia.histc(x, 4, 0, float("inf")), ValueError, ["histc", "inf"]),
        (lambda: glia.histc(i, 4), TypeError, ["histc", "glia.int64"]),
        (lambda: glia.histogram(x, 0), ValueError, ["histogram", "bins", "0"]),
        (lambda: glia.histogram(x, 3, range=(2.0, 1.0)), ValueError, ["histogram", "min=2.0"]),
        (lambda: glia.histogram(glia.tensor([float("inf")]), 3), ValueError,
         ["histogram", "inf"]),
        (lambda: glia.histogram(x, glia.tensor([0.0])), ValueError, ["histogram", "(1,)"]),
        (lambda: glia.histogram(x, glia.tensor([0.0, 1.0], dtype=glia.float64)), TypeError,
         ["histogram", "bins", "glia.float64"]),
        (lambda: glia.histogram(x, glia.tensor([0.0, 1.0]), range=(0, 1)), TypeError,
         ["histogram", "range", "bins tensor"]),
        (lambda: glia.histogram(x, 3, weight=glia.zeros(4)), ValueError,
         ["histogram", "weight", "(4,)"]),
        (lambda: glia.histogram(i, 3), TypeError, ["histogram", "glia.int64"]),
        (lambda: glia.searchsorted(i, i, out_int32=True), TypeError,
         ["searchsorted", "out_int32", "int32"]),
        (lambda: glia.bucketize(i, i, out_int32=True), TypeError, ["bucketize", "out_int32"]),
        (lambda: glia.searchsorted(i, i, side="middle"), ValueError, ["searchsorted", "'middle'"]),
        (lambda: glia.searchsorted(i, i, right=True, side="left"), ValueError,
         ["searchsorted", "side='left'", "right=True"]),
        (lambda: glia.searchsorted(x, glia.zeros(2, 1)), ValueError, ["searchsorted", "(3, 4)"]),
        (lambda: glia.searchsorted(x, 1.0), ValueError, ["searchsorted", "scalar", "(3, 4)"]),
        (lambda: glia.searchsorted(glia.tensor(1.0), i), ValueError, ["searchsorted", "0-d"]),
        (lambda: glia.searchsorted(glia.tensor([True]), i), TypeError,
         ["searchsorted", "glia.bool"]),
        (lambda: glia.searchsorted(i, i, sorter=glia.tensor([0, 2])), IndexError,
         ["searchsorted", "sorter", "2"]),
        (lambda: glia.searchsorted(i, i, sorter=glia.tensor([0])), ValueError,
         ["searchsorted", "sorter", "(1,)"]),
        (lambda: glia.searchsorted(i, i, sorter=glia.tensor([0.0, 1.0])), TypeError,
         ["searchsorted", "sorter", "glia.float32"]),
        (lambda: glia.searchsorted(i, "a"), TypeError, ["searchsorted", "str"]),
        (lambda: glia.bucketize(i, x), ValueError, ["bucketize", "1-D", "(3, 4)"]),
        (lambda: glia.isin(1, 2), TypeError, ["isin", "int"]),
        (lambda: glia.isin(glia.tensor([True]), i), TypeError, ["isin", "bool"]),
        (lambda: glia.unique(x, dim=2), IndexError, ["unique", "dim 2"]),
        (lambda: glia.unique(glia.zeros(0, 3), dim=1), ValueError, ["unique", "(0, 3)"]),
        (lambda: glia.unique_consecutive(glia.tensor(1.0), dim=0), IndexError,
         ["unique_consecutive", "dim 0"]),
    ]
    for fn, exc, fragments in cases:
        check_raises(fn, exc, *fragments)
