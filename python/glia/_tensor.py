"""Tensor methods whose PyTorch signatures are easiest to accept in Python: varargs shapes,
indexing, conversions and repr. Hot arithmetic stays in C++ (python/src/ops.cpp)."""
import builtins
import collections
import copy
import numbers

import numpy as np

from glia import _C
from glia._C import Tensor
from glia import _write_history
from glia._creation import _dtype, _size

MaxResult = collections.namedtuple("MaxResult", ["values", "indices"])
MinResult = collections.namedtuple("MinResult", ["values", "indices"])
SortResult = collections.namedtuple("SortResult", ["values", "indices"])
TopkResult = collections.namedtuple("TopkResult", ["values", "indices"])
CummaxResult = collections.namedtuple("CummaxResult", ["values", "indices"])
CumminResult = collections.namedtuple("CumminResult", ["values", "indices"])


def _method(fn):
    setattr(Tensor, fn.__name__, fn)
    return fn


# ---- shapes ----

def reshape(input, *shape):
    """A tensor with the same data and a new shape (a view when possible; -1 is inferred)."""
    return _C.reshape(input, _size(shape, "reshape"))


def squeeze(input, dim=None):
    """Removes size-1 dims (all, or those in `dim`)."""
    return _C.squeeze(input, dim)


def split(tensor, split_size_or_sections, dim=0):
    """Splits into chunks of a size, or of the listed sizes, along `dim` (views)."""
    return tuple(_C.split(tensor, split_size_or_sections, dim))


def broadcast_shapes(*shapes):
    """The shape that all `shapes` broadcast to."""
    out = []
    for s in shapes:
        out = _C.broadcast_shapes(out, list(s))
    return tuple(out)


Tensor.reshape = reshape
Tensor.squeeze = squeeze
Tensor.split = split


@_method
def view(self, *shape):
    """A view with a new shape; raises if the strides do not allow it (use reshape)."""
    if len(shape) == 1 and isinstance(shape[0], _C.dtype):
        raise TypeError("view: reinterpreting dtypes is not supported; use .to(dtype)")
    return _C.view(self, _size(shape, "view"))


@_method
def expand(self, *sizes):
    """A broadcast view with `sizes` (-1 keeps a dim)."""
    return _C.expand(self, _size(sizes, "expand"))


@_method
def broadcast_to(self, size):
    return _C.expand(self, list(size))


@_method
def expand_as(self, other):
    return _C.expand(self, list(other.shape))


@_method
def view_as(self, other):
    return _C.view(self, list(other.shape))


@_method
def reshape_as(self, other):
    return _C.reshape(self, list(other.shape))


@_method
def permute(self, *dims):
    """A view with dims reordered."""
    return _C.permute(self, _size(dims, "permute"))


@_method
def repeat(self, *sizes):
    """Tiles the tensor `sizes[i]` times along each dim (a copy)."""
    sizes = _size(sizes, "repeat")
    if len(sizes) < self.dim():
        raise ValueError(f"repeat: got {len(sizes)} repeats for a {self.dim()}-d tensor")
    x = self.reshape((1,) * (len(sizes) - self.dim()) + tuple(self.shape))
    expanded, final = [], []
    for r, s in zip(sizes, x.shape):
        expanded += [r, s]
        final.append(r * s)
    inter = []
    for r, s in zip(sizes, x.shape):
        inter += [1, s]
    return _C.reshape(_C.expand(_C.reshape(x, inter), expanded), final)


@_method
def tile(self, *dims):
    """Repeats the tensor dims[i] times along each dim; fewer dims than the tensor has are
    padded with ones in front (unlike repeat)."""
    dims = _size(dims, "tile")
    return repeat(self, *((1,) * (self.dim() - len(dims)) + tuple(dims)))


@_method
def repeat_interleave(self, repeats, dim=None):
    """Each element (slice along `dim`) repeated `repeats` times in place: [a, b] -> [a, a, b, b].
    repeats: an int, or an int64 tensor with one count per slice (or a single count). Without
    dim, the flattened tensor."""
    x = self.reshape(-1) if dim is None else self
    dim = 0 if dim is None else dim
    if x.dim() == 0:
        x = x.reshape(1)
    if not -x.dim() <= dim < x.dim():
        raise IndexError(f"repeat_interleave: dim {dim} is out of range for a {x.dim()}-d tensor")
    dim %= x.dim()
    n = x.shape[dim]
    if isinstance(repeats, Tensor):
        if repeats.dtype != _C.dtype.int64 or repeats.dim() > 1:
            raise ValueError("repeat_interleave: repeats must be an int or a 0-d or 1-d int64 "
                             f"tensor, got {repeats.dtype} of shape {tuple(repeats.shape)}")
        counts = repeats.numpy().reshape(-1)
        if counts.size == 1:
            counts = np.full(n, counts[0])
        if counts.size != n or (counts < 0).any():
            raise ValueError(f"repeat_interleave: repeats must be {n} non-negative counts (the size "
                             f"of dim {dim}), got {counts.tolist()}")
        index = np.repeat(np.arange(n), counts)
        return _C.index_select(x, dim, _C.from_numpy(np.ascontiguousarray(index, np.int64)))
    if not isinstance(repeats, numbers.Integral) or isinstance(repeats, bool) or repeats < 0:
        raise ValueError(f"repeat_interleave: repeats must be a non-negative int, got {repeats!r}")
    shape = list(x.shape)
    inserted = _C.unsqueeze(x, dim + 1)
    wide = shape[:dim + 1] + [int(repeats)] + shape[dim + 1:]
    return _C.reshape(_C.expand(inserted, wide), shape[:dim] + [n * int(repeats)] + shape[dim + 1:])


@_method
def trace(self):
    """The sum of the main diagonal of a 2-D tensor."""
    if self.dim() != 2:
        raise ValueError(f"trace: expects a 2-D tensor, got shape {tuple(self.shape)}")
    rows, cols = self.shape
    k = builtins.min(rows, cols)
    if k == 0:
        return self.sum()
    index = _C.from_numpy(np.arange(k, dtype=np.int64).reshape(k, 1))
    return _C.gather(self[:k], 1, index).sum()


@_method
def chunk(self, chunks, dim=0):
    return tuple(_C.chunk(self, chunks, dim))


@_method
def unbind(self, dim=0):
    """The slices along `dim`, as a tuple of views."""
    return tuple(_C.select(self, dim, i) for i in range(self.shape[dim]))


@_method
def t(self):
    if self.dim() > 2:
        raise ValueError(f"t: expects a tensor with <= 2 dims, got shape {self.shape}")
    return self if self.dim() < 2 else _C.transpose(self, 0, 1)


Tensor.T = property(lambda self: _C.permute(self, list(range(self.dim() - 1, -1, -1))))
Tensor.mT = property(lambda self: _C.transpose(self, -2, -1))


# ---- reductions with PyTorch's overloads ----

def max(input, dim=None, keepdim=False, *, other=None):
    """max(x) -> the largest value; max(x, dim) -> (values, indices); max(x, y) -> maximum."""
    if isinstance(dim, Tensor):
        return _C.maximum(input, dim)
    if other is not None:
        return _C.maximum(input, other)
    if dim is None:
        return _C.amax(input)
    return MaxResult(*_C.max_dim(input, dim, keepdim))


def min(input, dim=None, keepdim=False, *, other=None):
    """min(x) -> the smallest value; min(x, dim) -> (values, indices); min(x, y) -> minimum."""
    if isinstance(dim, Tensor):
        return _C.minimum(input, dim)
    if other is not None:
        return _C.minimum(input, other)
    if dim is None:
        return _C.amin(input)
    return MinResult(*_C.min_dim(input, dim, keepdim))


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) along dim in ascending (or descending) order. The sort is always
    stable (equal values keep their order), so `stable` changes nothing; NaN sorts as the
    largest value."""
    return SortResult(*_C.sort(input, dim, descending))


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort `input` along dim (see sort)."""
    return _C.argsort(input, dim, descending)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (or smallest) along dim, largest (smallest) first
    whatever `sorted` says; ties keep the lower index first."""
    return TopkResult(*_C.topk(input, k, dim, largest))


def cummax(input, dim):
    """(running maximum along dim, index of each running maximum: the latest on ties)."""
    return CummaxResult(*_C._cummax(input, dim))


def cummin(input, dim):
    """(running minimum along dim, index of each running minimum: the latest on ties)."""
    return CumminResult(*_C._cummin(input, dim))


Tensor.cummax = cummax
Tensor.cummin = cummin
Tensor.max = max
Tensor.min = min
Tensor.sort = sort
Tensor.argsort = argsort
Tensor.topk = topk
Tensor.clip = Tensor.clamp


# ---- dtype conversion ----

@_method
def to(self, *args, dtype=None, **kwargs):
    """Converts dtype: x.to(glia.float64), x.to(other_tensor); 'cpu' is accepted and kept."""
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, str):
            if a != "cpu":
                raise RuntimeError(f"to: device {a!r} is not available; glia was built for the CPU")
        else:
            dtype = a
    device = kwargs.pop("device", None)
    if device not in (None, "cpu"):
        raise RuntimeError(f"to: device {device!r} is not available; glia was built for the CPU")
    dtype = _dtype(dtype)
    return self if dtype is None or dtype == self.dtype else _C.to_dtype(self, dtype)


def _converter(name, dt):
    def convert(self):
        return self if self.dtype == dt else _C.to_dtype(self, dt)

    convert.__name__ = name
    setattr(Tensor, name, convert)


_converter("float", _C.dtype.float32)
_converter("double", _C.dtype.float64)
_converter("long", _C.dtype.int64)
_converter("int", _C.dtype.int64)
_converter("bool", _C.dtype.bool)


@_method
def type_as(self, other):
    return self.to(other.dtype)


@_method
def is_floating_point(self):
    return self.dtype.is_floating_point


@_method
def element_size(self):
    return self.dtype.itemsize


@_method
def cpu(self):
    return self


Tensor.nelement = Tensor.numel


@_method
def __deepcopy__(self, memo):
    """A detached copy of the data that keeps requires_grad and the subclass (Parameter)."""
    if id(self) in memo:
        return memo[id(self)]
    data = _C.clone(_C.detach(self))
    cls = type(self)
    if cls is Tensor:
        new = data
    else:
        new = cls.__new__(cls)
        Tensor.__init__(new, data)
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
    if self.requires_grad:
        new.requires_grad_(True)
    memo[id(self)] = new
    return new


@_method
def tolist(self):
    """The values as (nested) Python lists of numbers."""
    return self.detach().numpy().tolist()


@_method
def __float__(self):
    return builtins.float(self.item())


@_method
def __int__(self):
    return builtins.int(self.item())


@_method
def __index__(self):
    if self.dtype != _C.dtype.int64 or self.numel() != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return self.item()


@_method
def __bool__(self):
    if self.numel() != 1:
        raise RuntimeError(f"Boolean value of a tensor with {self.numel()} values is ambiguous")
    return builtins.bool(self.item())


@_method
def __repr__(self):
    arr = self.detach().numpy()
    # like torch: "1., 2." when every value is whole, otherwise four decimals for all
    whole = arr.dtype.kind != "f" or not np.isfinite(arr).all() or (arr == np.round(arr)).all()
    body = np.array2string(arr, separator=", ", prefix="tensor(", precision=4,
                           floatmode="maxprec" if whole else "fixed")
    extras = []
    if self.dtype == _C.dtype.float64 or (arr.size == 0 and self.dtype != _C.dtype.float32):
        extras.append(f"dtype={self.dtype!r}")
    if self.grad_fn is not None:
        extras.append(f"grad_fn=<{self.grad_fn}>")
    elif self.requires_grad:
        extras.append("requires_grad=True")
    if arr.size == 0:
        extras.insert(0, f"size={tuple(self.shape)}")
        body = "[]"
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


Tensor.__str__ = lambda self: self.__repr__()  # so subclasses' __repr__ (Parameter) is used


@_method
def __iter__(self):
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (_C.select(self, 0, i) for i in range(self.shape[0]))


@_method
def __contains__(self, value):
    return builtins.bool(_C.any(_C.eq(self, value)).item())


# ---- indexing ----

def _is_scalar_index(k):
    """A plain integer, or a 0-d integer array/tensor: selects one position."""
    if isinstance(k, (numbers.Integral, np.integer)):
        return True
    if isinstance(k, np.ndarray):
        return k.ndim == 0 and k.dtype.kind in "iu"
    return isinstance(k, Tensor) and k.dim() == 0 and k.dtype == _C.dtype.int64


def _is_index_tensor(obj):
    return isinstance(obj, (Tensor, np.ndarray, list)) and not isinstance(obj, builtins.bool)


def _parse(t, key):
    """Applies basic indexing (ints, slices, None, ...) as views and collects the advanced
    (tensor, list, mask) indices by the dim they index in the view."""
    if not isinstance(key, tuple):
        key = (key,)
    consumed = builtins.sum(
        (_as_index(k).dim() if (_is_index_tensor(k) and _as_index(k).dtype == _C.dtype.bool) else 1)
        for k in key if k is not None and k is not Ellipsis)
    if consumed > t.dim():
        raise IndexError(f"index: too many indices ({consumed}) for a tensor of shape {t.shape}")
    if builtins.sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("index: an index can only have a single ellipsis ('...')")
    advanced = {}
    dim = 0
    ndim = t.dim()  # the ellipsis spans the dims of the input the key leaves unnamed
    for k in key:
        if k is Ellipsis:
            dim += ndim - consumed
        elif isinstance(k, (builtins.bool, np.bool_)):
            # as PyTorch: True adds a new dim of size 1, False one of size 0
            t = _C.unsqueeze(t, dim)
            if not k:
                t = _C.slice(t, dim, 0, 0, 1)
            dim += 1
        elif k is None:
            t = _C.unsqueeze(t, dim)
            dim += 1
        elif isinstance(k, builtins.slice):
            start, stop, step = k.start, k.stop, k.step
            step = 1 if step is None else builtins.int(step)
            if step <= 0:
                raise ValueError("index: slice step must be positive")
            n = t.shape[dim]
            start = 0 if start is None else builtins.int(start)
            stop = n if stop is None else builtins.int(stop)
            t = _C.slice(t, dim, start, stop, step)
            dim += 1
        elif _is_scalar_index(k):
            i = builtins.int(k)
            n = t.shape[dim]
            if i < -n or i >= n:
                raise IndexError(f"index: index {i} is out of bounds for dim {dim} with size {n}")
            t = _C.select(t, dim, i)
        elif _is_index_tensor(k):
            idx = _as_index(k)
            if idx.dtype == _C.dtype.bool:
                mask_shape = tuple(t.shape[dim:dim + idx.dim()])
                if tuple(idx.shape) != mask_shape:
                    raise IndexError(f"index: boolean mask of shape {tuple(idx.shape)} does not "
                                     f"match the indexed dims {mask_shape}")
                coords = _C.nonzero(idx)
                for j in range(idx.dim()):
                    advanced[dim + j] = _C.select(coords, 1, j)
                dim += idx.dim()
            else:
                advanced[dim] = idx
                dim += 1
        else:
            raise TypeError(f"index: unsupported index of type {type(k).__name__}")
    return t, advanced


def _as_index(k):
    if isinstance(k, Tensor):
        if k.dtype not in (_C.dtype.int64, _C.dtype.bool):
            raise IndexError(f"index: tensors used as indices must be int64 or bool, got {k.dtype}")
        return k
    arr = np.asarray(k)
    if arr.dtype.kind == "b":
        return _C.from_numpy(np.array(arr, copy=True))
    if arr.dtype.kind in "iu" or arr.size == 0:
        return _C.from_numpy(np.array(arr, dtype=np.int64, copy=True))
    raise IndexError(f"index: indices must be integers or booleans, got {arr.dtype}")


@_method
def __getitem__(self, key):
    # x[i] and x[a:b] (loops over steps, slicing a batch) are one view: skip the general parse
    kind = type(key)
    if kind is builtins.int and self.dim() > 0:
        n = self.shape[0]
        if key < -n or key >= n:
            raise IndexError(f"index: index {key} is out of bounds for dim 0 with size {n}")
        return _C.select(self, 0, key)
    if kind is builtins.slice and self.dim() > 0 and (key.step is None or key.step == 1):
        n = self.shape[0]
        start = 0 if key.start is None else builtins.int(key.start)
        stop = n if key.stop is None else builtins.int(key.stop)
        return _C.slice(self, 0, start, stop, 1)
    view, advanced = _parse(self, key)
    if not advanced:
        return view
    return _C._index(view, [advanced.get(d) for d in range(builtins.max(advanced) + 1)])


@_method
def __setitem__(self, key, value):
    if not isinstance(value, Tensor):
        value = _C.scalar_tensor(value, self.dtype) if isinstance(value, numbers.Number) else \
            _C.from_numpy(np.array(value, copy=True))
    if _write_history.involves_grad(self, value):  # outputs[t] = h in a decoder loop
        _write_history.record_write(self, key, value, "index assignment")
        return
    view, advanced = _parse(_C.detach(self), key)
    if not advanced:
        view.copy_(value)
    else:
        view._index_put_([advanced.get(d) for d in range(builtins.max(advanced) + 1)], value)
