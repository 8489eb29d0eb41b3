"""glia.autograd.Function: an op with a hand-written backward, as torch.autograd.Function.

    class Exp(glia.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)

forward runs under no_grad; its floating outputs (all but those marked non-differentiable)
are joined to the graph by one node that calls backward. Several outputs share that node:
they are slices of one buffer, so backward receives a gradient for each (zeros for an
output that was not used), once.
"""
import functools

from glia import _C
from glia._C import Tensor
from glia.autograd.grad_mode import no_grad

__all__ = ["Function", "FunctionCtx", "once_differentiable"]

_FLOATS = (_C.dtype.float32, _C.dtype.float64)


class FunctionCtx:
    """What forward leaves for backward: saved tensors and any attributes set on it."""

    def __init__(self):
        self.to_save = ()
        self.needs_input_grad = ()
        self._non_differentiable = set()

    def save_for_backward(self, *tensors):
        """Keeps tensors (or None) for backward; backward fails if one of them is later
        modified in place."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward: only tensors or None can be saved, got "
                                f"{type(t).__name__}; store other values as ctx attributes")
        self.to_save = tensors

    @property
    def saved_tensors(self):
        return self.to_save

    def mark_non_differentiable(self, *outputs):
        """Outputs that get no gradient (indices, masks): returned as they are."""
        self._non_differentiable.update(id(t) for t in outputs)


def once_differentiable(backward):
    """Marks a backward that is not itself differentiable: it runs under no_grad."""
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            return backward(ctx, *grads)
    return wrapper


class Function:
    """Subclass with static forward(ctx, *args) and backward(ctx, *grad_outputs), then call
    Sub.apply(*args). backward returns one gradient (or None) per forward argument; a
    gradient may have a shape that broadcasts to its input's, and is summed down to it.
    torch's split style, forward(*args) plus setup_context(ctx, inputs, output), works too."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("Function subclasses must define a static forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("Function subclasses must define a static backward")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("define setup_context(ctx, inputs, output) together with a "
                                  "forward that takes no ctx")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            if cls.setup_context is not Function.setup_context:  # torch's split style
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        if not (_C.is_grad_enabled() and any(ctx.needs_input_grad)):
            return output
        outputs = output if isinstance(output, tuple) else (output,)
        tracked = [i for i, o in enumerate(outputs) if isinstance(o, Tensor)
                   and o.dtype in _FLOATS and id(o) not in ctx._non_differentiable]
        if not tracked:
            return output
        new = _attach(cls, ctx, args, outputs, tracked)
        result = tuple(new.get(i, o) for i, o in enumerate(outputs))
        return result if isinstance(output, tuple) else result[0]


def _attach(cls, ctx, args, outputs, tracked):
    """Joins outputs[tracked] to the graph through one node; returns {index: new output}."""
    name = cls.__name__
    shapes = [tuple(outputs[i].shape) for i in tracked]
    dtypes = [outputs[i].dtype for i in tracked]
    if len(tracked) == 1:
        packed = outputs[tracked[0]].detach()
    else:
        # one buffer in the widest dtype; each output is a slice of it cast back
        wide = _C.dtype.float64 if _C.dtype.float64 in dtypes else _C.dtype.float32
        packed = _C.cat([outputs[i].detach().reshape(-1).to(wide) for i in tracked], 0)
    inputs = [a for a in args if isinstance(a, Tensor)]
    saved = [t for t in ctx.to_save if t is not None]

    def backward(grad, needs):
        grads_out = _split(grad, shapes, dtypes) if len(tracked) > 1 else [grad]
        full = [None] * len(outputs)
        for i, g in zip(tracked, grads_out):
            full[i] = g
        result = cls.backward(ctx, *full)
        return _input_grads(name, args, result)

    _C._attach_python_grad_fn(packed, name + "Backward", inputs, backward, saved)
    if len(tracked) == 1:
        return {tracked[0]: packed}
    new, offset = {}, 0
    for i, shape, dtype in zip(tracked, shapes, dtypes):
        n = outputs[i].numel()
        new[i] = packed.narrow(0, offset, n).reshape(shape).to(dtype)
        offset += n
    return new


def _split(grad, shapes, dtypes):
    out, offset = [], 0
    for shape, dtype in zip(shapes, dtypes):
        n = 1
        for s in shape:
            n *= s
        out.append(grad.narrow(0, offset, n).reshape(shape).to(dtype))
        offset += n
    return out


def _expands_to(shape, target):
    """Whether `shape` broadcasts to `target` (so a gradient of `target` sums down to it)."""
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(shape[::-1], target[::-1]))


def _input_grads(name, args, result):
    """backward's result checked against forward's arguments: one gradient (or None) per
    argument, each summed down to its tensor input's shape; returns those of the tensors."""
    result = result if isinstance(result, tuple) else (result,)
    if len(result) < len(args) or any(r is not None for r in result[len(args):]):
        raise RuntimeError(f"{name}.backward returned {len(result)} gradients, but forward took "
                           f"{len(args)} arguments (give None for those without a gradient)")
    grads = []
    for k, (a, g) in enumerate(zip(args, result)):
        if not isinstance(a, Tensor):
            if g is not None:
                raise RuntimeError(f"{name}.backward returned a gradient for argument {k}, "
                                   f"which is not a tensor ({type(a).__name__}); return None")
            continue
        if g is None:
            grads.append(None)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"{name}.backward: the gradient for argument {k} must be a tensor "
                            f"or None, got {type(g).__name__}")
        if tuple(g.shape) != tuple(a.shape):
            if not _expands_to(tuple(a.shape), tuple(g.shape)):
                raise ValueError(f"{name}.backward: the gradient for argument {k} has shape "
                                 f"{tuple(g.shape)}, which does not reduce to the input's shape "
                                 f"{tuple(a.shape)}")
            g = _C.sum_to(g, list(a.shape))
        grads.append(g if g.dtype == a.dtype or a.dtype not in _FLOATS else g.to(a.dtype))
    return grads
