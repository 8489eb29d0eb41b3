"""Writing values into a tensor at given positions, as torch: scatter (and its in-place form),
scatter_reduce, index_fill, index_copy, masked_scatter and put. scatter and scatter_reduce
run in C++; the others are built from where, index_add and scatter, so they are
differentiable."""
import numbers

from glia import _C
from glia._C import Tensor
from glia._inplace import _inplace
from glia._tensor import _method


def _dim(dim, ndim, op):
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a {ndim}-d tensor")
    return dim % max(ndim, 1)


def _index_1d(index, n, op):
    if not isinstance(index, Tensor) or index.dtype != _C.dtype.int64:
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise TypeError(f"{op}: index must be an int64 tensor, got {got}")
    if index.dim() > 1:
        raise ValueError(f"{op}: index must be 0-d or 1-d, got shape {tuple(index.shape)}")
    return index.reshape(-1)


def _dim_mask(x, dim, index, op):
    """A bool tensor, broadcastable to x, that is True at the listed positions along dim."""
    d = _dim(dim, x.dim(), op)
    n = x.shape[d] if x.dim() else 1
    flat = _index_1d(index, n, op)
    mask = _C._scatter(_C.zeros([n], _C.dtype.bool), 0, flat, True)
    shape = [1] * x.dim()
    if x.dim():
        shape[d] = n
    return mask.reshape(shape), d, flat


@_method
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """input with src (a tensor, or a number as `value`) written at index along dim, as
    torch.scatter; reduce='add' or 'multiply' combines instead of overwriting."""
    if isinstance(src, numbers.Number) and value is None:
        value, src = src, None  # scatter(x, dim, index, 2.5), as torch accepts
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of src (a tensor) and value (a number)")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        if src is None:
            src = _C.full(list(index.shape), value, input.dtype)
        mode = "sum" if reduce == "add" else "prod"
        return _C.scatter_reduce(input, dim, index, src, mode)
    if src is None:
        return _C._scatter(input, dim, index, value)
    return _C._scatter(input, dim, index, src)


@_method
def index_fill(input, dim, index, value):
    """input with `value` (a number or 0-d tensor) at the listed positions along dim."""
    mask, _, _ = _dim_mask(input, dim, index, "index_fill")
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise ValueError(f"index_fill: value must be a number or a 0-d tensor, got shape "
                             f"{tuple(value.shape)}")
        value = value.to(input.dtype)
    else:
        value = _C.full([], value, input.dtype)
    return _C.where(mask, value, input)


@_method
def index_copy(input, dim, index, source):
    """input with the slices of source copied to the listed positions along dim."""
    mask, d, flat = _dim_mask(input, dim, index, "index_copy")
    placed = _C.index_add(_C.zeros(list(input.shape), input.dtype), d, flat, source)
    return _C.where(mask, placed, input)


@_method
def masked_scatter(input, mask, source):
    """input with the elements of source, in order, at the True positions of mask."""
    if not isinstance(mask, Tensor) or mask.dtype != _C.dtype.bool:
        raise TypeError("masked_scatter: mask must be a bool tensor")
    mask = mask.expand(*input.shape) if tuple(mask.shape) != tuple(input.shape) else mask
    positions = _C.nonzero(mask.reshape(-1)).reshape(-1)
    k = positions.shape[0]
    if source.numel() < k:
        raise ValueError(f"masked_scatter: mask has {k} True elements but source has only "
                         f"{source.numel()}")
    values = _C.narrow(source.reshape(-1), 0, 0, k).to(input.dtype)
    placed = _C.index_add(_C.zeros([input.numel()], input.dtype), 0, positions, values)
    return _C.where(mask, placed.reshape(list(input.shape)), input)


@_method
def put(input, index, source, accumulate=False):
    """input seen as 1-d, with source written (or added, with accumulate) at index."""
    flat = input.reshape(-1)
    if not isinstance(index, Tensor) or index.dtype != _C.dtype.int64:
        raise TypeError("put: index must be an int64 tensor")
    if tuple(index.shape) != tuple(source.shape):
        raise ValueError(f"put: index of shape {tuple(index.shape)} and source of shape "
                         f"{tuple(source.shape)} must match")
    idx = index.reshape(-1)
    n = flat.shape[0]
    if idx.numel() and (_C.amax(idx).item() >= n or _C.amin(idx).item() < -n):
        raise IndexError(f"put: index out of range for a tensor of {n} elements")
    idx = _C.where(_C.lt(idx, 0), _C.add(idx, n), idx)  # negative counts from the end
    src = source.reshape(-1).to(input.dtype)
    out = _C.index_add(flat, 0, idx, src) if accumulate else _C._scatter(flat, 0, idx, src)
    return out.reshape(list(input.shape))


scatter_reduce = _C.scatter_reduce

for _name in ("scatter", "scatter_reduce", "index_fill", "index_copy", "masked_scatter", "put"):
    setattr(Tensor, _name + "_", _inplace(_name))
del _name
