"""Resampling of glia.nn.functional: interpolate (nearest, (bi/tri)linear, bicubic and area)
and pixel_shuffle / pixel_unshuffle, as in torch.nn.functional.

interpolate is separable: each spatial dim is resampled in turn with index_select (and a
weighted sum of two gathered slices for the linear modes, four for bicubic), so gradients
flow through glia's own autograd. Source indices and weights follow PyTorch's CPU kernels,
including their float32 arithmetic, so nearest picks the same pixels and linear and bicubic
the same weights. 'area' is adaptive average pooling to the output size.
"""
import math
import numbers

import numpy as np

import glia

__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle"]

# the modes that take align_corners, and the input dims each needs
_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}
_MODES = ("nearest", "nearest-exact", "area") + tuple(_LINEAR_MODES)
_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) bicubic convolution parameter


def _per_dim(value, n, name):
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"interpolate: {name} must have {n} entries for a {n + 2}-D input, "
                             f"got {tuple(value)}")
        return list(value)
    return [value] * n


def _output_sizes(input, size, scale_factor, n):
    """Output sizes and the scales the kernels use (None: derive from the sizes)."""
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: exactly one of size and scale_factor must be given")
    spatial = list(input.shape[2:])
    if size is not None:
        sizes = [int(s) for s in _per_dim(size, n, "size")]
        scales = [None] * n
    else:
        scales = [float(s) for s in _per_dim(scale_factor, n, "scale_factor")]
        if any(s <= 0 or not math.isfinite(s) for s in scales):
            raise ValueError(f"interpolate: scale_factor must be positive, got {scale_factor!r}")
        sizes = [math.floor(i * s) for i, s in zip(spatial, scales)]
    if any(s < 1 for s in sizes):
        raise ValueError(f"interpolate: output size {tuple(sizes)} must be positive (input shape "
                         f"{tuple(input.shape)})")
    return sizes, scales


def _ratio(in_size, out_size, scale, ftype):
    """PyTorch's compute_scales_value: 1/scale_factor when given, else in/out, in ftype."""
    if scale is not None and scale > 0:
        return ftype(1.0 / scale)
    return ftype(in_size) / ftype(out_size)


def _nearest_index(in_size, out_size, scale, exact, shortcuts):
    """Source index of each output position. shortcuts: PyTorch's (2.x) 2-D kernel for small
    outputs (out_h + out_w <= 128) copies when out == in and halves (o >> 1) when out == 2 in
    even if a scale_factor says otherwise (length 3, scale 1.3 gives [0, 1, 2]); its larger
    2-D outputs and its 1-D and 3-D kernels use the scale ([0, 0, 1]). Without a scale the
    shortcuts give the same indices as the formula."""
    out = np.arange(out_size)
    if not exact and shortcuts and out_size == in_size:
        return out
    if not exact and shortcuts and out_size == 2 * in_size:
        return out >> 1
    # float32 as in PyTorch's kernel: float64 would round some boundaries differently
    ratio = _ratio(in_size, out_size, scale, np.float32)
    pos = (out + 0.5) * ratio if exact else out.astype(np.float32) * ratio
    return np.minimum(np.floor(pos.astype(np.float32)).astype(np.int64), in_size - 1)


def _linear_weights(in_size, out_size, scale, align_corners, ftype):
    """(i0, i1, lambda0, lambda1) so that out[o] = lambda0 x[i0] + lambda1 x[i1]."""
    out = np.arange(out_size)
    if align_corners:
        ratio = ftype(in_size - 1) / ftype(out_size - 1) if out_size > 1 else ftype(0)
        real = ratio * out.astype(ftype)
    else:
        ratio = _ratio(in_size, out_size, scale, ftype)
        real = np.maximum(ratio * (out.astype(ftype) + ftype(0.5)) - ftype(0.5), ftype(0))
    i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    lam1 = np.clip(real - i0.astype(ftype), 0, 1).astype(ftype)
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, (ftype(1) - lam1).astype(ftype), lam1


def _cubic_weights(in_size, out_size, scale, align_corners, ftype):
    """(indices, weights), each (4, out): out[o] = sum_j weights[j, o] x[indices[j, o]], the
    taps at floor(source) - 1 ... + 2 clamped to the input (PyTorch's upsample_bicubic2d)."""
    out = np.arange(out_size).astype(ftype)
    if align_corners:
        ratio = ftype(in_size - 1) / ftype(out_size - 1) if out_size > 1 else ftype(0)
        real = ratio * out
    else:  # unlike the linear modes, a source left of the first pixel is kept
        real = _ratio(in_size, out_size, scale, ftype) * (out + ftype(0.5)) - ftype(0.5)
    i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    t = np.clip(real - i0.astype(ftype), 0, 1).astype(ftype)
    a = ftype(_CUBIC_A)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = np.stack([far(t + 1), near(t), near(1 - t), far((1 - t) + 1)]).astype(ftype)
    indices = np.clip(i0 + np.arange(-1, 3)[:, None], 0, in_size - 1)
    return indices, weights


def _broadcast_weights(w, dim, ndim, dtype):
    # shape (out, 1, ..., 1) so it multiplies along `dim` of an ndim-D tensor
    return glia.tensor(w).reshape((len(w),) + (1,) * (ndim - 1 - dim)).to(dtype)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None):
    """Resizes the spatial dims of a batched input.

    Args:
        input: (N, C, L), (N, C, H, W) or (N, C, D, H, W).
        size: output spatial size (int or one per dim); or
        scale_factor: multiplier per dim (float or one per dim); output = floor(in * scale).
        mode: 'nearest', 'nearest-exact', 'linear' (3-D), 'bilinear' (4-D), 'trilinear'
            (5-D), 'bicubic' (4-D; 4 taps with a = -0.75, may overshoot the input's range) or
            'area' (the mean of each output pixel's window: adaptive average pooling).
        align_corners: linear and bicubic modes only; True maps the corner pixel centres onto
            each other (source = o (in - 1) / (out - 1)), False (default) maps pixel areas
            (source = (o + 0.5) / scale - 0.5).
        recompute_scale_factor: True computes the source positions from the output size
            instead of the given scale_factor.
    Returns:
        (N, C, *size).
    """
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {_MODES}, got {mode!r}")
    if input.dim() not in (3, 4, 5):
        raise ValueError(f"interpolate: input must be 3-D, 4-D or 5-D (N, C, *spatial), got "
                         f"shape {tuple(input.shape)}")
    linear = mode in _LINEAR_MODES
    if linear and input.dim() != _LINEAR_MODES[mode]:
        raise ValueError(f"interpolate: mode {mode!r} needs a {_LINEAR_MODES[mode]}-D input, got "
                         f"shape {tuple(input.shape)}")
    if linear and not input.dtype.is_floating_point:
        raise TypeError(f"interpolate: mode {mode!r} needs a floating-point input, got "
                        f"{input.dtype}")
    if not linear and align_corners is not None:
        raise ValueError("interpolate: align_corners can only be set with the linear and "
                         f"bicubic modes ({', '.join(_LINEAR_MODES)}), got mode {mode!r}")
    n = input.dim() - 2
    sizes, scales = _output_sizes(input, size, scale_factor, n)
    if mode == "area":
        return glia._C.adaptive_avg_pool(input, sizes)
    if recompute_scale_factor:
        scales = [None] * n
    ftype = np.float64 if input.dtype == glia.float64 else np.float32
    out = input
    for d, (out_size, scale) in enumerate(zip(sizes, scales)):
        dim, in_size = d + 2, input.shape[d + 2]
        if not linear:
            idx = _nearest_index(in_size, out_size, scale, mode == "nearest-exact",
                                 scale is None or (input.dim() == 4 and sum(sizes) <= 128))
            out = glia.index_select(out, dim, glia.tensor(idx))
        elif mode == "bicubic":
            indices, weights = _cubic_weights(in_size, out_size, scale, bool(align_corners),
                                              ftype)
            taps = [glia.index_select(out, dim, glia.tensor(i))
                    * _broadcast_weights(w, dim, input.dim(), input.dtype)
                    for i, w in zip(indices, weights)]
            out = taps[0] + taps[1] + taps[2] + taps[3]
        elif out_size != in_size:
            i0, i1, lam0, lam1 = _linear_weights(in_size, out_size, scale, bool(align_corners),
                                                 ftype)
            x0 = glia.index_select(out, dim, glia.tensor(i0))
            x1 = glia.index_select(out, dim, glia.tensor(i1))
            out = (x0 * _broadcast_weights(lam0, dim, input.dim(), input.dtype)
                   + x1 * _broadcast_weights(lam1, dim, input.dim(), input.dtype))
    return out


def _factor(value, op, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")
    return int(value)


def pixel_shuffle(input, upscale_factor):
    """Rearranges (*, C r^2, H, W) into (*, C, H r, W r) (sub-pixel convolution upsampling).

    Output[c, h r + i, w r + j] = input[c r^2 + i r + j, h, w], as in PyTorch.
    """
    r = _factor(upscale_factor, "pixel_shuffle", "upscale_factor")
    if input.dim() < 3:
        raise ValueError(f"pixel_shuffle: input must have at least 3 dims (*, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise ValueError(f"pixel_shuffle: channels ({c}) must be divisible by upscale_factor^2 "
                         f"({r * r}), got shape {tuple(input.shape)}")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """The inverse of pixel_shuffle: (*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = _factor(downscale_factor, "pixel_unshuffle", "downscale_factor")
    if input.dim() < 3:
        raise ValueError(f"pixel_unshuffle: input must have at least 3 dims (*, C, H, W), got "
                         f"shape {tuple(input.shape)}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise ValueError(f"pixel_unshuffle: height and width ({h}, {w}) must be divisible by "
                         f"downscale_factor ({r})")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))
