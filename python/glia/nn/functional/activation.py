"""glia.nn.functional: activations, composed from glia ops (each op brings its backward).

softmax and log_softmax live in functional/core.py (fused C++ ops).
"""
import math

import glia

__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "selu", "gelu", "silu", "softplus",
           "hardtanh", "step"]

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
    if approximate == "none":
        return input * 0.5 * (glia.erf(input * math.sqrt(0.5)) + 1.0)
    if approximate == "tanh":
        # 0.5 (1 + tanh(u)) = sigmoid(2u): no cancellation near tanh = -1 for negative x
        inner = (input + input * input * input * 0.044715) * math.sqrt(8.0 / math.pi)
        return input * glia.sigmoid(inner)
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
