"""Tensor methods that update the tensor in place: `x.<op>_(...)` for the elementwise ops,
and the random fills (uniform_, normal_, bernoulli_, exponential_, random_).

Each computes the out-of-place result and copies it into the tensor, so a view writes
through to its base. While grad is enabled and the tensor or the result requires grad, the
write is recorded by autograd (_write_history)."""
import numbers

import glia
from glia import _C
from glia._C import Tensor
from glia._write_history import check_result, involves_grad, record_write, write_result

_FLOATS = (_C.dtype.float32, _C.dtype.float64)


def _store(x, result, name):
    """Copies result into x (recorded by autograd when either takes part in it), refusing
    what would change x's shape or lose its kind, as torch does."""
    check_result(x, result, name)
    if involves_grad(x, result):
        return record_write(x, None, result, name)
    with glia.no_grad():
        x.copy_(result)
    return x


def _inplace(name):
    op = getattr(Tensor, name)

    def method(self, *args, **kwargs):
        if involves_grad(self, *args, *kwargs.values()):
            return write_result(self, name + "_", op, *args, **kwargs)
        return _store(self, op(self, *args, **kwargs), name + "_")

    method.__name__ = name + "_"
    method.__doc__ = f"In-place {name}: self.copy_(self.{name}(...)); returns self."
    return method


_ELEMENTWISE = [
    "abs", "neg", "exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "sigmoid", "relu", "square", "reciprocal", "sign", "floor", "ceil", "round",
    "trunc", "frac", "erf", "erfc", "clamp", "clamp_min", "clamp_max", "pow", "atan2",
    "hypot", "fmod", "remainder", "floor_divide", "lerp", "addcmul", "addcdiv", "nan_to_num",
    "logit", "xlogy", "masked_fill", "tril", "triu", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "logical_and", "logical_or", "logical_xor", "logical_not",
    "scatter_add", "index_add", "deg2rad", "rad2deg",
]
for _name in _ELEMENTWISE:
    setattr(Tensor, _name + "_", _inplace(_name))
Tensor.clip_ = Tensor.clamp_
Tensor.absolute_, Tensor.negative_, Tensor.fix_ = Tensor.abs_, Tensor.neg_, Tensor.trunc_
Tensor.arctan2_ = Tensor.atan2_


# ---- random fills (glia's generator, so glia.manual_seed makes them reproducible) ----

def _random_fill(x, name, draw):
    if x.dtype not in _FLOATS:
        raise TypeError(f"{name}: only floating tensors can be filled, got {x.dtype}")
    return _store(x, draw(tuple(x.shape), x.dtype), name)


def uniform_(self, from_=0.0, to=1.0):
    """Fills with values drawn uniformly from [from_, to)."""
    if not from_ <= to:
        raise ValueError(f"uniform_: expects from_ <= to, got from_={from_}, to={to}")
    return _random_fill(self, "uniform_",
                        lambda s, dt: glia.rand(*s, dtype=dt) * (to - from_) + from_)


def normal_(self, mean=0.0, std=1.0):
    """Fills with values drawn from N(mean, std^2)."""
    if std < 0:
        raise ValueError(f"normal_: expects std >= 0, got std={std}")
    return _random_fill(self, "normal_", lambda s, dt: glia.randn(*s, dtype=dt) * std + mean)


def exponential_(self, lambd=1.0):
    """Fills with values drawn from the exponential distribution of rate lambd."""
    if not lambd > 0:
        raise ValueError(f"exponential_: expects lambd > 0, got lambd={lambd}")
    # -log(1 - U) / lambd with U in [0, 1): finite; drawn in float64, where U = 0 (a value
    # of exactly 0, which a Gumbel sample would turn into inf) has odds 2^-53, not 2^-24
    return _random_fill(self, "exponential_", lambda s, dt: (glia.log1p(
        -glia.rand(*s, dtype=_C.dtype.float64)) * (-1.0 / lambd)).to(dt))


def log_normal_(self, mean=1.0, std=2.0):
    """Fills with exp of values drawn from N(mean, std^2)."""
    if std <= 0:
        raise ValueError(f"log_normal_: expects std > 0, got std={std}")
    return _random_fill(self, "log_normal_",
                        lambda s, dt: glia.exp(glia.randn(*s, dtype=dt) * std + mean))


def bernoulli_(self, p=0.5):
    """Fills with 1 with probability p (a number or a tensor that broadcasts), else 0."""
    if isinstance(p, numbers.Number) and not 0 <= p <= 1:
        raise ValueError(f"bernoulli_: expects 0 <= p <= 1, got p={p}")
    probs = p if isinstance(p, Tensor) else glia.full(tuple(self.shape), float(p),
                                                      dtype=_C.dtype.float64)
    probs = probs.to(_C.dtype.float64).expand(*self.shape)
    return _store(self, glia.bernoulli(probs).to(self.dtype), "bernoulli_")


def random_(self, from_=0, to=None):
    """Fills with integers drawn uniformly from [from_, to) (from [0, from_) when only one
    bound is given, as torch)."""
    low, high = (0, from_) if to is None else (from_, to)
    if to is None and from_ == 0:
        raise ValueError("random_: give an upper bound, e.g. random_(10) or random_(0, 10)")
    if not low < high:
        raise ValueError(f"random_: expects from_ < to, got from_={low}, to={high}")
    if self.dtype == _C.dtype.bool and not (low >= 0 and high <= 2):
        raise ValueError(f"random_: a bool tensor takes values in [0, 2), got [{low}, {high})")
    values = glia.randint(int(low), int(high), tuple(self.shape))
    return _store(self, values.to(self.dtype), "random_")


for _fn in (uniform_, normal_, exponential_, log_normal_, bernoulli_, random_):
    setattr(Tensor, _fn.__name__, _fn)
del _fn, _name
