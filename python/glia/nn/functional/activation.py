"""glia.nn.functional: activations, composed from glia ops (each op brings its backward).

softmax and log_softmax live in functional/core.py (fused C++ ops).
"""
import math
import warnings

import glia
from glia import _C

__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "selu", "gelu", "silu", "softplus",
           "hardtanh", "step", "relu6", "hardsigmoid", "hardswish", "mish", "prelu", "glu",
           "celu", "logsigmoid", "softsign", "softshrink", "hardshrink", "tanhshrink",
           "threshold", "softmin", "rrelu", "gumbel_softmax"]

# SELU's fixed point constants (Klambauer et al. 2017), as torch.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _inplace(input, out, inplace, op):
    """`out` written into `input` when asked, else `out`. In-place on a leaf that requires
    grad is an error, as in torch. glia's autograd has no in-place ops, so a non-leaf that
    requires grad (nn.ReLU(inplace=True) inside a model) gets the result as a new tensor:
    use the return value, as layers do; the input itself keeps its values."""
    if inplace and input.requires_grad and input.is_leaf and glia.is_grad_enabled():
        raise RuntimeError(f"{op}: inplace=True on a leaf tensor that requires grad; use "
                           f"inplace=False")
    if not inplace or (input.requires_grad and glia.is_grad_enabled()):
        return out
    input.copy_(out)
    return input


def _check_float(op, t, what="input"):
    """TypeError naming the op unless `t` is a floating-point tensor."""
    if not t.is_floating_point():
        raise TypeError(f"{op}: {what} must be a floating-point tensor, got {t.dtype}")


def _softmax_dim(name, ndim):
    """torch's legacy rule for dim=None: dim 0 for 0-, 1- and 3-D inputs, else dim 1."""
    warnings.warn(f"{name}: implicit dimension choice is deprecated; pass dim explicitly",
                  stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def relu(input, inplace=False):
    """max(x, 0); the gradient at 0 is 0, as torch."""
    return _inplace(input, glia.relu(input), inplace, "relu")


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return glia.sigmoid(input)


def tanh(input):
    return glia.tanh(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    out = glia.where(input.gt(0), input, input * negative_slope)
    return _inplace(input, out, inplace, "leaky_relu")


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    # expm1 sees min(x, 0): exp of a large positive x would be inf, and 0 * inf = NaN in the
    # backward of the branch that where() discards.
    neg = glia.expm1(glia.clamp(input, max=0.0)) * alpha
    return _inplace(input, glia.where(input.gt(0), input, neg), inplace, "elu")


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalizing constants of Klambauer et al."""
    return _inplace(input, elu(input, SELU_ALPHA) * SELU_SCALE, inplace, "selu")


def gelu(input, approximate="none"):
    """x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); with approximate='tanh',
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate in ("none", "tanh"):  # one fused pass each way (cpu/elementwise.cpp)
        return _C._gelu(input, approximate == "tanh")
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    return _inplace(input, input * glia.sigmoid(input), inplace, "silu")


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as torch).

    Computed as (max(z, 0) + log1p(exp(-|z|))) / beta with z = beta x, which never overflows.
    """
    z = input * beta if beta != 1.0 else input
    # maximum() splits the gradient 1/2-1/2 at z = 0 and |z| has gradient 0 there, so the
    # derivative at 0 is sigmoid(0) = 1/2 (relu would give 0 there).
    soft = glia.maximum(z, 0.0) + glia.log1p(glia.exp(-glia.abs(z)))
    if beta != 1.0:
        soft = soft / beta
    if threshold == math.inf:  # nothing lies above it (binary_cross_entropy_with_logits)
        return soft
    return glia.where(z.gt(threshold), input, soft)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val); the gradient is 1 strictly inside (min_val, max_val) and 0
    at and beyond the bounds, as torch (glia.clamp would pass it at the bounds)."""
    if max_val < min_val:
        raise ValueError(f"hardtanh: max_val ({max_val}) must not be less than min_val ({min_val})")
    out = glia.where(input.le(min_val), min_val, glia.where(input.ge(max_val), max_val, input))
    return _inplace(input, out, inplace, "hardtanh")


def step(input, threshold=0.0):
    """The perceptron's Heaviside step: 1.0 where x >= threshold, else 0.0 (NaN gives 0).

    The output keeps a float input's dtype (int inputs give float32). Its gradient is zero
    everywhere: the step is flat except at the jump, where no derivative exists. Gradient
    descent therefore cannot train through it; nn.Perceptron.fit uses the perceptron rule.
    """
    on = input.ge(threshold)
    if not input.is_floating_point():
        return on.to(glia.float32)
    # Two masked fills overwrite every element: the result stays in the graph with an exact
    # zero gradient (x * 0 would give NaN gradients for infinite x).
    return input.masked_fill(on, 1.0).masked_fill(on.logical_not(), 0.0)


def relu6(input, inplace=False):
    """min(max(x, 0), 6): hardtanh(x, 0, 6), so the gradient is 0 at 0 and 6, as torch."""
    if not input.is_floating_point():  # integers keep their dtype, as torch
        return _inplace(input, glia.clamp(input, 0, 6), inplace, "relu6")
    return _inplace(input, hardtanh(input, 0.0, 6.0), inplace, "relu6")


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6: 0 for x <= -3, 1 for x >= 3, linear between."""
    _check_float("hardsigmoid", input)
    return _inplace(input, hardtanh(input + 3.0, 0.0, 6.0) / 6.0, inplace, "hardsigmoid")


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6 (MobileNetV3); the gradient is 0 at -3 and 1 at 3, as torch."""
    _check_float("hardswish", input)
    out = input * hardtanh(input + 3.0, 0.0, 6.0) / 6.0
    return _inplace(input, out, inplace, "hardswish")


def mish(input, inplace=False):
    """x * tanh(softplus(x)) (Misra 2019), with the overflow-free softplus."""
    _check_float("mish", input)
    return _inplace(input, input * glia.tanh(softplus(input, 1.0, math.inf)), inplace, "mish")


def prelu(input, weight):
    """x if x > 0 else weight * x, with a learned slope.

    Args:
        input: (N, C, *), or any shape when weight has one element.
        weight: () or (1,) (one slope), or (C,) with C = input.shape[1] (1 for 0-/1-D input),
            broadcast over dim 1.
    """
    _check_float("prelu", input)
    if weight.dtype != input.dtype:
        raise TypeError(f"prelu: weight dtype {weight.dtype} does not match input dtype "
                        f"{input.dtype}")
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be a scalar or 1-D, got shape {tuple(weight.shape)}")
    n = weight.numel()
    if n == 1:
        w = weight.reshape(())
    else:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if n != channels:
            raise ValueError(f"prelu: weight has {n} slopes but the input has {channels} "
                             f"channels (input shape {tuple(input.shape)})")
        w = weight.reshape([1, n] + [1] * (input.ndim - 2))
    return glia.where(input.gt(0), input, input * w)


def glu(input, dim=-1):
    """Gated linear unit: a * sigmoid(b), with a and b the two halves of `input` along `dim`.

    Shapes: (*, 2M, *) -> (*, M, *).
    """
    _check_float("glu", input)
    nd = input.ndim
    if nd == 0:
        raise ValueError("glu: input must have at least one dim (a scalar cannot be halved)")
    if not -nd <= dim < nd:
        raise IndexError(f"glu: dim {dim} is out of range for input shape {tuple(input.shape)}")
    size = input.shape[dim]
    if size % 2:
        raise ValueError(f"glu: halving dimension must be even, but dim {dim} has size {size} "
                         f"(input shape {tuple(input.shape)})")
    half = size // 2
    return input.narrow(dim, 0, half) * glia.sigmoid(input.narrow(dim, half, half))


def celu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x / alpha) - 1) (continuously differentiable ELU)."""
    _check_float("celu", input)
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0")
    # expm1 sees min(x, 0), as in elu: the discarded branch must not overflow
    neg = glia.expm1(glia.clamp(input, max=0.0) / alpha) * alpha
    return _inplace(input, glia.where(input.gt(0), input, neg), inplace, "celu")


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow for any x."""
    _check_float("logsigmoid", input)
    return -softplus(-input, 1.0, math.inf)


def softsign(input):
    """x / (1 + |x|)."""
    return input / (glia.abs(input) + 1)


def softshrink(input, lambd=0.5):
    """x - lambd if x > lambd, x + lambd if x < -lambd, else 0 (lambd >= 0)."""
    _check_float("softshrink", input)
    if not lambd >= 0:
        raise ValueError(f"softshrink: lambd must be non-negative, got {lambd}")
    return glia.where(input.gt(lambd), input - lambd,
                      glia.where(input.lt(-lambd), input + lambd, 0.0))


def hardshrink(input, lambd=0.5):
    """x if |x| > lambd, else 0."""
    _check_float("hardshrink", input)
    return glia.where(input.gt(lambd).logical_or(input.lt(-lambd)), input, 0.0)


def tanhshrink(input):
    """x - tanh(x)."""
    return input - glia.tanh(input)


def threshold(input, threshold, value, inplace=False):
    """x if x > threshold, else value."""
    out = glia.where(input.gt(threshold), input, glia.full_like(input, value))
    return _inplace(input, out, inplace, "threshold")


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along `dim` (dim=None: torch's legacy choice, with a warning); with
    `dtype`, the input is cast first. _stacklevel is accepted for torch's signature."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    _check_float("softmin", input)
    return glia.softmax(-input, dim)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU (Xu et al. 2015): x if x > 0 else a * x.

    In training a ~ U(lower, upper) is drawn per element from glia's generator (so
    glia.manual_seed reproduces it); otherwise a = (lower + upper) / 2. The gradient at
    x = 0 is a, as torch.
    """
    _check_float("rrelu", input)
    if not lower <= upper:
        raise ValueError(f"rrelu: lower ({lower}) must not be greater than upper ({upper})")
    if not training:
        return _inplace(input, leaky_relu(input, (lower + upper) / 2), inplace, "rrelu")
    slope = glia.rand(*input.shape, dtype=input.dtype) * (upper - lower) + lower
    return _inplace(input, glia.where(input.gt(0), input, input * slope), inplace, "rrelu")


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax (concrete) distribution: softmax((logits + g) / tau)
    with g ~ Gumbel(0, 1) drawn from glia's generator.

    With hard=True the value is the one-hot of its argmax along `dim`, but the gradient is
    that of the soft sample (straight-through: y_hard - y_soft.detach() + y_soft).
    `eps` is unused, kept for torch's signature (torch deprecates it).
    """
    _check_float("gumbel_softmax", logits, "logits")
    if not tau > 0:
        raise ValueError(f"gumbel_softmax: tau must be positive, got {tau}")
    if eps != 1e-10:
        warnings.warn("gumbel_softmax: `eps` is deprecated and has no effect", stacklevel=2)
    # -log(-log(U)) with U in [0, 1): never +inf (U = 0 gives -inf, a class never picked)
    u = glia.rand(*logits.shape, dtype=logits.dtype)
    y_soft = glia.softmax((logits - glia.log(-glia.log(u))) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = glia.zeros_like(logits).scatter_add(
        dim, index, glia.ones(*index.shape, dtype=logits.dtype))
    return y_hard - y_soft.detach() + y_soft
