"""Elementwise math written from the core ops (so autograd comes with them), the keyword
forms of add/sub/div, and PyTorch's alias names. Hot arithmetic stays in C++."""
import collections
import math
import numbers

from glia import _C
from glia._C import Tensor

AminmaxResult = collections.namedtuple("AminmaxResult", ["min", "max"])

_LN2 = math.log(2.0)


def _is_float(x):
    return isinstance(x, Tensor) and x.dtype in (_C.dtype.float32, _C.dtype.float64)


def _float_like(x):
    """x, or x as float32 when it is an integer or bool tensor (ops that give floats)."""
    return x if _is_float(x) else x.to(_C.dtype.float32)


# ---- keyword forms of the core arithmetic ----

def _scaled(other, alpha):
    if alpha == 1:
        return other
    return _C.mul(other, alpha) if isinstance(other, Tensor) else other * alpha


def add(input, other, *, alpha=1):
    """input + alpha * other."""
    return _C.add(input, _scaled(other, alpha))


def sub(input, other, *, alpha=1):
    """input - alpha * other."""
    return _C.sub(input, _scaled(other, alpha))


def _is_integral(x):
    return isinstance(x, numbers.Integral) or (isinstance(x, Tensor) and not _is_float(x))


def div(input, other, *, rounding_mode=None):
    """input / other: true division, or rounded toward zero ("trunc") or down ("floor")."""
    if rounding_mode is None:
        return _C.div(input, other)
    if rounding_mode == "floor":
        return _C.floor_divide(input, other)
    if rounding_mode == "trunc":
        if _is_integral(input) and _is_integral(other):
            # integers stay integers: b divides a - fmod(a, b) exactly
            divisor = other if isinstance(other, Tensor) else _C.scalar_tensor(
                other, _C.dtype.int64)
            if bool(_C.any(_C.eq(divisor, 0)).item()):
                raise RuntimeError("div: integer division by zero (rounding_mode='trunc')")
            return _C.floor_divide(_C.sub(input, _C.fmod(input, other)), other)
        return _C.trunc(_C.div(input, other))
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


# ---- composites ----

def lerp(input, end, weight):
    """input + weight * (end - input), in PyTorch's two-sided form (exact at both ends)."""
    diff = _C.sub(end, input)
    if isinstance(weight, Tensor):
        small = _C.lt(_C.abs(weight), 0.5)
        return _C.where(small, _C.add(input, _C.mul(weight, diff)),
                        _C.sub(end, _C.mul(diff, _C.sub(1, weight))))
    if abs(weight) < 0.5:
        return _C.add(input, _C.mul(diff, weight))
    return _C.sub(end, _C.mul(diff, 1 - weight))


def _log_add(a, b, log1p_of_exp, scale):
    # max + log(1 + e^-|a - b|); where a == b (both infinite too) the difference is 0, not
    # nan, and its backward sees no nan either
    a, b = _float_like(a), _float_like(b)
    d = _C.sub(a, b)
    d = _C.where(_C.eq(a, b), _C.zeros([], d.dtype), d)
    return _C.add(_C.maximum(a, b), _C.mul(log1p_of_exp(_C.neg(_C.abs(d))), scale))


def logaddexp(input, other):
    """log(exp(input) + exp(other)) without overflow."""
    return _log_add(input, other, lambda x: _C.log1p(_C.exp(x)), 1.0)


def logaddexp2(input, other):
    """log2(2^input + 2^other) without overflow."""
    return _log_add(input, other, lambda x: _C.log1p(_C.exp2(x)), 1.0 / _LN2)


def xlogy(input, other):
    """input * log(other), and 0 where input is 0 (unless other is nan)."""
    like = input if isinstance(input, Tensor) else other
    as_tensor = lambda v: v if isinstance(v, Tensor) else _C.full([], v, like.dtype)  # noqa: E731
    x, y = _float_like(as_tensor(input)), _float_like(as_tensor(other))
    safe = _C.logical_and(_C.eq(x, 0), _C.logical_not(_C.isnan(y)))
    return _C.mul(x, _C.log(_C.where(safe, _C.ones([], y.dtype), y)))


def logit(input, eps=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    p = _float_like(input)
    if eps is not None:
        p = _C.clamp(p, eps, 1 - eps)
    return _C.log(_C.div(p, _C.sub(1, p)))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """nan, +inf and -inf replaced (by default with 0 and the dtype's largest and lowest)."""
    if not _is_float(input):
        return _C.clone(input)
    info = _finfo(input.dtype)
    posinf = info[1] if posinf is None else posinf
    neginf = -info[1] if neginf is None else neginf
    full = lambda v: _C.full([], v, input.dtype)  # noqa: E731
    out = _C.where(_C.isnan(input), full(nan), input)
    out = _C.where(_C.logical_and(_C.isinf(input), _C.gt(input, 0)), full(posinf), out)
    return _C.where(_C.logical_and(_C.isinf(input), _C.lt(input, 0)), full(neginf), out)


def _finfo(dtype):
    """(smallest normal, largest finite) of a float dtype."""
    return (1.1754943508222875e-38, 3.4028234663852886e38) if dtype == _C.dtype.float32 else (
        2.2250738585072014e-308, 1.7976931348623157e308)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    return _C.add(input, _C.mul(_C.mul(tensor1, tensor2), value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2."""
    return _C.add(input, _C.mul(_C.div(tensor1, tensor2), value))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other| elementwise (equal infinities are close)."""
    if rtol < 0 or atol < 0:
        raise ValueError(
            f"isclose: rtol and atol must be non-negative, got rtol={rtol}, atol={atol}")
    a, b = _float_like(input), _float_like(other)
    diff = _C.abs(_C.sub(a, b))
    close = _C.logical_and(_C.isfinite(diff), _C.le(diff, _C.add(_C.mul(_C.abs(b), rtol), atol)))
    close = _C.logical_or(close, _C.eq(a, b))  # equal infinities
    if equal_nan:
        close = _C.logical_or(close, _C.logical_and(_C.isnan(a), _C.isnan(b)))
    return close


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element of input is close to other's (see isclose)."""
    return bool(_C.all(isclose(input, other, rtol, atol, equal_nan)).item())


def equal(input, other):
    """True when both have the same shape and the same values."""
    return tuple(input.shape) == tuple(other.shape) and bool(_C.all(_C.eq(input, other)).item())


def deg2rad(input):
    """Degrees to radians."""
    return _C.mul(_float_like(input), math.pi / 180.0)


def rad2deg(input):
    """Radians to degrees."""
    return _C.mul(_float_like(input), 180.0 / math.pi)


def frac(input):
    """The fractional part, input - trunc(input), with the sign of input."""
    if not _is_float(input):
        raise TypeError(f"frac: only floating tensors are supported, got {input.dtype}")
    return _C.sub(input, _C.trunc(input))


def clamp_min(input, min):
    """max(input, min) elementwise."""
    return _C.maximum(input, min) if isinstance(min, Tensor) else _C.clamp(input, min, None)


def clamp_max(input, max):
    """min(input, max) elementwise."""
    return _C.minimum(input, max) if isinstance(max, Tensor) else _C.clamp(input, None, max)


def heaviside(input, values):
    """0 where input < 0, 1 where input > 0, and `values` where input == 0."""
    if input.dtype != values.dtype:
        raise TypeError(f"heaviside: input and values must have the same dtype, got "
                        f"{input.dtype} and {values.dtype}")
    step = _C.gt(input, 0).to(input.dtype)
    return _C.where(_C.eq(input, 0), values, step)


def sinc(input):
    """sin(pi x) / (pi x), and 1 at 0."""
    x = _float_like(input)
    zero = _C.eq(x, 0)
    px = _C.mul(_C.where(zero, _C.ones([], x.dtype), x), math.pi)
    return _C.where(zero, _C.ones([], x.dtype), _C.div(_C.sin(px), px))


def float_power(input, exponent):
    """input ** exponent computed in float64."""
    cast = lambda v: v.to(_C.dtype.float64) if isinstance(v, Tensor) else float(v)  # noqa: E731
    if not isinstance(input, Tensor):
        return _C.pow(_C.full([], float(input), _C.dtype.float64), cast(exponent))
    return _C.pow(cast(input), cast(exponent))


def isposinf(input):
    """True where input is +inf."""
    return _C.logical_and(_C.isinf(input), _C.gt(input, 0))


def isneginf(input):
    """True where input is -inf."""
    return _C.logical_and(_C.isinf(input), _C.lt(input, 0))


def count_nonzero(input, dim=None):
    """The number of nonzero elements (over `dim`, an int or tuple, or all)."""
    return _C.sum(_C.ne(input, 0), dim)


def nansum(input, dim=None, keepdim=False):
    """The sum with nan counted as zero."""
    if _is_float(input):
        input = _C.where(_C.isnan(input), _C.zeros([], input.dtype), input)
    return _C.sum(input, dim, keepdim)


def nanmean(input, dim=None, keepdim=False):
    """The mean of the elements that are not nan."""
    if not _is_float(input):
        raise TypeError(f"nanmean: only floating tensors are supported, got {input.dtype}")
    count = _C.sum(_C.logical_not(_C.isnan(input)), dim, keepdim)
    return _C.div(nansum(input, dim, keepdim), count.to(input.dtype))


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) together."""
    if input.numel() == 0 and dim is None:
        raise RuntimeError("aminmax: cannot compute the min and max of an empty tensor")
    return AminmaxResult(_C.amin(input, dim, keepdim), _C.amax(input, dim, keepdim))


def _var(input, dim, correction, keepdim, unbiased):
    if unbiased is not None:
        correction = 1 if unbiased else 0
    if correction in (0, 1):
        return _C.var(input, dim, bool(correction), keepdim)
    # any other correction: rescale the population variance by n / (n - correction)
    dims = range(input.dim()) if dim is None else ([dim] if isinstance(dim, int) else dim)
    n = 1
    for d in dims:
        n *= input.shape[d]
    scale = n / (n - correction) if n > correction else math.inf
    return _C.mul(_C.var(input, dim, False, keepdim), scale)


def var_mean(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    """(variance, mean) over `dim`, the variance divided by n - correction."""
    return _var(input, dim, correction, keepdim, unbiased), _C.mean(input, dim, keepdim)


def std_mean(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    """(standard deviation, mean) over `dim`, from the variance divided by n - correction."""
    var = _var(input, dim, correction, keepdim, unbiased)
    return _C.sqrt(var), _C.mean(input, dim, keepdim)


def positive(input):
    """input itself, as torch.positive (not for bool tensors)."""
    if input.dtype == _C.dtype.bool:
        raise TypeError("positive: not supported for bool tensors")
    return input


# ---- PyTorch's alias names ----

arcsin, arccos, arctan = _C.asin, _C.acos, _C.atan
arcsinh, arccosh, arctanh = _C.asinh, _C.acosh, _C.atanh
arctan2 = _C.atan2
absolute, negative, fix, sgn = _C.abs, _C.neg, _C.trunc, _C.sign
multiply, subtract, divide, true_divide = _C.mul, sub, div, _C.div
greater, greater_equal, less, less_equal, not_equal = _C.gt, _C.ge, _C.lt, _C.le, _C.ne
clip = _C.clamp

_METHODS = [
    add, sub, div, lerp, logaddexp, logaddexp2, xlogy, logit, nan_to_num, addcmul, addcdiv,
    isclose, allclose, equal, deg2rad, rad2deg, frac, clamp_min, clamp_max, heaviside, sinc,
    float_power, isposinf, isneginf, count_nonzero, nansum, nanmean, aminmax, positive,
]
for _fn in _METHODS:
    setattr(Tensor, _fn.__name__, _fn)
# the method aliases point at the bound methods (free functions do not bind self)
_METHOD_ALIASES = {
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "arctan2": "atan2", "absolute": "abs",
    "negative": "neg", "fix": "trunc", "sgn": "sign", "multiply": "mul", "true_divide": "div",
    "greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
    "not_equal": "ne",
}
for _name, _target in _METHOD_ALIASES.items():
    setattr(Tensor, _name, getattr(Tensor, _target))
Tensor.subtract, Tensor.divide = sub, div
del _fn, _name, _target
