"""glia.nn.functional: dropout. Masks come from glia.bernoulli, so glia.manual_seed makes
them reproducible; the gradient with respect to the input is mask * scale."""
import math
import numbers

import glia
from glia.nn.functional.activation import _inplace

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

# SELU_SCALE * SELU_ALPHA: SELU tends to minus this as x -> -inf (torch's constant).
_ALPHA_PRIME = 1.7580993408473766


def _check_p(p, name, arg="dropout probability"):
    """Raises a ValueError naming the op (and its argument) unless p is a number in [0, 1]."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: {arg} has to be a number between 0 and 1, but got {p!r}")


def _scaled_mask(input, shape, p):
    """Keep-mask of `shape` (broadcastable to input) already multiplied by 1 / (1 - p)."""
    if p == 1.0:
        return glia.zeros(shape, dtype=input.dtype)
    return glia.bernoulli(glia.full(shape, 1.0 - p, dtype=input.dtype)) * (1.0 / (1.0 - p))


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability p and scales the rest by 1 / (1 - p), so the
    expected value is unchanged ("inverted" dropout). Identity when not training or p = 0.

    Args:
        input: any shape (*).
        p: probability of zeroing an element, in [0, 1]; p = 1 gives zeros.
    """
    _check_p(p, "dropout")
    if not training or p == 0.0 or input.numel() == 0:
        return input  # nothing is written, so inplace needs no check (as torch)
    return _inplace(input, input * _scaled_mask(input, input.shape, p), inplace, "dropout")


def _feature_dropout(input, p, training, inplace, op, spatial, layouts):
    """Channel dropout: one keep/drop draw per (sample, channel), shared by the `spatial`
    trailing dims; an input with one dim fewer is a single unbatched sample."""
    _check_p(p, op)
    if input.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"{op}: input must be {spatial + 1}-D {layouts[0]} or {spatial + 2}-D "
                         f"{layouts[1]}, got shape {tuple(input.shape)}")
    if not training or p == 0.0 or input.numel() == 0:
        return input  # nothing is written, so inplace needs no check (as torch)
    shape = tuple(input.shape[:-spatial]) + (1,) * spatial
    return _inplace(input, input * _scaled_mask(input, shape, p), inplace, op)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels with probability p and scales the rest by 1 / (1 - p).

    Args:
        input: (N, C, L), or (C, L) read as one unbatched sample.
    """
    return _feature_dropout(input, p, training, inplace, "dropout1d", 1,
                            ("(C, L)", "(N, C, L)"))


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels with probability p and scales the rest by 1 / (1 - p).

    Args:
        input: (N, C, H, W), or (C, H, W) read as one unbatched sample. (torch 2.13 still
            reads a 3-D input as (N, C, L) and warns that this will change; glia does what
            it announces.)
    """
    return _feature_dropout(input, p, training, inplace, "dropout2d", 2,
                            ("(C, H, W)", "(N, C, H, W)"))


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels with probability p and scales the rest by 1 / (1 - p).

    Args:
        input: (N, C, D, H, W), or (C, D, H, W) read as one unbatched sample.
    """
    return _feature_dropout(input, p, training, inplace, "dropout3d", 3,
                            ("(C, D, H, W)", "(N, C, D, H, W)"))


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps zero mean and unit variance of its input.

    Dropped elements are set to SELU's negative saturation -alpha' (alpha' ~ 1.7581), then
    an affine map a * x + b restores the moments (as torch):
        a = ((1 - p) (1 + p alpha'^2))^(-1/2),   b = a alpha' p,
        out = a * (m x + (m - 1) alpha') + b,    m ~ Bernoulli(1 - p).
    Identity when not training (torch's default training=False) or p = 0; p = 1 gives zeros.
    """
    return _alpha_dropout(input, p, training, inplace, "alpha_dropout", tuple(input.shape))


def _alpha_dropout(input, p, training, inplace, op, mask_shape):
    _check_p(p, op)
    if not training or p == 0.0 or input.numel() == 0:
        return input  # nothing is written, so inplace needs no check (as torch)
    if p == 1.0:
        return _inplace(input, input * 0.0, inplace, op)
    a = 1.0 / math.sqrt((_ALPHA_PRIME * _ALPHA_PRIME * p + 1.0) * (1.0 - p))
    keep = glia.bernoulli(glia.full(mask_shape, 1.0 - p, dtype=input.dtype))
    shift = (keep - 1.0) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    return _inplace(input, input * (keep * a) + shift, inplace, op)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels: one keep/drop draw per (dim 0, dim 1) entry, shared by
    the remaining dims, as torch (so an unbatched (C, *) input draws per (C, first spatial
    index) too). A dropped channel is set to -alpha' before the same affine map as
    alpha_dropout. Identity when not training (the default) or p = 0.

    Args:
        input: (N, C, *) with at least 2 dims.
    """
    if input.ndim < 2:
        raise ValueError(f"feature_alpha_dropout: input must have at least 2 dims (N, C, *), "
                         f"got shape {tuple(input.shape)}")
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _alpha_dropout(input, p, training, inplace, "feature_alpha_dropout", shape)
