"""In-place writes that autograd records, as torch records them: `x[i] = v`, `x.copy_(v)`,
`x.add_(y)`, `x.exp_()` and the other in-place methods, while grad is enabled and x or the
new values take part in autograd (the decoder loop's `outputs[t] = h`, for one).

The write goes into the tensor that x's chain of views started from (its base), at the
positions written, and the base takes a new history: the gradient goes to its old history
where nothing was written and to the new values where it was (torch's CopySlices). Every
view of the base, x included, reads the base again the next time autograd looks at it
(cpp/src/view_history.cpp).

Writing into a leaf that requires grad, or through a view of one, is refused, as torch
refuses it: the leaf's gradient would lose its meaning. Tensors saved for a backward that
the write changes make that backward raise (the storage's version counter)."""
import glia
from glia import _C
from glia._C import Tensor

_copy_values = Tensor.copy_  # the plain C++ copy, before Tensor.copy_ is wrapped below


def involves_grad(target, *values):
    """Whether a write into target of values (tensors or numbers) must be recorded."""
    if not _C.is_grad_enabled():
        return False
    return target.requires_grad or any(isinstance(v, Tensor) and v.requires_grad for v in values)


def record_write(target, key, values, op):
    """target[key] = values (key None: all of target), recorded by autograd; returns target.
    values is a tensor that broadcasts to the written shape."""
    base = target._view_base()
    if base is None:
        base = target
    if base.requires_grad and base.is_leaf:
        through = " through a view of it" if base is not target else ""
        raise RuntimeError(f"{op}: in-place write into a leaf tensor that requires grad"
                           f"{through} (shape {tuple(base.shape)}) while grad is enabled; write "
                           "inside glia.no_grad(), as optimizers do, or into a clone")
    if any(st == 0 and n > 1 for st, n in zip(target.stride(), target.shape)):
        raise RuntimeError(f"{op}: cannot write into an expanded tensor (shape "
                           f"{tuple(target.shape)}, strides {tuple(target.stride())}): some "
                           "elements share memory; write into a clone")
    if values.dtype != base.dtype:
        values = values.to(base.dtype)
    region, advanced = target, None
    if key is not None:  # the basic part of the index is a view: only its positions matter
        from glia._tensor import _parse  # _tensor imports this module
        with glia.no_grad():
            region, advanced = _parse(target, key)
    if advanced:  # tensors, lists or masks: pick from all of target's positions
        chosen = base._view_positions(target)[key]
    else:
        chosen = base._view_positions(region)
    try:
        values = values.expand(*chosen.shape)
    except (ValueError, RuntimeError):
        raise ValueError(f"{op}: values of shape {tuple(values.shape)} cannot be broadcast to "
                         f"the written shape {tuple(chosen.shape)}") from None
    base._write_at_positions(chosen, values)
    return target


_RANK = {_C.dtype.bool: 0, _C.dtype.int64: 1, _C.dtype.float32: 2, _C.dtype.float64: 2}


def check_result(x, result, name):
    """Refuses an in-place result that would change x's shape or lose its kind (a float
    result into an integer tensor), as torch does."""
    if tuple(result.shape) != tuple(x.shape):
        raise ValueError(f"{name}: the result's shape {tuple(result.shape)} does not match the "
                         f"tensor's {tuple(x.shape)} (in-place ops cannot broadcast the tensor)")
    if _RANK[result.dtype] > _RANK[x.dtype]:
        raise TypeError(f"{name}: the result type {result.dtype} cannot be stored in a "
                        f"{x.dtype} tensor")


def write_result(x, name, op, *args, **kwargs):
    """x's values replaced by op(x, *args, **kwargs), recorded by autograd. The op reads a
    copy of x, since what it saves for its backward must outlive the write."""
    result = op(x.clone(), *args, **kwargs)
    check_result(x, result, name)
    return record_write(x, None, result, name)


# ---- the in-place methods bound in C++ (python/src/tensor.cpp): the plain write when
# autograd has nothing to record, else the recorded one ----

_plain = {name: getattr(Tensor, name) for name in ("add_", "sub_", "mul_", "div_", "fill_",
                                                   "zero_")}


def copy_(self, src):
    """Copies src (broadcast to self's shape) into self."""
    if isinstance(src, Tensor) and involves_grad(self, src):
        return record_write(self, None, src, "copy_")
    return _copy_values(self, src)


def add_(self, other, alpha=1):
    """self += alpha * other."""
    if involves_grad(self, other):
        return write_result(self, "add_", glia.add, other, alpha=alpha)
    return _plain["add_"](self, other, alpha)


def sub_(self, other, alpha=1):
    """self -= alpha * other."""
    if involves_grad(self, other):
        return write_result(self, "sub_", glia.sub, other, alpha=alpha)
    return _plain["sub_"](self, other, alpha)


def mul_(self, other):
    """self *= other."""
    if involves_grad(self, other):
        return write_result(self, "mul_", glia.mul, other)
    return _plain["mul_"](self, other)


def div_(self, other):
    """self /= other."""
    if involves_grad(self, other):
        return write_result(self, "div_", glia.div, other)
    return _plain["div_"](self, other)


def fill_(self, value):
    """Sets every element to value (a number or a 0-d tensor)."""
    if involves_grad(self, value):
        if not isinstance(value, Tensor):
            value = glia.tensor(value, dtype=self.dtype)
        return record_write(self, None, value, "fill_")
    if isinstance(value, Tensor):
        value = value.item()
    return _plain["fill_"](self, value)


def zero_(self):
    """Sets every element to 0."""
    if involves_grad(self):
        return record_write(self, None, glia.zeros((), dtype=self.dtype), "zero_")
    return _plain["zero_"](self)


for _fn in (copy_, add_, sub_, mul_, div_, fill_, zero_):
    setattr(Tensor, _fn.__name__, _fn)
del _fn
