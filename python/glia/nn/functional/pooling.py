"""Pooling of glia.nn.functional, as in torch.nn.functional.

Max, average and adaptive pooling call the fused C++ ops (glia._C.max_pool, avg_pool,
adaptive_max_pool, adaptive_avg_pool); min, Lp and global pooling and max-unpooling are
composed from differentiable glia ops.
"""
import math
import numbers

import glia
from glia import _C
from glia.nn.functional.conv import _ntuple

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "avg_pool1d",
           "avg_pool2d", "avg_pool3d", "global_avg_pool2d", "global_max_pool2d", "lp_pool1d",
           "lp_pool2d", "lp_pool3d", "max_pool1d", "max_pool2d", "max_pool3d", "max_unpool1d",
           "max_unpool2d", "max_unpool3d", "min_pool2d"]


def _spatial(input, n, op):
    """The last n dims of an (N, C, *n) or (C, *n) input."""
    if input.dim() not in (n + 1, n + 2):
        raise ValueError(f"{op}: input must be {n + 1}-D or {n + 2}-D, got shape "
                         f"{tuple(input.shape)}")
    return list(input.shape[-n:])


def _stride(stride, kernel, n, op):
    # None (or an empty list, as PyTorch allows) means stride = kernel_size
    if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0):
        return list(kernel)
    return _ntuple(stride, n, op, "stride", 1)


def _check_output_size(spatial, kernel, stride, padding, dilation, ceil_mode, op):
    """Raises if a window does not fit the padded input (PyTorch's pooling_output_shape)."""
    for size, k, s, p, d in zip(spatial, kernel, stride, padding, dilation):
        out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1  # the last window may not start inside the right padding
        if out < 1:
            raise ValueError(f"{op}: kernel_size {tuple(kernel)} (dilation {tuple(dilation)}) is "
                             f"larger than the padded input {tuple(spatial)} + 2 * padding "
                             f"{tuple(padding)}")


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n, op):
    spatial = _spatial(input, n, op)
    kernel = _ntuple(kernel_size, n, op, "kernel_size", 1)
    stride = _stride(stride, kernel, n, op)
    padding = _ntuple(padding, n, op, "padding", 0)
    dilation = _ntuple(dilation, n, op, "dilation", 1)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {tuple(padding)} should be at most half of the kernel "
                         f"size {tuple(kernel)}")
    _check_output_size(spatial, kernel, stride, padding, dilation, ceil_mode, op)
    values, indices = _C.max_pool(input, kernel, stride, padding, dilation, ceil_mode)
    return (values, indices) if return_indices else values


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling.

    Args:
        input: (N, C, L) or (C, L).
        kernel_size, stride (default kernel_size), padding (implicit -inf, at most half the
            kernel), dilation: int or 1-tuple.
        ceil_mode: round the output size up instead of down.
        return_indices: also return the argmax, flattened within each plane (for max_unpool1d);
            -1 where a window covers only padding (its value is -inf).
    Returns:
        (N, C, L_out), L_out = floor((L + 2p - d(k - 1) - 1) / s) + 1 (ceil in ceil_mode);
        with return_indices, (values, int64 indices).
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     1, "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over (N, C, H, W) or (C, H, W); arguments as max_pool1d, each an int
    or a pair. Indices are flattened within each H x W plane, as in PyTorch."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     2, "max_pool2d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W); arguments as max_pool1d, each an
    int or a triple."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     3, "max_pool3d")


def min_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D min pooling: -max_pool2d(-input); padding counts as +inf. Arguments as max_pool2d."""
    out = _max_pool(-input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2,
                    "min_pool2d")
    return (-out[0], out[1]) if return_indices else -out


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, n, op):
    spatial = _spatial(input, n, op)
    kernel = _ntuple(kernel_size, n, op, "kernel_size", 1)
    stride = _stride(stride, kernel, n, op)
    padding = _ntuple(padding, n, op, "padding", 0)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {tuple(padding)} should be at most half of the kernel "
                         f"size {tuple(kernel)}")
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{op}: divisor_override must be positive, got {divisor_override}")
    _check_output_size(spatial, kernel, stride, padding, [1] * n, ceil_mode, op)
    return _C.avg_pool(input, kernel, stride, padding, ceil_mode, count_include_pad,
                       divisor_override or 0)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """1-D average pooling.

    Args:
        input: (N, C, L) or (C, L).
        kernel_size, stride (default kernel_size), padding (zeros, at most half the kernel):
            int or 1-tuple.
        ceil_mode: round the output size up.
        count_include_pad: divide by the whole window, padding included (else by the number
            of input elements in it).
        divisor_override: divide every window sum by this instead.
    Returns:
        (N, C, L_out), L_out = floor((L + 2p - k) / s) + 1.
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 1, "avg_pool1d")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling over (N, C, H, W) or (C, H, W); arguments as avg_pool1d."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W); arguments as avg_pool1d."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3, "avg_pool3d")


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, n, op):
    kernel = _ntuple(kernel_size, n, op, "kernel_size", 1)
    if norm_type == math.inf:
        return _max_pool(input.abs(), kernel, stride, 0, 1, ceil_mode, False, n, op)
    if norm_type == -math.inf:
        return -_max_pool(-input.abs(), kernel, stride, 0, 1, ceil_mode, False, n, op)
    out = _avg_pool(input.pow(norm_type), kernel, stride, 0, ceil_mode, True, None, n, op)
    # sign * relu(|.|) keeps PyTorch's formula: the gradient is 0 where the window sum is 0
    return (glia.sign(out) * glia.relu(out.abs())).mul(math.prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling: (sum over the window of x^p)^(1/p).

    Args:
        input: (N, C, L) or (C, L).
        norm_type: p; inf gives max pooling of |x|.
        kernel_size, stride (default kernel_size): int or 1-tuple; no padding.
        ceil_mode: round the output size up.
    Returns:
        (N, C, L_out).
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling over (N, C, H, W) or (C, H, W); arguments as lp_pool1d."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """3-D power-average pooling over (N, C, D, H, W) or (C, D, H, W); arguments as lp_pool1d,
    with triples."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, "lp_pool3d")


def _adaptive_size(output_size, spatial, n, op):
    """output_size as n ints; None entries keep the input size."""
    if output_size is None or isinstance(output_size, numbers.Integral):
        sizes = [output_size] * n
    else:
        sizes = list(output_size)
        if len(sizes) != n:
            raise ValueError(f"{op}: output_size must be an int or a tuple of {n} ints (or None), "
                             f"got {output_size!r}")
    sizes = [s if v is None else int(v) for v, s in zip(sizes, spatial)]
    if any(v < 1 for v in sizes):
        raise ValueError(f"{op}: output_size must be positive, got {tuple(sizes)}")
    return sizes


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) or (C, L) to (N, C, output_size) with windows
    [floor(i L / out), ceil((i + 1) L / out))."""
    sizes = _adaptive_size(output_size, _spatial(input, 1, "adaptive_avg_pool1d"), 1,
                           "adaptive_avg_pool1d")
    return _C.adaptive_avg_pool(input, sizes)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of (N, C, H, W) or (C, H, W) to output_size (an int, or a pair whose
    None entries keep the input size)."""
    sizes = _adaptive_size(output_size, _spatial(input, 2, "adaptive_avg_pool2d"), 2,
                           "adaptive_avg_pool2d")
    return _C.adaptive_avg_pool(input, sizes)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) or (C, L) to (N, C, output_size); with return_indices, also
    the int64 argmax within each plane."""
    sizes = _adaptive_size(output_size, _spatial(input, 1, "adaptive_max_pool1d"), 1,
                           "adaptive_max_pool1d")
    values, indices = _C.adaptive_max_pool(input, sizes)
    return (values, indices) if return_indices else values


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling of (N, C, H, W) or (C, H, W) to output_size (int or pair, None keeps the
    input size); with return_indices, also the argmax flattened within each plane."""
    sizes = _adaptive_size(output_size, _spatial(input, 2, "adaptive_max_pool2d"), 2,
                           "adaptive_max_pool2d")
    values, indices = _C.adaptive_max_pool(input, sizes)
    return (values, indices) if return_indices else values


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to output_size (an int, or a triple
    whose None entries keep the input size)."""
    sizes = _adaptive_size(output_size, _spatial(input, 3, "adaptive_avg_pool3d"), 3,
                           "adaptive_avg_pool3d")
    return _C.adaptive_avg_pool(input, sizes)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to output_size (int or triple, None keeps
    the input size); with return_indices, also the argmax flattened within each D x H x W
    volume."""
    sizes = _adaptive_size(output_size, _spatial(input, 3, "adaptive_max_pool3d"), 3,
                           "adaptive_max_pool3d")
    values, indices = _C.adaptive_max_pool(input, sizes)
    return (values, indices) if return_indices else values


def _unpool_size(spatial, kernel, stride, padding, output_size, n, op):
    """PyTorch's _unpool_output_size: the default size or a checked explicit one."""
    default = [(i - 1) * s + k - 2 * p for i, k, s, p in zip(spatial, kernel, stride, padding)]
    if output_size is None:
        sizes = default
    else:
        sizes = [int(v) for v in output_size]
        if len(sizes) in (n + 1, n + 2):
            sizes = sizes[-n:]  # a full (N, C, *) or (C, *) shape
        if len(sizes) != n:
            raise ValueError(f"{op}: output_size must have {n} or {n + 2} entries, got "
                             f"{tuple(output_size)}")
        for d, (v, base, s) in enumerate(zip(sizes, default, stride)):
            if not base - s < v < base + s:
                raise ValueError(f"{op}: invalid output_size {tuple(sizes)} (dim {d} must be "
                                 f"between {base - s} and {base + s}, exclusive)")
    if any(v < 1 for v in sizes):
        raise ValueError(f"{op}: the output size {tuple(sizes)} must be positive")
    return sizes


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, n, op):
    spatial = _spatial(input, n, op)
    if tuple(indices.shape) != tuple(input.shape):
        raise ValueError(f"{op}: indices of shape {tuple(indices.shape)} must match the input "
                         f"shape {tuple(input.shape)}")
    if indices.dtype != glia.int64:
        raise TypeError(f"{op}: indices must be int64, got {indices.dtype}")
    kernel = _ntuple(kernel_size, n, op, "kernel_size", 1)
    stride = _stride(stride, kernel, n, op)
    padding = _ntuple(padding, n, op, "padding", 0)
    sizes = _unpool_size(spatial, kernel, stride, padding, output_size, n, op)
    lead = tuple(input.shape[:-n])
    planes, plane_in, plane_out = math.prod(lead), math.prod(spatial), math.prod(sizes)
    idx = indices.reshape(planes, plane_in)
    if idx.numel() and (idx.amin().item() < 0 or idx.amax().item() >= plane_out):
        raise IndexError(f"{op}: indices must lie in [0, {plane_out}) for output size "
                         f"{tuple(sizes)}, got values in [{idx.amin().item()}, "
                         f"{idx.amax().item()}]")
    src = input.reshape(planes, plane_in)
    out = glia.scatter_add(glia.zeros(planes, plane_out, dtype=input.dtype), 1, idx, src)
    with glia.no_grad():
        counts = glia.scatter_add(glia.zeros(planes, plane_out, dtype=input.dtype), 1, idx,
                                  glia.ones(planes, plane_in, dtype=input.dtype))
    if idx.numel() and counts.amax().item() > 1:
        # overlapping windows can pick one element twice: PyTorch writes it once and sends
        # its gradient to every copy, so divide the value but not the gradient
        out = (out / counts.clamp(min=1)).detach() + (out - out.detach())
    return out.reshape(lead + tuple(sizes))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: puts each value at its argmax, zeros elsewhere.

    Args:
        input: (N, C, L) or (C, L), the pooled values.
        indices: int64, shaped as input, from max_pool1d(..., return_indices=True).
        kernel_size, stride (default kernel_size), padding: those of the max pooling.
        output_size: the size to restore (ambiguous when the pooling floored), as L_out or
            the full shape.
    Returns:
        (N, C, L_out), L_out = (L - 1)s - 2p + k by default.
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1,
                       "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d over (N, C, H, W) or (C, H, W); arguments as
    max_unpool1d, with pairs. Differentiable in input (gradients gather at the indices)."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2,
                       "max_unpool2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d over (N, C, D, H, W) or (C, D, H, W); arguments as
    max_unpool1d, with triples; indices flattened within each D x H x W volume."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3,
                       "max_unpool3d")


def _global_dims(input, op):
    if input.dim() not in (3, 4):
        raise ValueError(f"{op}: input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    return (-2, -1)


def global_avg_pool2d(input, keepdim=False):
    """The mean over H and W: (N, C, H, W) -> (N, C), or (N, C, 1, 1) with keepdim."""
    return input.mean(_global_dims(input, "global_avg_pool2d"), keepdim=keepdim)


def global_max_pool2d(input, keepdim=False):
    """The max over H and W: (N, C, H, W) -> (N, C), or (N, C, 1, 1) with keepdim. Ties share
    the gradient equally (as amax)."""
    return input.amax(_global_dims(input, "global_max_pool2d"), keepdim=keepdim)
