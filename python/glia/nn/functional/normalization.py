"""glia.nn.functional: group, instance and local response normalization.

batch_norm and layer_norm are fused C++ ops in functional/core.py; group_norm and
instance_norm reuse them on reshaped views, so they get fused backwards too.
"""
import numbers

import glia
from glia import _C
from glia.nn.functional.activation import _check_float

__all__ = ["group_norm", "instance_norm", "local_response_norm", "normalize", "rms_norm"]

# torch.finfo(dtype).eps, rms_norm's default eps
_FINFO_EPS = {_C.dtype.float32: 2.0 ** -23, _C.dtype.float64: 2.0 ** -52}


def _channel_view(t, ndim):
    """A (C,) tensor shaped (1, C, 1, ..., 1) to broadcast over an ndim-D (N, C, *) input."""
    return t.reshape([1, -1] + [1] * (ndim - 2))


def _check_per_channel(op, input, **tensors):
    """Each given tensor must be (C,) for an (N, C, *) input; a (1,) one would broadcast."""
    c = input.shape[1]
    for name, t in tensors.items():
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},) for input of shape "
                             f"{tuple(input.shape)}, got {tuple(t.shape)}")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalizes each sample over groups of C / num_groups channels (and all spatial dims):
        y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias,
    with mean and biased variance per (sample, group), weight and bias per channel.

    Args:
        input: (N, C, *) with C divisible by num_groups.
        weight, bias: (C,) or None.
    """
    if input.ndim < 2:
        raise ValueError(f"group_norm: input must be (N, C, *), got shape {tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups != 0:
        raise ValueError(f"group_norm: {c} channels are not divisible into {num_groups} groups "
                         f"(input shape {tuple(input.shape)})")
    _check_per_channel("group_norm", input, weight=weight, bias=bias)
    # Each (sample, group) is one row: layer norm over the last dim is exactly group norm.
    rows = input.reshape(n, num_groups, -1)
    out = _C.layer_norm(rows, 1, None, None, eps).reshape(list(input.shape))
    if weight is not None:
        out = out * _channel_view(weight, input.ndim)
    if bias is not None:
        out = out + _channel_view(bias, input.ndim)
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalizes each (sample, channel) over its spatial dims:
        y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias.

    As torch, this is batch norm on the (1, N * C, *) view: with use_input_stats the
    statistics are the input's own, and running_mean/var (C,), if given, move towards the
    batch average of them with `momentum`; without, the running statistics normalize.

    Args:
        input: (N, C, *) with at least one spatial dim.
        running_mean, running_var: (C,) or None, updated in place.
        weight, bias: (C,) or None.
    """
    if input.ndim < 3:
        raise ValueError(f"instance_norm: input must be (N, C, *) with spatial dims, got shape "
                         f"{tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if use_input_stats and input.numel() // max(n * c, 1) <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element when training, "
                         f"got input shape {tuple(input.shape)}")
    _check_per_channel("instance_norm", input, running_mean=running_mean,
                       running_var=running_var, weight=weight, bias=bias)

    def per_instance(t):  # (C,) -> (N * C,), the layout of the (1, N * C, *) view
        # contiguous: with C == 1 the reshape would be a stride-0 view batch_norm cannot update
        return None if t is None else t.unsqueeze(0).expand(n, c).contiguous().reshape(n * c)

    rm, rv = per_instance(running_mean), per_instance(running_var)
    x = input.reshape([1, n * c] + list(input.shape[2:]))
    out = _C.batch_norm(x, rm, rv, per_instance(weight), per_instance(bias), use_input_stats,
                        momentum, eps)
    if use_input_stats:
        # batch_norm moved the N copies of the running statistics; keep their average.
        with glia.no_grad():
            if running_mean is not None:
                running_mean.copy_(rm.reshape(n, c).mean(0))
            if running_var is not None:
                running_var.copy_(rv.reshape(n, c).mean(0))
    return out.reshape(list(input.shape))


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalizes each element by its neighbours across channels (Krizhevsky et al. 2012):
        y_c = x_c / (k + alpha / size * sum_{c' in window(c)} x_{c'}^2)^beta,
    the window spanning channels c - size // 2 .. c + (size - 1) // 2, zero-padded at the
    edges (and always divided by `size`, as torch).

    Args:
        input: (N, C, *) with at least one dim after C.
    """
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3-D or higher input (N, C, *), got "
                         f"shape {tuple(input.shape)}")
    if size < 1:
        raise ValueError(f"local_response_norm: size must be at least 1, got {size}")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    parts = []
    for pad in (size // 2, (size - 1) // 2):
        shape = list(input.shape)
        shape[1] = pad
        parts.append(glia.zeros(shape, dtype=input.dtype) if pad else None)
    padded = glia.cat([t for t in (parts[0], sq, parts[1]) if t is not None], 1)
    # Sum of `size` shifted slices: a sliding window over channels without a pooling op.
    window = padded.narrow(1, 0, c)
    for i in range(1, size):
        window = window + padded.narrow(1, i, c)
    return input / (window * (alpha / size) + k) ** beta


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(||x||_p, eps) along `dim` (as torch: the clamp keeps zero vectors at zero).

    Args:
        input: any shape with a dim `dim`.
        p: the norm degree (>= 0; inf for the max norm).
        eps: the smallest denominator (>= 0).
    """
    _check_float("normalize", input)
    if not p >= 0:
        raise ValueError(f"normalize: p must be non-negative, got {p}")
    if not eps >= 0:
        raise ValueError(f"normalize: eps must be non-negative, got {eps}")
    nd = max(input.ndim, 1)
    if not -nd <= dim < nd:
        raise IndexError(f"normalize: dim {dim} is out of range for input shape "
                         f"{tuple(input.shape)}")
    return input / glia.clamp_min(glia.norm(input, p, dim, keepdim=True), eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalization (Zhang & Sennrich 2019) over the trailing dims:
        y = x / sqrt(mean(x^2) + eps) * weight.

    Args:
        input: (*, *normalized_shape).
        normalized_shape: int or tuple, the trailing shape to normalize over.
        weight: None or a tensor of shape normalized_shape and the input's dtype.
        eps: added to the mean square; None uses torch.finfo(input.dtype).eps.
    """
    _check_float("rms_norm", input)
    shape = ((normalized_shape,) if isinstance(normalized_shape, numbers.Integral)
             else tuple(normalized_shape))
    k = len(shape)
    if k == 0:
        raise ValueError("rms_norm: normalized_shape must have at least one dim, got ()")
    if input.ndim < k or tuple(input.shape[-k:]) != shape:
        raise ValueError(f"rms_norm: normalized_shape {shape} does not match the trailing dims "
                         f"of input shape {tuple(input.shape)}")
    if weight is not None:
        if weight.dtype != input.dtype:
            raise TypeError(f"rms_norm: weight dtype {weight.dtype} does not match input dtype "
                            f"{input.dtype}")
        if tuple(weight.shape) != shape:
            raise ValueError(f"rms_norm: weight shape {tuple(weight.shape)} must equal "
                             f"normalized_shape {shape}")
    if eps is None:
        eps = _FINFO_EPS[input.dtype]
    elif not eps >= 0:
        raise ValueError(f"rms_norm: eps must be non-negative, got {eps}")
    dims = tuple(range(-k, 0))
    out = input * glia.rsqrt(glia.square(input).mean(dims, keepdim=True) + eps)
    return out if weight is None else out * weight
