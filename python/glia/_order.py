"""Order statistics and counting, as torch: median, nanmedian, kthvalue, mode, quantile,
nanquantile and msort are differentiable (sort and gather, or a gather at indices found in
numpy); unique, unique_consecutive, bincount, histc, histogram, searchsorted, bucketize and
isin give counts, positions or masks and are computed in numpy. Where torch leaves the index
among equal values to its unstable sorts, glia takes a stable sort's (mode: the last
occurrence), so indices are reproducible; the values are torch's."""
import collections
import math
import numbers

import numpy as np

from glia import _C
from glia._C import Tensor
from glia._math import lerp
from glia._shapes import _dim, _named
from glia._tensor import _method
from glia.autograd.function import Function

MedianResult = collections.namedtuple("MedianResult", ["values", "indices"])
NanmedianResult = collections.namedtuple("NanmedianResult", ["values", "indices"])
KthvalueResult = collections.namedtuple("KthvalueResult", ["values", "indices"])
ModeResult = collections.namedtuple("ModeResult", ["values", "indices"])
HistogramResult = collections.namedtuple("HistogramResult", ["hist", "bin_edges"])

_FLOATS = (_C.dtype.float32, _C.dtype.float64)
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


# ---- local tools ----

def _check(t, op, dtypes=None, what="", name="input"):
    """`t` is a tensor (of one of `dtypes`, described by `what`)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a tensor, got {type(t).__name__}")
    if dtypes is not None and t.dtype not in dtypes:
        raise TypeError(f"{op}: {name} must be {what}, got {t.dtype}")


def _np(t):
    return t.detach().numpy()


def _tensor(a, dtype=None):
    """A numpy array (0-d too) as a new glia tensor."""
    return _C.from_numpy(np.array(a, dtype=dtype, order="C"))


def _along(input, dim, op):
    """`input` (a 0-d one as shape (1,), as torch reduces it) and `dim` wrapped into it."""
    x = _C.reshape(input, [1]) if input.dim() == 0 else input
    d = _dim(dim, x.dim(), op)
    if x.shape[d] == 0:
        raise IndexError(f"{op}: cannot reduce over dim {dim} of size 0 (input shape "
                         f"{tuple(input.shape)})")
    return x, d


def _reduced(t, input, d, keepdim):
    """`t`, which has size 1 at d, with that dim dropped unless keepdim (0-d in, 0-d out)."""
    if input.dim() == 0:
        return _C.reshape(t, [])
    return t if keepdim else _C.squeeze(t, d)


def _stable_order(a, d):
    """np.argsort along d, stable, NaN last: among equal values the earlier index first."""
    return np.argsort(a, d, kind="stable")


def _mode_index(a, d):
    """Per row along d, the index of the last occurrence of the most frequent value (the
    smallest such value on a tie; each NaN counts alone)."""
    rows = np.moveaxis(a, d, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    out = np.empty(flat.shape[0], np.int64)
    for r, row in enumerate(flat):
        order = np.argsort(row, kind="stable")
        s = row[order]
        start = np.concatenate([[True], s[1:] != s[:-1]])  # NaN != NaN: each its own run
        starts = np.flatnonzero(start)
        lengths = np.diff(np.append(starts, s.size))
        best = np.argmax(lengths)  # the first longest run: the smallest value
        out[r] = order[starts[best] + lengths[best] - 1]  # its last occurrence
    return np.moveaxis(out.reshape(rows.shape[:-1] + (1,)), -1, d)


def _result_dtype(*operands):
    """torch.result_type of tensors and Python numbers, as a numpy dtype."""
    # the highest kind (bool < int < float) wins; within it dimensioned tensors outrank 0-d
    # ones, which outrank numbers (a Python float counts as float32)
    found = []
    for x in operands:
        if isinstance(x, Tensor):
            found.append((np.dtype(_np(x).dtype), 2 if x.dim() else 1))
        else:
            dt = bool if isinstance(x, bool) else np.int64 if isinstance(x, numbers.Integral) \
                else np.float32
            found.append((np.dtype(dt), 0))
    kind = max("bif".index(dt.kind) for dt, _ in found)
    found = [(dt, rank) for dt, rank in found if "bif".index(dt.kind) == kind]
    rank = max(r for _, r in found)
    return max((dt for dt, r in found if r == rank), key=lambda dt: dt.itemsize)


def _bisect(seq, values, right, start=None, end=None):
    """Per row, the first position in [start, end) of seq (B, n) whose entry is > (right) or
    >= each of values (B, m): torch's bisection step by step, so NaN or unsorted entries
    give torch's answer too."""
    n = seq.shape[-1]
    start = np.zeros(values.shape, np.int64) if start is None else start
    end = np.full(values.shape, n, np.int64) if end is None else end
    while True:
        active = start < end
        if not active.any():
            return start
        mid = start + (end - start) // 2
        entry = np.take_along_axis(seq, np.minimum(mid, n - 1), axis=-1)
        after = ~(entry > values) if right else ~(entry >= values)  # NaN entries: go right
        start = np.where(active & after, mid + 1, start)
        end = np.where(active & ~after, mid, end)


def _linspace(lo, hi, steps, dtype):
    """torch.linspace in `dtype`, from both ends toward the middle."""
    # torch's CPU kernel is built with start + step * i fused into one multiply-add: done here
    # in a wider type and rounded once (histogram counts values on an edge by it)
    lo, hi = dtype.type(lo), dtype.type(hi)
    step = (hi - lo) / dtype.type(steps - 1)
    wide = np.float64 if dtype == np.float32 else np.longdouble
    i = np.arange(steps)
    lo_w, hi_w, step_w = wide(lo), wide(hi), wide(step)
    return np.where(i < steps // 2, lo_w + step_w * i.astype(wide),
                    hi_w - step_w * (steps - 1 - i).astype(wide)).astype(dtype)


# ---- order statistics ----

class _SpreadEvenly(Function):
    """`value`, whose gradient goes in equal shares to the elements of `flat` equal to it (the
    NaNs when it is NaN), as for torch's median() and nanmedian()."""

    @staticmethod
    def forward(ctx, flat, value):
        mask = _C.isnan(flat) if math.isnan(value.item()) else _C.eq(flat, value)
        ctx.save_for_backward(mask)
        return _C.clone(value)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        share = _C.div(grad, _C.sum(mask).to(grad.dtype))
        return _C.where(mask, share, _C.zeros([], grad.dtype)), None


def _median_position(a, d, ignore_nan):
    """Where each row's median sits in its stable ascending sort along d (NaN last)."""
    # the lower middle; for median the first NaN if any; for nanmedian the lower middle of
    # the non-NaN values, or 0
    n = a.shape[d]
    nans = np.isnan(a).sum(d, keepdims=True) if a.dtype.kind == "f" else \
        np.zeros(a.shape[:d] + (1,) + a.shape[d + 1:], np.int64)
    if ignore_nan:
        return np.maximum((n - nans - 1) // 2, 0)
    return np.where(nans > 0, n - nans, (n - 1) // 2)


def _median(op, input, dim, keepdim, ignore_nan):
    _check(input, op, (_C.dtype.int64,) + _FLOATS, "int64, float32 or float64")
    if dim is None:
        flat = _C.reshape(input, [-1])
        if flat.numel() == 0:
            if input.dtype not in _FLOATS:
                raise ValueError(f"{op}: an empty int64 tensor has no median")
            return _C.full([], math.nan, input.dtype)  # as torch
        values = _C.sort(flat, 0, False)[0]
        pos = int(_median_position(_np(flat), 0, ignore_nan)[0])
        value = _C.select(values, 0, pos).detach()
        return _SpreadEvenly.apply(flat, value) if input.dtype in _FLOATS else value
    x, d = _along(input, dim, op)
    a = _np(x)
    pos = _median_position(a, d, ignore_nan)
    # among equal values, the index of the first in a stable sort (NaN last)
    index = _tensor(np.take_along_axis(_stable_order(a, d), pos, d))
    return (_reduced(_C.gather(x, d, index), input, d, keepdim),
            _reduced(index, input, d, keepdim))


@_method
@_named
def median(input, dim=None, keepdim=False):
    """The lower median of all elements, or (values, indices) along dim; NaN if any."""
    out = _median("median", input, dim, keepdim, False)
    return out if dim is None else MedianResult(*out)


@_method
@_named
def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaN: NaN only where every value is NaN."""
    out = _median("nanmedian", input, dim, keepdim, True)
    return out if dim is None else NanmedianResult(*out)


@_method
@_named
def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest (k from 1) along dim, NaN counted largest; among
    equal values, the index is the k-th of a stable sort."""
    _check(input, "kthvalue", (_C.dtype.int64,) + _FLOATS, "int64, float32 or float64")
    if not isinstance(k, numbers.Integral) or isinstance(k, bool):
        raise TypeError(f"kthvalue: k must be an int, got {k!r}")
    x, d = _along(input, dim, "kthvalue")
    n = x.shape[d]
    if not 1 <= k <= n:
        raise ValueError(f"kthvalue: k={k} is out of range for dim {dim} of size {n} "
                         f"(expected 1 <= k <= {n})")
    # among equal values, the index of the k-th in a stable sort (torch leaves it open)
    a = _np(x)
    index = _tensor(np.take_along_axis(_stable_order(a, d), np.full_like(
        np.take(a, [0], d), k - 1, dtype=np.int64), d))
    return KthvalueResult(_reduced(_C.gather(x, d, index), input, d, keepdim),
                          _reduced(index, input, d, keepdim))


@_method
@_named
def mode(input, dim=-1, keepdim=False):
    """(values, indices) of the most frequent value along dim (the smallest on a tie), the
    index being its last occurrence."""
    _check(input, "mode")
    x, d = _along(input, dim, "mode")
    index = _tensor(_mode_index(_np(x), d))
    return ModeResult(_reduced(_C.gather(x, d, index), input, d, keepdim),
                      _reduced(index, input, d, keepdim))


def _q_values(op, q, dtype):
    """q as a 1-D numpy array in the input's dtype, and whether q was a scalar."""
    if isinstance(q, Tensor):
        if q.dim() > 1:
            raise ValueError(f"{op}: q must be a number or a 0-d or 1-D tensor, got shape "
                             f"{tuple(q.shape)}")
        if q.dtype != dtype:
            raise TypeError(f"{op}: a q tensor must have the input's dtype {dtype}, got "
                            f"{q.dtype}")
        qs, scalar = _np(q).reshape(-1), q.dim() == 0
    elif isinstance(q, numbers.Real) and not isinstance(q, bool):
        qs, scalar = np.array([float(q)]), True
    else:
        raise TypeError(f"{op}: q must be a float or a tensor, got {type(q).__name__}")
    bad = qs[~((qs >= 0) & (qs <= 1))]
    if bad.size:
        raise ValueError(f"{op}: q must be in [0, 1], got {bad[0].item()}")
    return qs.astype(np.float32 if dtype == _C.dtype.float32 else np.float64), scalar


def _quantile(op, input, q, dim, keepdim, interpolation, ignore_nan):
    _check(input, op, _FLOATS, "float32 or float64")
    qs, scalar = _q_values(op, q, input.dtype)
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{op}: interpolation must be one of {', '.join(_INTERPOLATIONS)}, "
                         f"got {interpolation!r}")
    if input.numel() == 0:
        raise ValueError(f"{op}: input must be non-empty, got shape {tuple(input.shape)}")
    if dim is None:
        x, shape = _C.reshape(input, [-1]), [1] * input.dim() if keepdim else []
    else:
        x, d = _along(input, dim, op)
        shape = list(input.shape)
        if input.dim():  # torch keeps no dim for a 0-d input, whatever keepdim says
            shape[d:d + 1] = [1] if keepdim else []
        x = _C.movedim(x, d, -1)
    ordered = _C.gather(x, -1, _tensor(_stable_order(_np(x), -1)))  # (*rows, n), NaN last
    a = _np(ordered)
    dt, n = a.dtype.type, a.shape[-1]
    # ranks in the input's dtype, as torch computes them: q * (count - 1)
    if ignore_nan:
        count = (~np.isnan(a)).sum(-1, keepdims=True)
        ranks = np.maximum(qs * (count - 1).astype(dt), 0).astype(dt)
    else:  # a row with a NaN takes its last entry, a NaN
        ranks = np.where(np.isnan(a).any(-1, keepdims=True), dt(n - 1), qs * dt(n - 1))
    ranks = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}.get(
        interpolation, lambda r: r)(ranks).astype(dt)  # np.round halves to even, as torch
    below = ranks.astype(np.int64)
    out = _C.gather(ordered, -1, _tensor(below))
    if interpolation in ("linear", "midpoint"):
        weight = np.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        above = _C.gather(ordered, -1, _tensor(np.ceil(ranks).astype(np.int64)))
        out = lerp(out, above, _tensor(weight.astype(dt)))
    out = _C.reshape(_C.movedim(out, -1, 0), [len(qs)] + shape)
    return _C.select(out, 0, 0) if scalar else out


@_method
@_named
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles (q a float, or a 1-D tensor that adds a leading dim) of all
    elements or along dim; NaN if any."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


@_method
@_named
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile ignoring NaN: NaN only where every value is NaN."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


@_method
@_named
def msort(input):
    """`input` sorted along dim 0 (values only)."""
    _check(input, "msort")
    if not input.dim():
        return _C.clone(input)
    return _C.gather(input, 0, _tensor(_stable_order(_np(input), 0)))


# ---- unique ----

def _sort_order(keys, rows):
    """A stable order of `keys` (1-D, or the rows of a 2-D array, lexicographically)."""
    return np.lexsort(keys.T[::-1]) if rows else np.argsort(keys, kind="stable")


def _unique(op, input, return_inverse, return_counts, dim, consecutive):
    _check(input, op)
    a = _np(input)
    if dim is None:
        keys, inverse_shape = a.reshape(-1), a.shape
    else:
        d = _dim(dim, a.ndim, op)
        zero = [i for i, s in enumerate(a.shape) if s == 0]
        if len(zero) > 1 or zero not in ([], [d]):
            raise ValueError(f"{op}: shape {a.shape} has a zero-sized dim other than dim {dim}, "
                             "so its slices cannot be told apart")
        cols = math.prod(a.shape[:d] + a.shape[d + 1:])
        keys, inverse_shape = np.moveaxis(a, d, 0).reshape(a.shape[d], cols), (a.shape[d],)
    m = keys.shape[0]
    order = np.arange(m) if consecutive else _sort_order(keys, dim is not None)
    s = keys[order]
    differs = s[1:] != s[:-1]  # NaN differs from NaN, as torch
    start = np.concatenate([[True], differs.any(1) if dim is not None else differs])[:m]
    if dim is None:
        out = s[start]
    else:
        out = np.moveaxis(np.moveaxis(a, d, 0)[order[start]], 0, d)
    result = [_tensor(out)]
    if return_inverse:
        inverse = np.empty(m, np.int64)
        inverse[order] = np.cumsum(start) - 1
        result.append(_tensor(inverse.reshape(inverse_shape)))
    if return_counts:
        result.append(_tensor(np.diff(np.append(np.flatnonzero(start), m)), np.int64))
    return result[0] if len(result) == 1 else tuple(result)


@_method
@_named
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (or slices along dim), sorted (also for sorted=False, as torch on
    the CPU), then if asked the inverse indices and counts. Every NaN is distinct."""
    return _unique("unique", input, return_inverse, return_counts, dim, False)


@_method
@_named
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """`input` (or its slices along dim) with runs of equal neighbours collapsed to one, then
    if asked the inverse indices and run lengths."""
    return _unique("unique_consecutive", input, return_inverse, return_counts, dim, True)


# ---- counting ----

@_method
@_named
def bincount(input, weights=None, minlength=0):
    """How often each value of the 1-D non-negative int64 `input` occurs (or the sum of its
    `weights`: float32 for float32 weights, else float64)."""
    _check(input, "bincount", (_C.dtype.int64,), "int64")
    if input.dim() != 1:
        raise ValueError(f"bincount: input must be 1-D, got shape {tuple(input.shape)}")
    if not isinstance(minlength, numbers.Integral) or minlength < 0:
        raise ValueError(f"bincount: minlength must be a non-negative int, got {minlength!r}")
    a = _np(input)
    if a.size and a.min() < 0:
        raise ValueError(f"bincount: input must be non-negative, got {a.min()}")
    if weights is not None:
        _check(weights, "bincount", name="weights")
        if tuple(weights.shape) != a.shape:
            raise ValueError(f"bincount: weights must be 1-D and as long as input "
                             f"({a.size}), got shape {tuple(weights.shape)}")
    if weights is None or a.size == 0:  # torch gives int64 zeros for an empty input
        return _tensor(np.bincount(a, minlength=minlength), np.int64)
    dtype = np.float32 if weights.dtype == _C.dtype.float32 else np.float64
    out = np.zeros(max(minlength, a.max() + 1), dtype)
    np.add.at(out, a, _np(weights).astype(dtype))  # in order, in dtype, as torch adds
    return _tensor(out)


def _check_bins(op, bins):
    if not isinstance(bins, numbers.Integral) or isinstance(bins, bool) or bins <= 0:
        raise ValueError(f"{op}: bins must be a positive int, got {bins!r}")


@_method
@_named
def histc(input, bins=100, min=0, max=0):
    """Counts in `bins` equal bins from min to max (the data's range if min == max); the last
    bin includes max, values outside and NaN are not counted."""
    _check(input, "histc", _FLOATS, "float32 or float64")
    _check_bins("histc", bins)
    a = _np(input).reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())  # NaN in the data gives a NaN range
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"histc: the range [{lo}, {hi}] is not finite")
    if lo > hi:
        raise ValueError(f"histc: max must be larger than min, got min={lo} and max={hi}")
    edges = _linspace(lo, hi, bins + 1, a.dtype)
    left, right = edges[0], edges[-1]
    x = a[(a >= left) & (a <= right)]
    # torch's bin: the scaled offset in the input's dtype, truncated; max joins the last bin
    pos = ((x - left) * a.dtype.type(bins) / (right - left)).astype(np.int64)
    hist = np.zeros(bins, a.dtype)
    np.add.at(hist, np.minimum(pos, bins - 1), 1)
    return _tensor(hist)


def _histogram_edges(a, bins, range):
    """The edges of `bins` equal bins over range, else the data's range, else [0, 1]."""
    if range is not None:
        if not isinstance(range, (tuple, list)) or len(range) != 2:
            raise TypeError(f"histogram: range must be a pair (min, max), got {range!r}")
        lo, hi = float(range[0]), float(range[1])
    else:
        lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 1.0)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"histogram: the range [{lo}, {hi}] is not finite")
    if lo > hi:
        raise ValueError(f"histogram: min should not exceed max, got min={lo} and max={hi}")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return _linspace(lo, hi, bins + 1, a.dtype)


@_method
@_named
def histogram(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges): counts (or summed weights) in `bins` equal bins over `range`, or
    between the edges in a 1-D `bins` tensor; density scales hist to integrate to 1."""
    _check(input, "histogram", _FLOATS, "float32 or float64")
    a = _np(input).reshape(-1)
    if isinstance(bins, Tensor):
        _check(bins, "histogram", (input.dtype,), f"of the input's dtype {input.dtype}", "bins")
        if range is not None:
            raise TypeError(f"histogram: range {range!r} cannot be given with a bins tensor, "
                            "whose ends are the range")
        if bins.dim() != 1 or bins.numel() < 2:
            raise ValueError(f"histogram: a bins tensor must be 1-D with at least 2 edges, got "
                             f"shape {tuple(bins.shape)}")
        edges = _np(bins).copy()
    else:
        _check_bins("histogram", bins)
        edges = _histogram_edges(a, bins, range)
    if weight is not None:
        _check(weight, "histogram", (input.dtype,), f"of the input's dtype {input.dtype}",
               "weight")
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError(f"histogram: weight must have the input's shape "
                             f"{tuple(input.shape)}, got {tuple(weight.shape)}")
    w = np.ones_like(a) if weight is None else _np(weight).reshape(-1)
    nbins = edges.size - 1
    keep = (a >= edges[0]) & (a <= edges[-1])
    x, w = a[keep], w[keep]
    if isinstance(bins, Tensor):
        start = end = None
    else:  # torch guesses the bin by scaling, then searches the edges around the guess
        guess = ((x - edges[0]) * a.dtype.type(nbins) / (edges[-1] - edges[0])).astype(np.int64)
        start, end = np.maximum(guess - 1, 0)[None], np.minimum(guess + 2, nbins + 1)[None]
    pos = _bisect(edges[None], x[None], True, start, end)[0] - 1
    hist = np.zeros(nbins, a.dtype)
    np.add.at(hist, np.minimum(pos, nbins - 1), w)
    if density:
        with np.errstate(invalid="ignore", divide="ignore"):  # nothing counted: NaN, as torch
            hist = hist / hist.sum() / np.diff(edges)
    return HistogramResult(_tensor(hist.astype(a.dtype)), _tensor(edges))


# ---- searching ----

def _no_int32(op, out_int32):
    if out_int32:
        raise TypeError(f"{op}: out_int32=True asks for int32 indices, but glia has no int32 "
                        "dtype; leave it False for int64 indices")


def _scalar(op, value, name):
    if not isinstance(value, numbers.Number) or isinstance(value, complex):
        raise TypeError(f"{op}: {name} must be a tensor or a real number, got "
                        f"{type(value).__name__}")


def _search(op, seq, values, right, sorter=None):
    """searchsorted's work, with errors named after `op`."""
    _check(seq, op, (_C.dtype.int64,) + _FLOATS, "int64, float32 or float64",
           "sorted_sequence" if op == "searchsorted" else "boundaries")
    if seq.dim() == 0:
        raise ValueError(f"{op}: sorted_sequence must have at least 1 dim, got a 0-d tensor")
    if isinstance(values, Tensor):
        v = _np(values)
        if seq.dim() > 1 and tuple(seq.shape[:-1]) != v.shape[:-1]:
            raise ValueError(f"{op}: sorted_sequence of shape {tuple(seq.shape)} must be 1-D or "
                             f"match the values' leading dims, got values of shape {v.shape}")
    else:
        _scalar(op, values, "values")
        if seq.dim() != 1:
            raise ValueError(f"{op}: a scalar value needs a 1-D sorted_sequence, got shape "
                             f"{tuple(seq.shape)}")
        v = np.asarray(values)
    dtype = _result_dtype(seq, values)
    s, v = _np(seq).astype(dtype), v.astype(dtype)
    if sorter is not None:
        _check(sorter, op, (_C.dtype.int64,), "int64", "sorter")
        if tuple(sorter.shape) != tuple(seq.shape):
            raise ValueError(f"{op}: sorter must have the shape {tuple(seq.shape)} of "
                             f"sorted_sequence, got {tuple(sorter.shape)}")
        order = _np(sorter)
        if order.size and (order.min() < 0 or order.max() >= s.shape[-1]):
            raise IndexError(f"{op}: sorter holds an index out of range [0, {s.shape[-1]}): "
                             f"{order.min() if order.min() < 0 else order.max()}")
        s = np.take_along_axis(s, order, -1)
    n = s.shape[-1]
    if seq.dim() == 1:
        rows_s, rows_v = s[None], v.reshape(1, v.size)
    else:
        rows_s = s.reshape(-1, n)
        rows_v = v.reshape(rows_s.shape[0], v.shape[-1])
    return _tensor(_bisect(rows_s, rows_v, right).reshape(v.shape), np.int64)


@_named
def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where each of `values` would go in the sorted last dim of `sorted_sequence`: before
    equal entries, or after them with right=True or side='right'."""
    _no_int32("searchsorted", out_int32)
    if side not in (None, "left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if right and side == "left":
        raise ValueError("searchsorted: side='left' and right=True contradict each other")
    return _search("searchsorted", sorted_sequence, values, right or side == "right", sorter)


@_named
def bucketize(input, boundaries, *, out_int32=False, right=False):
    """For each of `input`, the i with boundaries[i-1] < x <= boundaries[i] (<= x < with
    right=True) in the sorted 1-D `boundaries`."""
    _no_int32("bucketize", out_int32)
    _check(boundaries, "bucketize", name="boundaries")
    if boundaries.dim() != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape "
                         f"{tuple(boundaries.shape)}")
    return _search("bucketize", boundaries, input, right)


@_named
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each of `elements` is in `test_elements` (either may be a number; NaN never is).
    assume_unique changes nothing: the answer is the same either way."""
    if not (isinstance(elements, Tensor) or isinstance(test_elements, Tensor)):
        raise TypeError("isin: elements or test_elements must be a tensor, got "
                        f"{type(elements).__name__} and {type(test_elements).__name__}")
    arrays = []
    for name, x in (("elements", elements), ("test_elements", test_elements)):
        if isinstance(x, Tensor):
            arrays.append(_np(x))
        else:
            _scalar("isin", x, name)
            arrays.append(np.asarray(x))
        if arrays[-1].dtype == np.bool_:
            raise TypeError(f"isin: bool {name} are not supported, as torch")
    dtype = _result_dtype(elements, test_elements)
    found = np.isin(arrays[0].astype(dtype), arrays[1].astype(dtype), invert=invert)
    return _tensor(found, np.bool_)
