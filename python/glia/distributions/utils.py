"""Helpers shared by the distributions, as torch.distributions.utils."""
import numbers

import numpy as np

import glia
from glia._C import Tensor

euler_constant = 0.57721566490153286060

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs",
           "probs_to_logits"]


def finfo(dtype):
    """numpy's finfo for a glia float dtype (eps, tiny, min)."""
    return np.finfo(np.float32 if dtype == glia.float32 else np.float64)


def broadcast_all(*values):
    """Broadcasts tensors together; numbers become tensors of the first tensor's dtype
    (float32 when all are numbers)."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number or glia.Tensor.")
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), glia.float32)
    # full, not tensor(): glia.tensor(0.3, dtype=float64) rounds through float32
    values = [v if isinstance(v, Tensor) else glia.full((), float(v), dtype=dtype) for v in values]
    shape = glia.broadcast_shapes(*[v.shape for v in values])
    return tuple(v if v.shape == shape else v.expand(shape) for v in values)


def sum_rightmost(value, dim):
    """Sums out the `dim` rightmost dimensions."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:value.dim() - dim] + (-1,)).sum(-1)


def clamp_probs(probs):
    """Clamps probabilities into [eps, 1 - eps] so their logs stay finite."""
    eps = float(finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    ps = clamp_probs(probs)
    return glia.log(ps) - glia.log1p(-ps) if is_binary else glia.log(ps)


def logits_to_probs(logits, is_binary=False):
    return glia.sigmoid(logits) if is_binary else glia.softmax(logits, -1)


class lazy_property:
    """Computes an attribute on first access and stores it on the instance (so `probs` and
    `logits` each follow from the other only when asked)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with glia.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.__name__, value)
        return value


def as_shape(shape):
    """A sample_shape (tuple, list or glia shape) as a tuple of ints."""
    return tuple(int(s) for s in shape)


def standard_normal(shape, dtype):
    return glia.randn(shape, dtype=dtype)
