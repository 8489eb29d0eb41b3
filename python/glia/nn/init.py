"""glia.nn.init: in-place weight initialisers, as torch.nn.init.

Every function fills its tensor in place under no_grad (so it works on Parameters) and
returns it. Random values come from glia's generator (glia.rand/randn), so
glia.manual_seed makes initialisation reproducible.
"""
import math

import numpy as np

import glia

__all__ = [
    "calculate_gain",
    "constant_",
    "eye_",
    "glorot_normal_",
    "glorot_uniform_",
    "he_normal_",
    "he_uniform_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_LINEAR_GAIN = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (as torch.nn.init.calculate_gain).

    Args:
        nonlinearity: 'linear', 'conv*d', 'sigmoid', 'tanh', 'relu', 'leaky_relu' or 'selu'.
        param: the negative slope for 'leaky_relu' (default 0.01).
    """
    if nonlinearity in _LINEAR_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4  # keeps the variance of the forward pass, as PyTorch does
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel); needs at least 2 dims."""
    if tensor.dim() < 2:
        raise ValueError("fan in and fan out can not be computed for a tensor with fewer than "
                         f"2 dimensions (got shape {tuple(tensor.shape)})")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill_from(tensor, values):
    """Copies `values` (a glia tensor of the same shape) into `tensor` without tracking."""
    with glia.no_grad():
        tensor.copy_(values)
    return tensor


def _float_dtype(tensor):
    # draw float64 samples for float64 tensors, float32 otherwise
    return glia.float64 if tensor.dtype == glia.float64 else glia.float32


def uniform_(tensor, a=0.0, b=1.0):
    """Fills `tensor` with samples of U(a, b)."""
    u = glia.rand(tuple(tensor.shape), dtype=_float_dtype(tensor))
    return _fill_from(tensor, u * (b - a) + a)


def normal_(tensor, mean=0.0, std=1.0):
    """Fills `tensor` with samples of N(mean, std^2)."""
    z = glia.randn(tuple(tensor.shape), dtype=_float_dtype(tensor))
    return _fill_from(tensor, z * std + mean)


# Acklam's rational approximations of the standard normal quantile (relative error < 1.2e-9)
_Q_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
        1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_Q_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
        6.680131188771972e+01, -1.328068155288572e+01, 1.0)
_Q_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
        -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_Q_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
        3.754408661907416e+00, 1.0)


def _poly(coeffs, x):
    out = np.zeros_like(x)
    for c in coeffs:
        out = out * x + c
    return out


def _ndtri(p):
    """Standard normal quantile of a float64 array p in (0, 1) (NumPy has none).

    Acklam's approximation, then one Halley step on glia.erf in the central region where
    the CDF is well conditioned; tails keep the ~1e-9 relative accuracy of the rational fit.
    """
    p = np.clip(p, np.finfo(np.float64).tiny, 1.0 - np.finfo(np.float64).epsneg)
    lower = np.sqrt(-2.0 * np.log(p))
    upper = np.sqrt(-2.0 * np.log1p(-p))
    r = (p - 0.5) ** 2
    x = np.where(p < 0.02425, _poly(_Q_C, lower) / _poly(_Q_D, lower),
                 np.where(p > 1 - 0.02425, -_poly(_Q_C, upper) / _poly(_Q_D, upper),
                          (p - 0.5) * _poly(_Q_A, r) / _poly(_Q_B, r)))
    central = np.abs(x) < 3.0
    xc = np.where(central, x, 0.0)  # keeps exp() finite where no step is taken
    cdf = 0.5 * (1.0 + glia.erf(glia.from_numpy(xc / math.sqrt(2.0))).numpy())
    u = (cdf - p) * math.sqrt(2 * math.pi) * np.exp(xc * xc / 2)
    return np.where(central, xc - u / (1 + xc * u / 2), x)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """Fills `tensor` with N(mean, std^2) samples truncated to [a, b] (absolute bounds).

    Uses the inverse-CDF method, as PyTorch: a uniform sample between the normal CDF at a
    and at b, mapped back through the normal quantile, so no sample is ever rejected.
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    alpha, beta = (a - mean) / std, (b - mean) / std
    # an interval in the upper tail is sampled mirrored, where small CDF values stay exact
    flip = alpha > 0
    if flip:
        alpha, beta = -beta, -alpha

    def norm_cdf(x):
        return 0.5 * math.erfc(-x / math.sqrt(2.0))

    lo, hi = norm_cdf(alpha), norm_cdf(beta)
    u = glia.rand(tuple(tensor.shape), dtype=glia.float64).numpy()
    z = np.clip(_ndtri(lo + u * (hi - lo)), alpha, beta)
    x = np.clip((-z if flip else z) * std + mean, a, b)
    return _fill_from(tensor, glia.from_numpy(x))


def constant_(tensor, val):
    """Fills `tensor` with the value `val`."""
    with glia.no_grad():
        tensor.fill_(val)
    return tensor


def zeros_(tensor):
    """Fills `tensor` with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fills `tensor` with 1."""
    return constant_(tensor, 1.0)


def eye_(tensor):
    """Fills a 2-D `tensor` with the identity (ones on the main diagonal)."""
    if tensor.dim() != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}")
    return _fill_from(tensor, glia.eye(*tensor.shape, dtype=tensor.dtype))


def xavier_uniform_(tensor, gain=1.0):
    """Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).

    Args:
        tensor: at least 2-D, shaped (out, in, *kernel).
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    Args:
        a: negative slope of the leaky ReLU that follows (only for 'leaky_relu').
        mode: 'fan_in' keeps the forward variance, 'fan_out' the backward one.
    """
    if tensor.numel() == 0:
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    if tensor.numel() == 0:
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def orthogonal_(tensor, gain=1.0):
    """Fills `tensor` (at least 2-D, seen as rows x rest) with a (semi-)orthogonal matrix
    times `gain`: Q of the QR of a normal matrix, signs fixed by diag(R) so Q is uniform."""
    if tensor.dim() < 2:
        raise ValueError("orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = glia.randn(rows, cols, dtype=glia.float64).numpy()
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    q = np.ascontiguousarray(q).reshape(tuple(tensor.shape)) * gain
    return _fill_from(tensor, glia.from_numpy(q))


# Keras-style names
glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_
he_uniform_ = kaiming_uniform_
he_normal_ = kaiming_normal_
