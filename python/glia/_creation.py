"""Tensor creation with PyTorch's signatures: glia.tensor, zeros(*size), randn(*size), ..."""
import builtins
import numbers

import numpy as np

from glia import _C
from glia._C import Tensor

def _size(args, op):
    """Accepts zeros(2, 3), zeros((2, 3)) and zeros([2, 3])."""
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        args = tuple(args[0])
    for s in args:
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"{op}: size must be integers, got {args!r}")
    return [int(s) for s in args]


def _dtype(dtype):
    """glia dtypes pass through; NumPy dtypes and Python types map to glia's."""
    if dtype is None or isinstance(dtype, _C.dtype):
        return dtype
    if dtype is builtins.float:
        return _C.dtype.float32
    if dtype is builtins.int:
        return _C.dtype.int64
    if dtype is builtins.bool:
        return _C.dtype.bool
    kind = np.dtype(dtype)
    mapping = {"f4": _C.dtype.float32, "f8": _C.dtype.float64, "i8": _C.dtype.int64, "b1": _C.dtype.bool}
    key = kind.str[1:]
    if key not in mapping:
        raise TypeError(f"unsupported dtype {dtype!r}; glia has bool, int64, float32, float64")
    return mapping[key]


def _finish(t, dtype, requires_grad):
    dtype = _dtype(dtype)
    if dtype is not None and t.dtype != dtype:
        t = _C.to_dtype(t, dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of `data` (nested lists, NumPy arrays, numbers, tensors).

    Python floats become float32 and ints int64; NumPy arrays keep their dtype.
    """
    if isinstance(data, Tensor):
        t = _C.clone(_C.detach(data))
    elif isinstance(data, np.ndarray):
        t = _C.from_numpy(np.array(data, copy=True, order="C"))
    elif isinstance(data, np.generic):
        t = _C.from_numpy(np.array(data))
    elif isinstance(data, builtins.bool):
        t = _C.scalar_tensor(data, _C.dtype.bool)
    elif isinstance(data, numbers.Integral):
        t = _C.scalar_tensor(int(data), _C.dtype.int64)
    elif isinstance(data, numbers.Real):
        # straight to float64 when asked, so 0.3 is not first rounded to float32
        wide = _dtype(dtype) == _C.dtype.float64
        t = _C.scalar_tensor(builtins.float(data), _C.dtype.float64 if wide else _C.dtype.float32)
    elif isinstance(data, (list, tuple)):
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"tensor: nested sequences must be rectangular (not ragged): {e}") from None
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"tensor: cannot make a tensor from elements of type {arr.dtype} "
                            "(expected numbers or booleans)")
        if arr.dtype == np.float64 and _dtype(dtype) != _C.dtype.float64:
            arr = arr.astype(np.float32)  # Python floats are float32 unless asked otherwise
        t = _C.from_numpy(np.ascontiguousarray(arr))  # arr is a fresh array: no aliasing
    else:
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__}")
    return _finish(t, dtype, requires_grad)


def as_tensor(data, dtype=None):
    """Like tensor(), but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor) and (dtype is None or _dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray) and data.dtype.str[1:] in ("f4", "f8", "i8", "b1"):
        return _finish(_C.from_numpy(data), dtype, False)
    return tensor(data, dtype=dtype)


def _creator(op, kernel):
    def create(*size, dtype=None, requires_grad=False):
        t = kernel(_size(size, op), _dtype(dtype) or _C.dtype.float32)
        return _finish(t, None, requires_grad)

    create.__name__ = op
    create.__doc__ = f"glia.{op}(*size, dtype=None, requires_grad=False), as torch.{op}."
    return create


zeros = _creator("zeros", _C.zeros)
ones = _creator("ones", _C.ones)
empty = _creator("empty", _C.empty)
rand = _creator("rand", _C.rand)
randn = _creator("randn", _C.randn)


def full(size, fill_value, dtype=None, requires_grad=False):
    """A tensor of `size` filled with `fill_value` (dtype inferred from the value)."""
    return _finish(_C.full(_size((size,), "full"), fill_value, _dtype(dtype)), None, requires_grad)


def _like(kernel_name):
    def like(t, dtype=None, requires_grad=False):
        d = _dtype(dtype) or t.dtype
        return _finish(getattr(_C, kernel_name)(list(t.shape), d), None, requires_grad)

    like.__name__ = kernel_name + "_like"
    like.__doc__ = f"A new tensor shaped like `t`, as torch.{kernel_name}_like."
    return like


zeros_like = _like("zeros")
ones_like = _like("ones")
empty_like = _like("empty")
rand_like = _like("rand")
randn_like = _like("randn")


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return _finish(_C.full(list(t.shape), fill_value, _dtype(dtype) or t.dtype), None, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Values from start to end (exclusive) by step; arange(n) counts 0..n-1."""
    if end is None:
        start, end = 0, start
    return _finish(_C.arange(start, end, step, _dtype(dtype)), None, requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    """`steps` evenly spaced values from start to end inclusive."""
    return _finish(_C.linspace(start, end, steps, _dtype(dtype) or _C.dtype.float32), None,
                   requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    """The n x m identity matrix."""
    return _finish(_C.eye(n, -1 if m is None else m, _dtype(dtype) or _C.dtype.float32), None,
                   requires_grad)


def randint(low, high=None, size=(), dtype=None):
    """Uniform integers in [low, high); randint(high, size) starts at 0."""
    if high is None:
        low, high = 0, low
    return _C.randint(low, high, _size((size,), "randint"), _dtype(dtype) or _C.dtype.int64)


def normal(mean, std, size, dtype=None, requires_grad=False):
    """Normal samples with the given mean and standard deviation."""
    t = _C.normal(mean, std, _size((size,), "normal"), _dtype(dtype) or _C.dtype.float32)
    return _finish(t, None, requires_grad)


def bernoulli(p):
    """Samples 1 with probability p elementwise (p a float tensor)."""
    return _C.bernoulli(p)


def randperm(n):
    """A random permutation of 0..n-1 (int64)."""
    return _C.randperm(n)
