"""Rearranging, joining and picking composites of glia's core ops (cat, narrow, flip, permute,
reshape, index_select, gather, einsum, ...), so autograd comes for free: roll, diff, the
diagonals, tensordot/kron/cross, the *stack and *split families, take/masked_select, triangle
indices, block_diag, rot90, Tensor.unfold and Tensor.new_*. Signatures follow PyTorch."""
import functools
import numbers
import string
import warnings

import numpy as np

from glia import _C, _creation
from glia._C import Tensor
from glia._creation import _dtype
from glia._tensor import _method


# ---- local tools ----

def _named(fn):
    """Errors raised inside `fn` by the core ops it calls get fn's name in front, so every
    message names the function the user called."""
    prefix = fn.__name__ + ":"

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError, IndexError) as e:
            if str(e).startswith(prefix):
                raise
            raise type(e)(f"{prefix} {e}") from None

    return wrapper


def _dim(dim, ndim, op):
    """`dim` wrapped into [0, ndim)."""
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -ndim <= dim < ndim:
        valid = f"expected in [{-ndim}, {ndim - 1}]" if ndim else "it has no dims"
        raise IndexError(f"{op}: dim {dim} is out of range for a {ndim}-d tensor ({valid})")
    return int(dim) % ndim


def _ints(value, op, name):
    """An int or a sequence of ints, as a tuple."""
    items = (value,) if isinstance(value, numbers.Integral) else value
    if not isinstance(items, (tuple, list)) or not all(
            isinstance(i, numbers.Integral) for i in items):
        raise TypeError(f"{op}: {name} must be an int or a sequence of ints, got {value!r}")
    return tuple(int(i) for i in items)


def _tensors(tensors, op, unpack=False):
    """The inputs as a list of tensors; with `unpack`, one list or tuple stands for its items."""
    if unpack and len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected tensors, got {type(t).__name__} at position {i}")
    return list(tensors)


def _sequence(tensors, op):
    """A non-empty list or tuple of tensors, as the *stack functions take."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expects a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: expects a non-empty list of tensors")
    return _tensors(tensors, op)


def _check_index(index, op, name="index"):
    if not isinstance(index, Tensor) or index.dtype != _C.dtype.int64:
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise TypeError(f"{op}: {name} must be an int64 tensor, got {got}")


def _index(values):
    """A numpy integer array as an int64 tensor."""
    return _C.from_numpy(np.ascontiguousarray(values, dtype=np.int64))


# ---- rearranging ----

@_method
@_named
def roll(input, shifts, dims=None):
    """`input` with its elements shifted by `shifts` along `dims`, wrapping around; without
    dims, along the flattened tensor (shape kept). A copy."""
    shifts = _ints(shifts, "roll", "shifts")
    if dims is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: without dims, shifts must be one int, got {shifts}")
        return _C.reshape(roll(_C.flatten(input), shifts, 0), list(input.shape))
    dims = _ints(dims, "roll", "dims")
    if len(shifts) != len(dims) or not shifts:
        raise ValueError(f"roll: shifts and dims must be non-empty and of equal length, got "
                         f"shifts={shifts} and dims={dims}")
    out = input
    for s, d in zip(shifts, dims):
        d = _dim(d, input.dim(), "roll")
        n = input.shape[d]
        s = s % n if n else 0
        # the last s entries move to the front; cat copies even when s == 0
        out = _C.cat([_C.narrow(out, d, n - s, s), _C.narrow(out, d, 0, n - s)], d)
    return out


@_method
@_named
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference x[i+1] - x[i] along `dim` (for bool, x[i+1] != x[i]) of
    `input` with `prepend` and `append` joined on either side."""
    if input.dim() == 0:
        raise ValueError("diff: expects a tensor of at least 1 dim, got a 0-d tensor")
    if not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"diff: n must be a non-negative int, got {n!r}")
    d = _dim(dim, input.dim(), "diff")
    parts = [p for p in (prepend, input, append) if p is not None]
    x = _C.cat(_tensors(parts, "diff"), d) if len(parts) > 1 else input
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = _C.narrow(x, d, 1, m - 1), _C.narrow(x, d, 0, m - 1)
        x = _C.ne(hi, lo) if x.dtype == _C.dtype.bool else _C.sub(hi, lo)
    return _C.clone(x) if x is input else x  # n == 0 copies too, as torch


@_method
@_named
def rot90(input, k=1, dims=(0, 1)):
    """`input` rotated k quarter turns in the plane of `dims`, from the first dim toward the
    second. A copy."""
    dims = _ints(dims, "rot90", "dims")
    if len(dims) != 2:
        raise ValueError(f"rot90: dims must be two dims, got {dims}")
    if input.dim() < 2:
        raise ValueError(f"rot90: expects a tensor of at least 2 dims, got shape "
                         f"{tuple(input.shape)}")
    d0, d1 = (_dim(d, input.dim(), "rot90") for d in dims)
    if d0 == d1:
        raise ValueError(f"rot90: the two dims must differ, got {dims}")
    k %= 4
    if k == 0:
        return _C.clone(input)
    if k == 2:
        return _C.flip(input, [d0, d1])
    return _C.transpose(_C.flip(input, [d1 if k == 1 else d0]), d0, d1)


@_method
@_named
def fliplr(input):
    """`input` with dim 1 (the columns' order) reversed. A copy."""
    if input.dim() < 2:
        raise ValueError(f"fliplr: expects a tensor of at least 2 dims, got shape "
                         f"{tuple(input.shape)}")
    return _C.flip(input, [1])


@_method
@_named
def flipud(input):
    """`input` with dim 0 (the rows' order) reversed. A copy."""
    if input.dim() < 1:
        raise ValueError("flipud: expects a tensor of at least 1 dim, got a 0-d tensor")
    return _C.flip(input, [0])


@_method
@_named
def swapaxes(input, axis0, axis1):
    """`input` with axis0 and axis1 exchanged (a view), as transpose."""
    return _C.transpose(input, axis0, axis1)


@_method
@_named
def swapdims(input, dim0, dim1):
    """`input` with dim0 and dim1 exchanged (a view), as transpose."""
    return _C.transpose(input, dim0, dim1)


@_method
@_named
def moveaxis(input, source, destination):
    """A view of `input` with the dims in `source` moved to the positions in `destination`
    (ints or sequences of ints); the other dims keep their order. Alias of movedim."""
    if isinstance(source, numbers.Integral) and isinstance(destination, numbers.Integral):
        return _C.movedim(input, source, destination)
    return _C.movedim(input, _ints(source, "moveaxis", "source"),
                      _ints(destination, "moveaxis", "destination"))


@_method
@_named
def ravel(input):
    """`input` as a 1-D contiguous tensor: a view when `input` is contiguous, else a copy."""
    return _C.reshape(_C.contiguous(input), [-1])


@_method
@_named
def unflatten(input, dim, sizes):
    """A view of `input` with dim `dim` split into `sizes` (one entry may be -1)."""
    sizes = _ints(sizes, "unflatten", "sizes")
    if not sizes:
        raise ValueError("unflatten: sizes must be non-empty")
    d = _dim(dim, input.dim(), "unflatten")
    size = input.shape[d]
    known = np.prod([s for s in sizes if s != -1], dtype=np.int64)
    if sizes.count(-1) == 1 and known > 0 and size % known == 0:
        sizes = tuple(size // known if s == -1 else s for s in sizes)
    if -1 in sizes or np.prod(sizes, dtype=np.int64) != size:
        raise ValueError(f"unflatten: sizes {sizes} do not multiply to the size {size} of dim "
                         f"{dim} of shape {tuple(input.shape)}")
    shape = list(input.shape)
    return _C.reshape(input, shape[:d] + list(sizes) + shape[d + 1:])


@_method
@_named
def unfold(self, dimension, size, step):
    """The windows of `size` elements, `step` apart, along `dimension`, in a new last dim:
    (..., n, ...) -> (..., (n - size) // step + 1, ..., size). A copy (glia has no
    overlapping strided views), but differentiable."""
    for name, v, low in (("size", size, 0), ("step", step, 1)):
        if not isinstance(v, numbers.Integral) or v < low:
            raise ValueError(f"unfold: {name} must be an int >= {low}, got {v!r}")
    x = _C.reshape(self, [1]) if self.dim() == 0 else self  # torch treats 0-d as size 1
    d = _dim(dimension, x.dim(), "unfold")
    n = x.shape[d]
    if size > n:
        raise ValueError(f"unfold: size {size} exceeds the size {n} of dim {dimension}")
    if self.dim() == 0:
        return _C.narrow(x, 0, 0, size)
    count = (n - size) // step + 1
    starts = np.arange(count)[:, None] * step
    windows = _C.index_select(x, d, _index((starts + np.arange(size)).reshape(-1)))
    shape = list(x.shape)
    shape[d:d + 1] = [count, size]
    return _C.movedim(_C.reshape(windows, shape), d + 1, -1)


# ---- diagonals ----

@_method
@_named
def diagonal(input, offset=0, dim1=0, dim2=1):
    """The `offset` diagonal (above the main one when > 0) of the dim1 x dim2 planes, as a new
    last dim (a view)."""
    n = input.dim()
    d1, d2 = _dim(dim1, n, "diagonal"), _dim(dim2, n, "diagonal")
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    return _C._diagonal(input, offset, d1, d2)


@_method
@_named
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor of one more dim whose dim1 x dim2 planes hold the last dim of `input` on their
    `offset` diagonal, zeros elsewhere."""
    if input.dim() == 0:
        raise ValueError("diag_embed: expects a tensor of at least 1 dim, got a 0-d tensor")
    n = input.dim() + 1
    d1, d2 = _dim(dim1, n, "diag_embed"), _dim(dim2, n, "diag_embed")
    if d1 == d2:
        raise ValueError(f"diag_embed: dim1 and dim2 must differ, got {dim1} and {dim2}")
    *batch, k = input.shape
    a = abs(offset)

    def zeros(*shape):
        return _C.zeros(batch + list(shape), input.dtype)

    # rows [x_i, 0 (k times)] read back with row length k put x_i at (i, i)
    rows = _C.cat([_C.unsqueeze(input, -1), zeros(k, k)], -1)
    m = _C.reshape(_C.narrow(_C.flatten(rows, -2, -1), -1, 0, k * k), batch + [k, k])
    if a:  # shift right by a columns and pad a zero rows below: x_i at (i, i + a)
        m = _C.cat([_C.cat([zeros(k, a), m], -1), zeros(a, k + a)], -2)
    if offset < 0:
        m = _C.transpose(m, -2, -1)
    order = [None] * n
    order[d1], order[d2] = n - 2, n - 1
    rest = iter(range(n - 2))
    # contiguous, as torch's (so .view works on it)
    return _C.contiguous(_C.permute(m, [next(rest) if o is None else o for o in order]))


@_method
@_named
def diag(input, diagonal=0):
    """For 1-D input, the square matrix with `input` on its `diagonal`-th diagonal; for 2-D
    input, that diagonal as a 1-D copy."""
    if input.dim() == 1:
        return diag_embed(input, diagonal)
    if input.dim() == 2:
        return _C.clone(input.diagonal(diagonal))
    raise ValueError(f"diag: expects a 1-d or 2-d tensor, got shape {tuple(input.shape)}")


# ---- products ----

@_named
def tensordot(a, b, dims=2):
    """The sum of a * b over paired dims: the last `dims` of a with the first `dims` of b, or
    dims=(dims_a, dims_b). Free dims of a, then of b, in order."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        if not 0 <= dims <= min(a.dim(), b.dim()):
            raise ValueError(f"tensordot: dims must be in [0, {min(a.dim(), b.dim())}] "
                             f"for shapes {tuple(a.shape)} and {tuple(b.shape)}, got {dims}")
        da, db = range(a.dim() - dims, a.dim()), range(dims)
    elif isinstance(dims, (tuple, list)) and len(dims) == 2:
        da, db = _ints(dims[0], "tensordot", "dims"), _ints(dims[1], "tensordot", "dims")
    else:
        raise TypeError(f"tensordot: dims must be an int or a pair of dim lists, got {dims!r}")
    if len(da) != len(db):
        raise ValueError(f"tensordot: dim lists {list(da)} and {list(db)} differ in length")
    da = [_dim(d, a.dim(), "tensordot") for d in da]
    db = [_dim(d, b.dim(), "tensordot") for d in db]
    if len(set(da)) != len(da) or len(set(db)) != len(db):
        raise ValueError(f"tensordot: a dim repeats in {da} or {db}")
    if a.dtype != b.dtype or a.dtype == _C.dtype.bool:
        raise TypeError(f"tensordot: expects two float or int64 tensors of one dtype, got "
                        f"{a.dtype} and {b.dtype}")
    for i, j in zip(da, db):
        # torch lets a size-1 dim broadcast against the other
        if a.shape[i] != b.shape[j] and 1 not in (a.shape[i], b.shape[j]):
            raise ValueError(f"tensordot: dim {i} of a (size {a.shape[i]}) does not match dim "
                             f"{j} of b (size {b.shape[j]})")
    if a.dim() + b.dim() > len(string.ascii_letters):
        raise ValueError("tensordot: too many dims")
    la = list(string.ascii_letters[:a.dim()])
    lb = list(string.ascii_letters[a.dim():a.dim() + b.dim()])
    for i, j in zip(da, db):
        lb[j] = la[i]
    out = [la[i] for i in range(a.dim()) if i not in da]
    out += [lb[j] for j in range(b.dim()) if j not in db]
    return _C.einsum(f"{''.join(la)},{''.join(lb)}->{''.join(out)}", a, b)


@_method
@_named
def kron(input, other):
    """The Kronecker product: blocks input[i] * other, of shape input.shape[k] *
    other.shape[k] (the tensor with fewer dims gets leading 1s)."""
    input, other = _tensors((input, other), "kron")
    n = max(input.dim(), other.dim())
    sa = [1] * (n - input.dim()) + list(input.shape)
    sb = [1] * (n - other.dim()) + list(other.shape)
    # (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...) -> (a0, b0, a1, b1, ...)
    a = _C.reshape(input, [s for x in sa for s in (x, 1)])
    b = _C.reshape(other, [s for x in sb for s in (1, x)])
    return _C.reshape(_C.mul(a, b), [x * y for x, y in zip(sa, sb)])


@_method
@_named
def cross(input, other, dim=None):
    """The 3-vector cross product along `dim` (the other dims broadcast). dim=None takes the
    first dim of size 3 of `input` and warns, as torch (which deprecates that default)."""
    if input.dim() != other.dim():
        raise ValueError(f"cross: input and other must have the same number of dims, got "
                         f"shapes {tuple(input.shape)} and {tuple(other.shape)}")
    if input.dtype != other.dtype or input.dtype == _C.dtype.bool:
        raise TypeError(f"cross: expects two float or int64 tensors of one dtype, got "
                        f"{input.dtype} and {other.dtype}")
    if dim is None:
        if 3 not in input.shape:
            raise ValueError(f"cross: no dim of size 3 in input shape {tuple(input.shape)}")
        dim = list(input.shape).index(3)
        warnings.warn("cross: without dim, the first dim of size 3 is used; pass dim "
                      "explicitly (torch deprecates this default)", UserWarning, stacklevel=3)
    d = _dim(dim, input.dim(), "cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise ValueError(f"cross: dim {dim} must have size 3 in both inputs, got shapes "
                         f"{tuple(input.shape)} and {tuple(other.shape)}")
    shape = _C.broadcast_shapes(list(input.shape), list(other.shape))
    x, y = _C.broadcast_to(input, shape), _C.broadcast_to(other, shape)
    a = [_C.select(x, d, i) for i in range(3)]
    b = [_C.select(y, d, i) for i in range(3)]
    return _C.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]], d)


# ---- joining ----

def _at_least(t, n):
    """`t` viewed with at least n dims, padded as torch.atleast_{n}d pads them."""
    if t.dim() >= n:
        return t
    shape = list(t.shape)
    if n == 3 and t.dim():  # (k,) -> (1, k, 1) and (m, k) -> (m, k, 1)
        return _C.reshape(t, [1] * (2 - t.dim()) + shape + [1])
    return _C.reshape(t, [1] * (n - t.dim()) + shape)


def _atleast(tensors, n):
    out = tuple(_at_least(t, n) for t in _tensors(tensors, f"atleast_{n}d", unpack=True))
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


def atleast_1d(*tensors):
    """Each input viewed with at least 1 dim: () -> (1,). One tensor in, one out; else a tuple."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    """Each input viewed with at least 2 dims: () -> (1, 1), (k,) -> (1, k)."""
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    """Each input viewed with at least 3 dims: () -> (1, 1, 1), (k,) -> (1, k, 1),
    (m, k) -> (m, k, 1)."""
    return _atleast(tensors, 3)


@_named
def hstack(tensors):
    """The inputs joined along dim 1, or along dim 0 when they are 1-D (0-d count as 1-D)."""
    ts = [_at_least(t, 1) for t in _sequence(tensors, "hstack")]
    return _C.cat(ts, 0 if ts[0].dim() == 1 else 1)


@_named
def vstack(tensors):
    """The inputs made at least 2-D ((k,) -> (1, k)) and joined along dim 0."""
    return _C.cat([_at_least(t, 2) for t in _sequence(tensors, "vstack")], 0)


row_stack = vstack


@_named
def dstack(tensors):
    """The inputs made at least 3-D (see atleast_3d) and joined along dim 2."""
    return _C.cat([_at_least(t, 3) for t in _sequence(tensors, "dstack")], 2)


@_named
def column_stack(tensors):
    """The inputs side by side as columns: 0-d and 1-d ones become (k, 1), then all are joined
    along dim 1."""
    ts = _sequence(tensors, "column_stack")
    return _C.cat([_C.reshape(t, [t.numel(), 1]) if t.dim() < 2 else t for t in ts], 1)


@_named
def block_diag(*tensors):
    """A 2-D tensor with the inputs (0-d, 1-d as one row, or 2-d) as blocks down its diagonal
    and zeros elsewhere; dtypes promote as in cat."""
    blocks = []
    for i, t in enumerate(_tensors(tensors, "block_diag")):
        if t.dim() > 2:
            raise ValueError(f"block_diag: inputs must have at most 2 dims, got shape "
                             f"{tuple(t.shape)} at position {i}")
        blocks.append(t if t.dim() == 2 else _C.reshape(t, [1, t.numel()]))
    if not blocks:
        return _C.zeros([1, 0], _C.dtype.float32)  # as torch.block_diag()
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        rows.append(_C.cat([_C.zeros([r, left], b.dtype), b,
                            _C.zeros([r, width - left - c], b.dtype)], 1))
        left += c
    return _C.cat(rows, 0)


@_named
def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids, one per 0-d or 1-d input: output i holds tensors[i] along dim i,
    broadcast along the others (views). indexing="xy" swaps the first two dims."""
    tensors = _tensors(tensors, "meshgrid", unpack=True)
    if not tensors:
        raise ValueError("meshgrid: expects at least one tensor")
    if indexing not in ("ij", "xy"):
        raise ValueError(f'meshgrid: indexing must be "ij" or "xy", got {indexing!r}')
    for i, t in enumerate(tensors):
        if t.dim() > 1:
            raise ValueError(f"meshgrid: inputs must be 0-d or 1-d, got shape {tuple(t.shape)} "
                             f"at position {i}")
        if t.dtype != tensors[0].dtype:
            raise TypeError(f"meshgrid: inputs must share one dtype, got {tensors[0].dtype} and "
                            f"{t.dtype}")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        axes[0], axes[1] = 1, 0  # Cartesian (numpy) order: the first input runs along columns
    grid = [0] * len(tensors)
    for t, a in zip(tensors, axes):
        grid[a] = t.numel()
    out = []
    for t, a in zip(tensors, axes):
        shape = [1] * len(tensors)
        shape[a] = t.numel()
        out.append(_C.expand(_C.reshape(t, shape), grid))
    return tuple(out)


@_named
def cartesian_prod(*tensors):
    """Every combination of the 1-D inputs' elements, one per row: shape (product of the
    lengths, number of inputs). A single input is returned as is."""
    tensors = _tensors(tensors, "cartesian_prod")
    for i, t in enumerate(tensors):
        if t.dim() != 1:
            raise ValueError(f"cartesian_prod: inputs must be 1-d, got shape {tuple(t.shape)} "
                             f"at position {i}")
    if len(tensors) == 1:
        return tensors[0]
    return _C.stack([_C.reshape(g, [-1]) for g in meshgrid(*tensors)], 1)


# ---- splitting ----

@_method
@_named
def tensor_split(input, indices_or_sections, dim=0):
    """Views of `input` split along `dim`: into n parts whose sizes differ by at most one (the
    first size % n are longer), or at the given indices (Python slice rules)."""
    if input.dim() == 0:
        raise ValueError("tensor_split: expects a tensor of at least 1 dim, got a 0-d tensor")
    d = _dim(dim, input.dim(), "tensor_split")
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec.dtype != _C.dtype.int64 or spec.dim() > 1:
            raise TypeError(f"tensor_split: a tensor of indices or sections must be 0-d or 1-d "
                            f"int64, got {spec.dtype} of shape {tuple(spec.shape)}")
        spec = spec.tolist()
    if isinstance(spec, numbers.Integral):
        if spec <= 0:
            raise ValueError(f"tensor_split: the number of sections must be positive, got {spec}")
        q, r = divmod(input.shape[d], int(spec))
        return tuple(_C.split(input, [q + 1] * r + [q] * (spec - r), d))
    bounds = _ints(spec, "tensor_split", "indices_or_sections")
    starts, stops = (0,) + bounds, bounds + (input.shape[d],)
    return tuple(_C.slice(input, d, a, b, 1) for a, b in zip(starts, stops))


def _split_along(input, spec, dim, op, min_dims):
    """tensor_split for hsplit/vsplit/dsplit, which need `min_dims` and an even split."""
    if input.dim() < min_dims:
        raise ValueError(f"{op}: expects a tensor of at least {min_dims} dims, got shape "
                         f"{tuple(input.shape)}")
    if isinstance(spec, numbers.Integral) and (spec <= 0 or input.shape[dim] % spec):
        raise ValueError(f"{op}: dim {dim} of size {input.shape[dim]} does not split into "
                         f"{spec} equal parts")
    return tensor_split(input, spec, dim)


@_method
@_named
def hsplit(input, indices_or_sections):
    """tensor_split along dim 1 (dim 0 for 1-D input); a number of sections must divide it."""
    return _split_along(input, indices_or_sections, 0 if input.dim() == 1 else 1, "hsplit", 1)


@_method
@_named
def vsplit(input, indices_or_sections):
    """tensor_split of an at least 2-D input along dim 0; a number of sections must divide it."""
    return _split_along(input, indices_or_sections, 0, "vsplit", 2)


@_method
@_named
def dsplit(input, indices_or_sections):
    """tensor_split of an at least 3-D input along dim 2; a number of sections must divide it."""
    return _split_along(input, indices_or_sections, 2, "dsplit", 3)


# ---- picking ----

@_method
@_named
def take(input, index):
    """The elements of `input`, read as 1-D, at the int64 `index` (negative counts from the
    end), in index's shape."""
    _check_index(index, "take")
    n = input.numel()
    if index.numel():
        lo, hi = _C.amin(index).item(), _C.amax(index).item()
        if lo < -n or hi >= n:
            raise IndexError(f"take: index {lo if lo < -n else hi} is out of range for a tensor "
                             f"of {n} elements")
        index = _C.remainder(index, n)  # -1 -> n - 1
    flat = _C.index_select(_C.reshape(input, [-1]), 0, _C.reshape(index, [-1]))
    return _C.reshape(flat, list(index.shape))


@_method
@_named
def take_along_dim(input, indices, dim=None):
    """`input` gathered at the int64 `indices` along `dim`, the two broadcast on the other
    dims; without dim, the flattened input at the flattened indices."""
    _check_index(indices, "take_along_dim", "indices")
    if dim is None:
        return _C.gather(_C.reshape(input, [-1]), 0, _C.reshape(indices, [-1]))
    if input.dim() != indices.dim():
        raise ValueError(f"take_along_dim: input and indices must have the same number of dims, "
                         f"got shapes {tuple(input.shape)} and {tuple(indices.shape)}")
    d = _dim(dim, input.dim(), "take_along_dim")
    sa, si = list(input.shape), list(indices.shape)
    sa[d] = si[d] = 1
    batch = list(_C.broadcast_shapes(sa, si))
    x = _C.broadcast_to(input, batch[:d] + [input.shape[d]] + batch[d + 1:])
    i = _C.broadcast_to(indices, batch[:d] + [indices.shape[d]] + batch[d + 1:])
    return _C.gather(x, d, i)


@_method
@_named
def masked_select(input, mask):
    """The elements of `input` where the bool `mask` is True (the two broadcast), as 1-D."""
    if not isinstance(mask, Tensor) or mask.dtype != _C.dtype.bool:
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise TypeError(f"masked_select: mask must be a bool tensor, got {got}")
    shape = list(_C.broadcast_shapes(list(input.shape), list(mask.shape)))
    keep = _C.nonzero(_C.reshape(_C.broadcast_to(mask, shape), [-1]))
    return _C.index_select(_C.reshape(_C.broadcast_to(input, shape), [-1]), 0,
                           _C.reshape(keep, [-1]))


@_method
@_named
def argwhere(input):
    """The (N, input.dim()) int64 coordinates of the nonzero elements, in row-major order."""
    return _C.nonzero(input)


def _triangle(op, row, col, offset, dtype, numpy_fn):
    for name, v in (("row", row), ("col", col)):
        if not isinstance(v, numbers.Integral) or v < 0:
            raise ValueError(f"{op}: {name} must be a non-negative int, got {v!r}")
    if not isinstance(offset, numbers.Integral):
        raise TypeError(f"{op}: offset must be an int, got {offset!r}")
    if dtype is not None and _dtype(dtype) != _C.dtype.int64:
        raise TypeError(f"{op}: indices are int64, got dtype={dtype!r}")
    return _index(np.stack(numpy_fn(int(row), int(offset), int(col))))


def tril_indices(row, col, offset=0, *, dtype=None):
    """The (2, N) int64 coordinates of the lower triangle of a row x col matrix (on and below
    diagonal `offset`), row by row."""
    return _triangle("tril_indices", row, col, offset, dtype, np.tril_indices)


def triu_indices(row, col, offset=0, *, dtype=None):
    """The (2, N) int64 coordinates of the upper triangle of a row x col matrix (on and above
    diagonal `offset`), row by row."""
    return _triangle("triu_indices", row, col, offset, dtype, np.triu_indices)


# ---- Tensor.new_*: new tensors with self's dtype ----

@_method
@_named
def new_zeros(self, *size, dtype=None, requires_grad=False):
    """Zeros of `size`, with self's dtype unless `dtype` is given."""
    return _creation.zeros(*size, dtype=_dtype(dtype) or self.dtype, requires_grad=requires_grad)


@_method
@_named
def new_ones(self, *size, dtype=None, requires_grad=False):
    """Ones of `size`, with self's dtype unless `dtype` is given."""
    return _creation.ones(*size, dtype=_dtype(dtype) or self.dtype, requires_grad=requires_grad)


@_method
@_named
def new_empty(self, *size, dtype=None, requires_grad=False):
    """An uninitialised tensor of `size`, with self's dtype unless `dtype` is given."""
    return _creation.empty(*size, dtype=_dtype(dtype) or self.dtype, requires_grad=requires_grad)


@_method
@_named
def new_full(self, size, fill_value, *, dtype=None, requires_grad=False):
    """`fill_value` repeated to `size`, with self's dtype unless `dtype` is given."""
    if not isinstance(size, (numbers.Integral, tuple, list)):
        raise TypeError(f"new_full: size must be a sequence of ints, got {size!r}")
    return _creation.full(size, fill_value, dtype=_dtype(dtype) or self.dtype,
                          requires_grad=requires_grad)


@_method
@_named
def new_tensor(self, data, *, dtype=None, requires_grad=False):
    """A copy of `data` (as glia.tensor takes it), with self's dtype unless `dtype` is given."""
    return _creation.tensor(data, dtype=_dtype(dtype) or self.dtype, requires_grad=requires_grad)
