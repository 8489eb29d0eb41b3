"""Writing values into a tensor at given positions, as torch: scatter (and its in-place form),
scatter_reduce, index_fill, index_copy, masked_scatter, put and index_put. scatter and
scatter_reduce run in C++; the others are built from where, index_add and scatter, so they
are differentiable."""
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


def _leading_positions(input, indices, op):
    """The flat positions, over input's first k dims, that a tuple of k index tensors (int64,
    broadcast together; a bool mask stands for the int64 indices of its True elements)
    select, and k."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}: indices must be a tuple of tensors, got {type(indices).__name__}")
    per_dim = []
    for i in indices:
        if not isinstance(i, Tensor) or i.dtype not in (_C.dtype.int64, _C.dtype.bool):
            got = i.dtype if isinstance(i, Tensor) else type(i).__name__
            raise TypeError(f"{op}: indices must be int64 or bool tensors, got {got}")
        if i.dtype == _C.dtype.bool:  # one int64 index per dim the mask covers
            per_dim += [_C.select(_C.nonzero(i), 1, d) for d in range(i.dim())]
        else:
            per_dim.append(i)
    k = len(per_dim)
    if k == 0 or k > input.dim():
        raise IndexError(f"{op}: {k} indices for a tensor of shape {tuple(input.shape)}")
    shape = list(per_dim[0].shape)
    for i in per_dim[1:]:
        try:
            shape = _C.broadcast_shapes(shape, list(i.shape))
        except (ValueError, RuntimeError):
            raise ValueError(f"{op}: index shapes {[tuple(i.shape) for i in per_dim]} do not "
                             "broadcast together") from None
    flat = _C.zeros(list(shape), _C.dtype.int64)
    for d, i in enumerate(per_dim):
        n = input.shape[d]
        if i.numel() and (_C.amax(i).item() >= n or _C.amin(i).item() < -n):
            raise IndexError(f"{op}: index out of range for dim {d} of size {n} (shape "
                             f"{tuple(input.shape)})")
        i = _C.where(_C.lt(i, 0), _C.add(i, n), i)  # negative counts from the end
        flat = _C.add(_C.mul(flat, n), i)
    return flat, tuple(shape), k


@_method
def index_put(input, indices, values, accumulate=False):
    """input with values written (or added, with accumulate) at input[indices], as
    torch.index_put: indices is a tuple of index tensors for the leading dims; values
    broadcasts to the selection's shape. Differentiable in input and values."""
    flat, shape, k = _leading_positions(input, indices, "index_put")
    lead, rest = list(input.shape[:k]), list(input.shape[k:])
    rows = 1
    for n in lead:
        rows *= n
    cols = 1
    for n in rest:
        cols *= n
    if not isinstance(values, Tensor):
        values = _C.scalar_tensor(values, input.dtype)
    target = list(shape) + rest
    try:
        values = values.to(input.dtype).expand(*target)
    except (ValueError, RuntimeError):
        raise ValueError(f"index_put: values of shape {tuple(values.shape)} do not broadcast to "
                         f"the selection's shape {tuple(target)}") from None
    n = flat.numel()
    table = input.reshape([rows, cols])
    src = values.reshape([n, cols])
    idx = flat.reshape([n])
    if accumulate:
        out = _C.index_add(table, 0, idx, src)
    else:  # repeated positions: the last write wins, as torch on CPU
        out = _C._scatter(table, 0, idx.reshape([n, 1]).expand(n, cols), src)
    return out.reshape(list(input.shape))


scatter_reduce = _C.scatter_reduce

for _name in ("scatter", "scatter_reduce", "index_fill", "index_copy", "masked_scatter", "put",
              "index_put"):
    setattr(Tensor, _name + "_", _inplace(_name))
del _name
