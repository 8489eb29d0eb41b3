"""Convolutions and padding of glia.nn.functional, as in torch.nn.functional.

conv*d and conv_transpose*d are thin wrappers over the fused C++ ops (glia._C.conv and
glia._C.conv_transpose); this file turns PyTorch's argument forms (ints, tuples, 'same',
'valid') into the per-dim lists those ops take. `pad` is built from differentiable glia
ops (cat, narrow, index_select), so gradients flow through every mode, and so are unfold
(im2col: one index_select of every window element) and fold (col2im: one index_add, which
sums overlapping windows).
"""
import numbers

import numpy as np

import glia
from glia import _C

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "fold", "pad", "unfold"]

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _ntuple(value, n, op, name, minimum=None):
    """`value` (an int or a sequence of n ints) as a list of n ints, each >= minimum."""
    if type(value) is int:  # the common case, without the slower ABC checks below
        if minimum is not None and value < minimum:
            raise ValueError(f"{op}: {name} must be >= {minimum}, got {value}")
        return [value] * n
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        out = [int(value)] * n
    else:
        try:
            value = tuple(value)
        except TypeError:
            raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, "
                             f"got {value!r}") from None
        # each entry an int: int() would truncate 1.5 to 1 without a word
        ints = all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
        out = [int(v) for v in value] if ints else []
        if len(out) == 1 and n > 1:
            out = out * n
        if len(out) != n:
            raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, "
                             f"got {value!r}")
    if minimum is not None and any(v < minimum for v in out):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {tuple(out)}")
    return out


def _same_padding(kernel, dilation, stride, op):
    """(left, right) zero padding per dim that keeps the output size equal to the input's.

    The total is dilation * (kernel - 1); when it is odd the extra element goes on the
    right, as in PyTorch.
    """
    if any(s != 1 for s in stride):
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions, "
                         f"got stride {tuple(stride)}")
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return [(t // 2, t - t // 2) for t in totals]


def _check_weight(input, weight, n, op):
    if weight.dim() != n + 2:
        raise ValueError(f"{op}: weight must be {n + 2}-D, got shape {tuple(weight.shape)}")
    if input.dim() not in (n + 1, n + 2):
        raise ValueError(f"{op}: input must be {n + 1}-D or {n + 2}-D, got shape "
                         f"{tuple(input.shape)}")


def _conv(input, weight, bias, stride, padding, dilation, groups, n, op):
    _check_weight(input, weight, n, op)
    stride = _ntuple(stride, n, op, "stride", 1)
    dilation = _ntuple(dilation, n, op, "dilation", 1)
    if groups < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups}")
    if isinstance(padding, str):
        if padding == "valid":
            padding = [0] * n
        elif padding == "same":
            kernel = list(weight.shape[2:])
            pairs = _same_padding(kernel, dilation, stride, op)
            extra = [right - left for left, right in pairs]
            if any(extra):
                # even kernels need one more element on the right: pad that explicitly
                # (last dim first, as F.pad wants) and let the op pad the symmetric part
                widths = []
                for e in reversed(extra):
                    widths += [0, e]
                input = pad(input, widths)
            padding = [left for left, _ in pairs]
        else:
            raise ValueError(f"{op}: padding must be 'valid', 'same', an int or a tuple of "
                             f"{n} ints, got {padding!r}")
    else:
        padding = _ntuple(padding, n, op, "padding", 0)
    return _C.conv(input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation, as in PyTorch).

    Args:
        input: (N, C_in, L) or unbatched (C_in, L).
        weight: (C_out, C_in / groups, kL).
        bias: (C_out,) or None.
        stride, dilation: int or 1-tuple, >= 1.
        padding: int, 1-tuple, 'valid' (none) or 'same' (output length = input length;
            stride must be 1).
        groups: splits the channels into groups convolved separately (groups = C_in is
            depthwise).
    Returns:
        (N, C_out, L_out) with L_out = floor((L + 2p - d(kL - 1) - 1) / s) + 1.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as in PyTorch).

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W).
        weight: (C_out, C_in / groups, kH, kW).
        bias: (C_out,) or None.
        stride, dilation: int or (sH, sW), >= 1.
        padding: int, (pH, pW), 'valid' or 'same' (stride must be 1).
        groups: number of channel groups (groups = C_in is depthwise).
    Returns:
        (N, C_out, H_out, W_out), each H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation, as in PyTorch).

    Args:
        input: (N, C_in, D, H, W) or unbatched (C_in, D, H, W).
        weight: (C_out, C_in / groups, kD, kH, kW).
        bias: (C_out,) or None.
        stride, dilation: int or 3-tuple, >= 1.
        padding: int, 3-tuple, 'valid' or 'same' (stride must be 1).
        groups: number of channel groups.
    Returns:
        (N, C_out, D_out, H_out, W_out).
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation,
                    n, op):
    _check_weight(input, weight, n, op)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a tuple of {n} ints, got {padding!r}")
    if groups < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups}")
    return _C.conv_transpose(input, weight, bias, _ntuple(stride, n, op, "stride", 1),
                             _ntuple(padding, n, op, "padding", 0),
                             _ntuple(output_padding, n, op, "output_padding", 0),
                             _ntuple(dilation, n, op, "dilation", 1), groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution (the gradient of conv1d with respect to its input).

    Args:
        input: (N, C_in, L) or unbatched (C_in, L).
        weight: (C_in, C_out / groups, kL).
        bias: (C_out,) or None.
        stride, padding, dilation: int or 1-tuple.
        output_padding: extra length added on one side of the output (< stride or dilation).
        groups: number of channel groups.
    Returns:
        (N, C_out, L_out), L_out = (L - 1)s - 2p + d(kL - 1) + output_padding + 1.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution ("deconvolution"), the gradient of conv2d in its input.

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W).
        weight: (C_in, C_out / groups, kH, kW).
        bias: (C_out,) or None.
        stride, padding, dilation: int or 2-tuple.
        output_padding: extra size added on one side of each output dim.
        groups: number of channel groups.
    Returns:
        (N, C_out, H_out, W_out), H_out = (H - 1)s - 2p + d(kH - 1) + output_padding + 1.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """3-D transposed convolution: input (N, C_in, D, H, W) or (C_in, D, H, W), weight
    (C_in, C_out / groups, kD, kH, kW); arguments as conv_transpose2d."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 3, "conv_transpose3d")


# ---- padding ----

def _pad_indices(size, left, right, mode):
    """Source indices along one dim for output positions -left .. size + right - 1."""
    pos = np.arange(-left, size + right, dtype=np.int64)
    if mode == "reflect":
        period = 2 * (size - 1)
        pos = np.abs(pos) % period if period else np.zeros_like(pos)
        pos = np.where(pos >= size, period - pos, pos)
    elif mode == "replicate":
        pos = np.clip(pos, 0, size - 1)
    else:  # circular
        pos = pos % size
    return glia.tensor(pos)


def _check_pad_widths(shape, pairs, mode):
    for dim, (left, right) in pairs:
        size = shape[dim]
        if size + left + right < 0:
            raise ValueError(f"pad: padding ({left}, {right}) of dim {dim} would give a negative "
                             f"size for input shape {tuple(shape)}")
        if mode == "constant":
            continue
        if size == 0 and (left > 0 or right > 0):
            raise ValueError(f"pad: {mode} padding needs a non-empty dim {dim}, got input shape "
                             f"{tuple(shape)}")
        if mode == "reflect" and (left >= size or right >= size):
            raise ValueError(f"pad: reflect padding ({left}, {right}) must be smaller than the "
                             f"size {size} of dim {dim} (input shape {tuple(shape)})")
        # circular wraps the tensor left after negative widths crop it, at most once
        kept = size + min(left, 0) + min(right, 0)
        if mode == "circular" and (left > kept or right > kept):
            raise ValueError(f"pad: circular padding ({left}, {right}) must be at most the size "
                             f"{kept} of dim {dim} after cropping (input shape {tuple(shape)})")


def pad(input, pad, mode="constant", value=0):
    """Pads the trailing dims of `input`.

    Args:
        input: a tensor of any shape.
        pad: (left_last, right_last, left_2nd_last, right_2nd_last, ...): pairs of widths,
            last dim first, as in PyTorch; negative widths crop.
        mode: 'constant' (fill with `value`), 'reflect' (mirror without repeating the edge),
            'replicate' (repeat the edge) or 'circular' (wrap around).
        value: the fill value of 'constant' mode.
    Returns:
        A tensor whose padded dims grow by left + right. Gradients flow to `input`.
    """
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    if isinstance(pad, numbers.Integral) or len(pad) % 2:
        raise ValueError(f"pad: pad must be a sequence of an even number of ints, got {pad!r}")
    widths = _ntuple(pad, len(pad), "pad", "pad")
    if len(widths) // 2 > input.dim():
        raise ValueError(f"pad: {len(widths)} pad widths cover {len(widths) // 2} dims but the "
                         f"input has shape {tuple(input.shape)}")
    if mode != "constant" and value != 0:
        raise ValueError(f"pad: value is only used by mode='constant', got mode={mode!r} and "
                         f"value={value}")
    shape = tuple(input.shape)
    pairs = [(input.dim() - 1 - i, (widths[2 * i], widths[2 * i + 1]))
             for i in range(len(widths) // 2)]
    _check_pad_widths(shape, pairs, mode)
    out = input
    for dim, (left, right) in pairs:
        if left == 0 and right == 0:
            continue
        if mode == "constant":
            out = _pad_constant(out, dim, left, right, value)
        elif mode == "circular":
            # PyTorch crops negative widths first and wraps the cropped tensor
            out = _pad_constant(out, dim, min(left, 0), min(right, 0), value)
            size = out.shape[dim]
            out = glia.index_select(out, dim, _pad_indices(size, max(left, 0), max(right, 0),
                                                           mode))
        else:
            out = glia.index_select(out, dim, _pad_indices(out.shape[dim], left, right, mode))
    return out


def _pad_constant(x, dim, left, right, value):
    # negative widths crop first; positive ones concatenate filled blocks
    size = x.shape[dim]
    start, stop = max(-left, 0), size - max(-right, 0)
    if start or stop != size:
        x = x.narrow(dim, start, stop - start)
    parts = []
    for width in (left, right):
        if width > 0:
            fill_shape = list(x.shape)
            fill_shape[dim] = width
            parts.append(glia.full(fill_shape, value, dtype=x.dtype))
        else:
            parts.append(None)
    blocks = [b for b in (parts[0], x, parts[1]) if b is not None]
    return glia.cat(blocks, dim) if len(blocks) > 1 else x


# ---- unfold / fold (im2col / col2im) ----

def _block_args(kernel_size, dilation, padding, stride, op):
    return (_ntuple(kernel_size, 2, op, "kernel_size", 1), _ntuple(dilation, 2, op, "dilation", 1),
            _ntuple(padding, 2, op, "padding", 0), _ntuple(stride, 2, op, "stride", 1))


def _blocks(spatial, kernel, dilation, padding, stride, op):
    """(blocks per dim, flat indices into the padded plane) of the sliding windows: the
    index of element (ki, kj) of window (bi, bj) sits at [(ki kW + kj) L + bi bW + bj]."""
    blocks = [(s + 2 * p - d * (k - 1) - 1) // st + 1
              for s, k, d, p, st in zip(spatial, kernel, dilation, padding, stride)]
    if any(b < 1 for b in blocks):
        raise ValueError(f"{op}: kernel_size {tuple(kernel)} (dilation {tuple(dilation)}) does not "
                         f"fit the spatial size {tuple(spatial)} + 2 * padding {tuple(padding)}: "
                         f"the number of blocks per dim would be {tuple(blocks)}")
    # padded coordinate of window element k in block b: b * stride + k * dilation
    rows, cols = (np.arange(k)[:, None] * d + np.arange(b)[None, :] * st
                  for k, d, b, st in zip(kernel, dilation, blocks, stride))
    width = spatial[1] + 2 * padding[1]
    flat = rows[:, None, :, None] * width + cols[None, :, None, :]  # (kH, kW, bH, bW)
    return blocks, glia.tensor(flat.reshape(-1).astype(np.int64))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extracts sliding local blocks (im2col): every kH x kW window of each channel becomes
    a column.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W).
        kernel_size, dilation, padding (zeros), stride: int or pair.
    Returns:
        (N, C kH kW, L) (or (C kH kW, L)), L = prod over H, W of
        floor((size + 2p - d(k - 1) - 1) / s) + 1. Row c kH kW + i kW + j holds window
        element (i, j) of channel c, as in PyTorch.
    """
    if input.dim() not in (3, 4):
        raise ValueError(f"unfold: input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    kernel, dilation, padding, stride = _block_args(kernel_size, dilation, padding, stride,
                                                    "unfold")
    unbatched = input.dim() == 3
    x = input.unsqueeze(0) if unbatched else input
    n, c, h, w = x.shape
    blocks, index = _blocks([h, w], kernel, dilation, padding, stride, "unfold")
    if any(padding):
        x = pad(x, [padding[1], padding[1], padding[0], padding[0]])
    k, count = kernel[0] * kernel[1], blocks[0] * blocks[1]
    out = glia.index_select(x.reshape(n, c, -1), 2, index).reshape(n, c * k, count)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combines sliding local blocks into a tensor (col2im), summing where blocks overlap:
    the adjoint of unfold (fold(unfold(x)) counts each pixel once per window covering it).

    Args:
        input: (N, C kH kW, L) or unbatched (C kH kW, L), laid out as unfold's output.
        output_size: (H, W) of the output (int or pair).
        kernel_size, dilation, padding, stride: int or pair, as for unfold; L must equal the
            number of blocks these give for output_size.
    Returns:
        (N, C, H, W) or (C, H, W).
    """
    if input.dim() not in (2, 3):
        raise ValueError(f"fold: input must be 2-D (C * kH * kW, L) or 3-D (N, C * kH * kW, L), "
                         f"got shape {tuple(input.shape)}")
    size = _ntuple(output_size, 2, "fold", "output_size", 1)
    kernel, dilation, padding, stride = _block_args(kernel_size, dilation, padding, stride,
                                                    "fold")
    unbatched = input.dim() == 2
    x = input.unsqueeze(0) if unbatched else input
    n, ck, length = x.shape
    k = kernel[0] * kernel[1]
    if ck % k:
        raise ValueError(f"fold: input dim 1 ({ck}) must be divisible by the product of "
                         f"kernel_size {tuple(kernel)} ({k}), got input shape {tuple(input.shape)}")
    blocks, index = _blocks(size, kernel, dilation, padding, stride, "fold")
    if length != blocks[0] * blocks[1]:
        raise ValueError(f"fold: input dim 2 ({length}) must equal the number of sliding blocks "
                         f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]} for output_size "
                         f"{tuple(size)}, kernel_size {tuple(kernel)}, dilation "
                         f"{tuple(dilation)}, padding {tuple(padding)}, stride {tuple(stride)}")
    c = ck // k
    hp, wp = size[0] + 2 * padding[0], size[1] + 2 * padding[1]
    out = glia.index_add(glia.zeros(n, c, hp * wp, dtype=x.dtype), 2, index,
                         x.reshape(n, c, k * length)).reshape(n, c, hp, wp)
    if any(padding):
        out = out.narrow(2, padding[0], size[0]).narrow(3, padding[1], size[1])
    return out.squeeze(0) if unbatched else out
