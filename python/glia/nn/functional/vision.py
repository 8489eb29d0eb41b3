"""Resampling of glia.nn.functional: interpolate (nearest, (bi/tri)linear, bicubic and area),
pixel_shuffle / pixel_unshuffle, channel_shuffle, and the spatial-transformer pair affine_grid /
grid_sample, as in torch.nn.functional.

interpolate is separable: each spatial dim is resampled in turn with index_select (and a
weighted sum of two gathered slices for the linear modes, four for bicubic), so gradients
flow through glia's own autograd. Source indices and weights follow PyTorch's CPU kernels,
including their float32 arithmetic, so nearest picks the same pixels and linear and bicubic
the same weights. 'area' is adaptive average pooling to the output size.

grid_sample gathers the 2^n (bilinear), 1 (nearest) or 16 (bicubic) taps around each source
point from the flattened input and weights them; the integer tap positions are computed from
the detached coordinates, the weights from the differentiable ones, so gradients reach the
input (through gather) and the grid (through the weights), as PyTorch's kernels define them.
"""
import math
import numbers

import numpy as np

import glia
from glia.nn.functional.activation import _check_float

__all__ = ["affine_grid", "channel_shuffle", "grid_sample", "interpolate", "pixel_shuffle",
           "pixel_unshuffle"]

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


def channel_shuffle(input, groups):
    """Interleaves the channels of g groups (ShuffleNet): (N, C, *) viewed as (N, g, C / g, *)
    is transposed to (N, C / g, g, *) and flattened back, so output channel b g + a holds
    input channel a (C / g) + b (member b of group a).

    Args:
        input: (N, C, *) with at least 3 dims, C divisible by groups.
        groups: a positive int.
    """
    g = _factor(groups, "channel_shuffle", "groups")
    if input.dim() < 3:
        raise ValueError(f"channel_shuffle: input must have at least 3 dims (N, C, *), got shape "
                         f"{tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if c % g:
        raise ValueError(f"channel_shuffle: channels ({c}) must be divisible by groups ({g}), got "
                         f"shape {tuple(input.shape)}")
    x = input.reshape(n, g, c // g, -1).permute(0, 2, 1, 3)
    return x.reshape(tuple(input.shape))


# ---- spatial transformers: affine_grid and grid_sample ----

_GRID_MODES = ("bilinear", "nearest", "bicubic")
_GRID_PADDING = ("zeros", "border", "reflection")


def _base_coords(steps, align_corners, dtype):
    """PyTorch's linspace_from_neg_one: the normalized centres of `steps` pixels."""
    if steps <= 1:
        return np.zeros(max(steps, 0), dtype)
    grid = np.linspace(-1.0, 1.0, steps).astype(dtype)
    if not align_corners:
        grid = (grid * dtype(steps - 1) / dtype(steps)).astype(dtype)
    return grid


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps, for grid_sample.

    Args:
        theta: (N, 2, 3) for 2-D outputs, (N, 3, 4) for 3-D ones; maps output coordinates
            (x, y[, z], 1), normalized to [-1, 1], to input coordinates.
        size: the output shape (N, C, H, W) or (N, C, D, H, W).
        align_corners: as grid_sample; True puts -1 and 1 at the corner pixels' centres,
            False (the default, for None too) at their outer edges.
    Returns:
        (N, H, W, 2) or (N, D, H, W, 3): grid[n, h, w] = theta[n] @ (x_w, y_h, 1).
    """
    _check_float("affine_grid", theta, "theta")
    size = [int(s) for s in size]
    if len(size) not in (4, 5):
        raise ValueError(f"affine_grid: size must be (N, C, H, W) or (N, C, D, H, W), got "
                         f"{tuple(size)}")
    n = len(size) - 2
    expected = (size[0], n, n + 1)
    if tuple(theta.shape) != expected:
        raise ValueError(f"affine_grid: theta must have shape {expected} for size {tuple(size)}, "
                         f"got {tuple(theta.shape)}")
    if min(size) <= 0:
        raise ValueError(f"affine_grid: size must be positive, got {tuple(size)}")
    ftype = np.float64 if theta.dtype == glia.float64 else np.float32
    axes = [_base_coords(s, bool(align_corners), ftype) for s in reversed(size[2:])]  # x, y, z
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]  # each (D,) H, W; x first
    base = np.stack([m.reshape(-1) for m in mesh] + [np.ones(mesh[0].size, ftype)], 1)
    grid = glia.matmul(glia.tensor(base), theta.transpose(1, 2))  # (N, P, n)
    return grid.reshape([size[0]] + size[2:] + [n])


def _unnormalize(coord, size, align_corners, n):
    """Grid coordinate in [-1, 1] -> pixel coordinate, in PyTorch's exact arithmetic: its
    vectorized 2-D kernel computes (g + 1) s - 0.5, its 3-D kernel ((g + 1) size - 1) / 2."""
    if n == 2:
        if align_corners:
            return (coord + 1.0) * ((size - 1) / 2)
        return (coord + 1.0) * (size / 2) - 0.5
    if align_corners:
        return (coord + 1.0) / 2 * (size - 1)
    return ((coord + 1.0) * size - 1.0) / 2


def _pad_coord(x, size, padding_mode, align_corners):
    """Applies 'border' (clamp into the image) or 'reflection' (mirror at the corner pixel
    centres with align_corners, at the image edges without, then clamp)."""
    if padding_mode == "reflection":
        if align_corners:
            if size <= 1:
                return x * 0.0
            twice_span, low = 2.0 * (size - 1), 0.0
        else:
            twice_span, low = 2.0 * size, -0.5
        dist = (x - low).abs()
        extra = dist - (dist / twice_span).trunc().detach() * twice_span
        x = glia.minimum(extra, twice_span - extra) + low
    if padding_mode != "zeros":
        x = x.clamp(0.0, size - 1.0)
    return x


def _gather_taps(flat, taps, sizes):
    """The input values at integer tap positions.

    flat: (N, C, prod(sizes)); taps: per spatial dim (last first, i.e. x, y[, z]), an int64
    (N, K, P) tensor of positions. Returns (N, C, K, P), zero at taps outside the input."""
    n_batch, k, p = taps[0].shape
    index, valid = None, None
    stride = 1
    for t, size in zip(taps, reversed(sizes)):
        # border and reflection keep the source point inside, but its upper bilinear
        # neighbour can still fall one past the edge (with weight 0): PyTorch masks it too
        inside = (t >= 0).logical_and(t < size)
        valid = inside if valid is None else valid.logical_and(inside)
        term = t.clamp(0, size - 1) * stride
        index = term if index is None else index + term
        stride *= size
    c = flat.shape[1]
    index = index.reshape(n_batch, 1, k * p).expand(n_batch, c, k * p)
    vals = glia.gather(flat, 2, index).reshape(n_batch, c, k, p)
    return glia.where(valid.reshape(n_batch, 1, k, p), vals, 0.0)


def _cubic_coeffs(t):
    """The 4 cubic-convolution weights (A = -0.75) of taps at floor - 1 .. floor + 2."""
    a = _CUBIC_A
    x0, x3 = t + 1.0, 2.0 - t
    far0 = ((x0 * a - 5 * a) * x0 + 8 * a) * x0 - 4 * a
    far3 = ((x3 * a - 5 * a) * x3 + 8 * a) * x3 - 4 * a
    x2 = 1.0 - t
    near1 = ((a + 2) * t - (a + 3)) * t * t + 1.0
    near2 = ((a + 2) * x2 - (a + 3)) * x2 * x2 + 1.0
    return [far0, near1, near2, far3]


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples `input` at the normalized positions of `grid` (spatial transformer networks).

    Args:
        input: (N, C, H, W) or (N, C, D, H, W).
        grid: (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3), the input's dtype; the last
            dim is (x, y[, z]) in [-1, 1]: -1 is the left / top edge, 1 the right / bottom.
        mode: 'bilinear' (trilinear for 5-D), 'nearest' (rounding half to even, as PyTorch) or
            'bicubic' (4-D only; A = -0.75).
        padding_mode: for points outside the input: 'zeros', 'border' (clamp to the edge) or
            'reflection' (mirror at the borders).
        align_corners: True maps -1 and 1 to the centres of the corner pixels, False (default,
            also for None) to their outer edges.
    Returns:
        (N, C, H_out, W_out) or (N, C, D_out, H_out, W_out). Differentiable in input, and in
        grid for bilinear and bicubic (nearest passes no gradient to the grid; PyTorch gives
        it zeros).
    """
    if mode not in _GRID_MODES:
        raise ValueError(f"grid_sample: mode must be one of {_GRID_MODES}, got {mode!r}")
    if padding_mode not in _GRID_PADDING:
        raise ValueError(f"grid_sample: padding_mode must be one of {_GRID_PADDING}, got "
                         f"{padding_mode!r}")
    _check_float("grid_sample", input)
    if input.dim() not in (4, 5):
        raise ValueError(f"grid_sample: input must be 4-D (N, C, H, W) or 5-D (N, C, D, H, W), "
                         f"got shape {tuple(input.shape)}")
    n = input.dim() - 2
    if grid.dim() != input.dim() or grid.shape[-1] != n or grid.shape[0] != input.shape[0]:
        raise ValueError(f"grid_sample: grid must have shape ({input.shape[0]}, *out, {n}) for "
                         f"input shape {tuple(input.shape)}, got {tuple(grid.shape)}")
    if grid.dtype != input.dtype:
        raise TypeError(f"grid_sample: grid dtype {grid.dtype} must match input dtype "
                        f"{input.dtype}")
    if mode == "bicubic" and n != 2:
        raise ValueError(f"grid_sample: mode 'bicubic' needs a 4-D input, got shape "
                         f"{tuple(input.shape)}")
    sizes = list(input.shape[2:])
    if min(sizes) <= 0:
        raise ValueError(f"grid_sample: input must have non-empty spatial dims, got shape "
                         f"{tuple(input.shape)}")
    align_corners = bool(align_corners)
    batch, c = input.shape[0], input.shape[1]
    out_spatial = list(grid.shape[1:-1])
    flat = input.reshape(batch, c, math.prod(sizes))
    coords = grid.reshape(batch, 1, math.prod(out_spatial), n)  # (N, 1, P, n): taps on dim 1
    dims = [(coords.select(3, d), sizes[n - 1 - d]) for d in range(n)]  # x, y[, z]
    if mode == "bicubic":
        xs = [_unnormalize(g, size, align_corners, n) for g, size in dims]
        floors = [x.detach().floor() for x in xs]
        offsets = glia.tensor(np.arange(-1.0, 3.0)).to(input.dtype).reshape(1, 4, 1)

        def tap(f, size):  # the 4 tap positions along one dim, padded as PyTorch
            return _pad_coord(f + offsets, size, padding_mode, align_corners).long()

        (fx, fy), (sx, sy) = floors, sizes[::-1]
        tx, ty = tap(fx, sx), tap(fy, sy)  # (N, 4, P) each
        k = 16  # tap (j, i) = row j (y), column i (x) at j * 4 + i
        taps_x = tx.unsqueeze(1).expand(batch, 4, 4, tx.shape[2]).reshape(batch, k, -1)
        taps_y = ty.unsqueeze(2).expand(batch, 4, 4, ty.shape[2]).reshape(batch, k, -1)
        vals = _gather_taps(flat, [taps_x, taps_y], sizes)  # (N, C, 16, P)
        vals = vals.reshape(batch, c, 4, 4, -1)
        cx = glia.cat(_cubic_coeffs(xs[0] - floors[0]), 1).unsqueeze(1).unsqueeze(2)
        cy = glia.cat(_cubic_coeffs(xs[1] - floors[1]), 1).unsqueeze(1)
        out = ((vals * cx).sum(3) * cy).sum(2)
    else:
        xs = [_pad_coord(_unnormalize(g, size, align_corners, n), size, padding_mode,
                         align_corners) for g, size in dims]
        if mode == "nearest":
            taps = [x.detach().round().long() for x in xs]
            out = _gather_taps(flat, taps, sizes).squeeze(2)
        else:
            floors = [x.detach().floor() for x in xs]
            lows = [f.long() for f in floors]
            fracs = [x - f for x, f in zip(xs, floors)]
            taps, weights = [[] for _ in range(n)], []
            for corner in range(2 ** n):  # bit d set: the upper neighbour along dim d
                w = None
                for d in reversed(range(n)):  # PyTorch's order: z, y, then x factors
                    upper = (corner >> d) & 1
                    taps[d].append(lows[d] + upper)
                    factor = fracs[d] if upper else 1.0 - fracs[d]
                    w = factor if w is None else w * factor
                weights.append(w)
            vals = _gather_taps(flat, [glia.cat(t, 1) for t in taps], sizes)
            out = (vals * glia.cat(weights, 1).unsqueeze(1)).sum(2)
    return out.reshape([batch, c] + out_spatial)
