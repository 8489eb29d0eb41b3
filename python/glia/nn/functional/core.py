"""Fused C++ ops of glia.nn.functional: linear, batch/layer norm, cross-entropy, nll, softmax."""
from glia import _C

__all__ = ["linear", "softmax", "log_softmax", "batch_norm", "layer_norm", "cross_entropy",
           "nll_loss"]

linear = _C.linear


def softmax(input, dim=-1, temperature=1.0):
    """softmax(input / temperature) along `dim`."""
    return _C.softmax(input if temperature == 1.0 else input / temperature, dim)


def log_softmax(input, dim=-1, temperature=1.0):
    return _C.log_softmax(input if temperature == 1.0 else input / temperature, dim)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalizes over dim 1 with batch statistics (training) or running ones (eval)."""
    return _C.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalizes over the trailing dims given by `normalized_shape`."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    if tuple(input.shape[-len(normalized_shape):]) != tuple(normalized_shape):
        raise ValueError(f"layer_norm: normalized_shape {tuple(normalized_shape)} does not match the "
                         f"trailing dims of input shape {tuple(input.shape)}")
    return _C.layer_norm(input, len(normalized_shape), weight, bias, eps)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy from logits (N, C[, d...]) and class indices or class probabilities."""
    return _C.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities at the target classes."""
    return _C.nll_loss(input, target, weight, ignore_index, reduction)
