"""receptive_field: how much of the input each unit of a conv/pool stack sees.

For each spatial dim, every layer maps (r, j, start) of its input to those of its output
with the standard recurrence (Dumoulin & Visin; Araujo et al., "Computing receptive fields
of convolutional neural networks", Distill 2019):

    r_out     = r_in + (k - 1) * dilation * j_in      receptive field, in input pixels
    j_out     = j_in * stride                         jump: input pixels between neighbours
    start_out = start_in + ((k - 1) * dilation / 2 - pad_left) * j_in

where start is the input coordinate of the centre of the first output unit's receptive
field (input pixel i has centre i, so start may be negative or fractional).
"""
from typing import NamedTuple

import glia
from glia.nn.container import Sequential
from glia.nn.conv import ConvTranspose1d, ConvTranspose2d, SeparableConv2d, _Conv
from glia.nn.functional.conv import _ntuple
from glia.nn.module import Module
from glia.nn.padding import _Pad2d
from glia.nn.pooling import (_AdaptivePool, _AvgPoolNd, _GlobalPool, _LPPoolNd, _MaxPoolNd,
                             _MaxUnpoolNd)
from glia.nn.upsampling import PixelShuffle, PixelUnshuffle, Upsample

__all__ = ["LayerReceptiveField", "receptive_field"]

# layers that grow the resolution: one output unit sees a fraction of an input step, which
# the recurrence above (integer kernels and strides) does not describe
_UPSAMPLING = (ConvTranspose1d, ConvTranspose2d, Upsample, PixelShuffle, _MaxUnpoolNd)
_GEOMETRIC = (_Conv, SeparableConv2d, _MaxPoolNd, _AvgPoolNd, _LPPoolNd, _Pad2d, _AdaptivePool,
              _GlobalPool, PixelUnshuffle) + _UPSAMPLING


class LayerReceptiveField(NamedTuple):
    """One layer's record; receptive_field, jump and start hold one entry per spatial dim.

    name: the dotted name in the model ("3", "features.0"); layer: its class name;
    output_shape: the per-sample output shape (batch dim dropped).
    """

    name: str
    layer: str
    output_shape: tuple
    receptive_field: tuple
    jump: tuple
    start: tuple


def _leaves(model, prefix=""):
    """(dotted name, module) of the non-Sequential modules, in execution order."""
    for name, child in model.named_children():
        full = f"{prefix}.{name}" if prefix else name
        if isinstance(child, Sequential):
            yield from _leaves(child, full)
        else:
            yield full, child


def _window(module, n):
    """(kernel, stride, dilation, left padding) per dim of a sliding-window layer."""
    if isinstance(module, SeparableConv2d):
        module = module.depthwise  # the pointwise 1x1 conv leaves the geometry unchanged
    if isinstance(module, _Conv):
        left = [p for p, _ in module._pad_pairs]  # ints, 'same' or 'valid' alike
        return list(module.kernel_size), list(module.stride), list(module.dilation), left
    if isinstance(module, _Pad2d):
        # (left, right, top, bottom): a shift with no window
        return [1] * n, [1] * n, [1] * n, [module.padding[2], module.padding[0]][-n:]
    if isinstance(module, PixelUnshuffle):
        r = module.downscale_factor
        return [r] * n, [r] * n, [1] * n, [0] * n
    name = type(module).__name__
    kernel = _ntuple(module.kernel_size, n, name, "kernel_size", 1)
    stride = kernel if module.stride is None else _ntuple(module.stride, n, name, "stride", 1)
    padding = _ntuple(getattr(module, "padding", 0), n, name, "padding", 0)
    dilation = _ntuple(getattr(module, "dilation", 1), n, name, "dilation", 1)
    return kernel, stride, dilation, padding


def _contains_geometric(module):
    return any(isinstance(m, _GEOMETRIC) for m in module.modules())


def _whole_map(rf, jump, start, spatial):
    """The unit after a global pooling or a flatten sees the whole current feature map."""
    rf = [r + (size - 1) * j for r, j, size in zip(rf, jump, spatial)]
    start = [s + (size - 1) / 2 * j for s, j, size in zip(start, jump, spatial)]
    jump = [j * size for j, size in zip(jump, spatial)]
    return rf, jump, start


def _adaptive(rf, jump, start, in_sizes, out_sizes):
    """Adaptive pooling: windows [floor(i n / o), ceil((i + 1) n / o)) of varying size, so
    the record gives the largest window and a (possibly fractional) mean jump."""
    new_rf, new_jump, new_start = [], [], []
    for r, j, s, n, o in zip(rf, jump, start, in_sizes, out_sizes):
        widest = max(-(-(i + 1) * n // o) - (i * n) // o for i in range(o))
        new_rf.append(r + (widest - 1) * j)
        new_start.append(s + (-(-n // o) - 1) / 2 * j)
        new_jump.append(j * n // o if n % o == 0 else j * n / o)
    return new_rf, new_jump, new_start


def receptive_field(model, input_size):
    """Receptive field, jump and start of every layer of a conv/pool stack.

    Args:
        model: an nn.Sequential (nested Sequentials are walked through) of convolutions,
            pooling, padding and shape-preserving layers (activations, normalization,
            dropout). After a global pooling or a Flatten, each unit sees the whole map.
        input_size: the per-sample input shape (C, *spatial), 1 to 3 spatial dims.
    Returns:
        A list of LayerReceptiveField, one per layer; the output shapes come from a forward
        pass on glia.zeros(1, *input_size) (in eval mode, without gradients).
    Raises:
        ValueError for a layer that upsamples, a non-Sequential block that hides convs or
        pools, or an unknown layer that changes the spatial size.
    """
    if not isinstance(model, Module):
        raise TypeError(f"receptive_field: model must be an nn.Module, got {type(model).__name__}")
    input_size = tuple(int(s) for s in input_size)
    n = len(input_size) - 1
    if not 1 <= n <= 3:
        raise ValueError(f"receptive_field: input_size must be (C, *spatial) with 1 to 3 spatial "
                         f"dims, got {input_size}")
    leaves = list(_leaves(model)) if isinstance(model, Sequential) else [("0", model)]
    params = list(model.parameters())
    dtype = params[0].dtype if params else glia.float32
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with glia.no_grad():
            return _walk(leaves, glia.zeros(1, *input_size, dtype=dtype), n)
    finally:
        for m, mode in modes:
            object.__setattr__(m, "training", mode)


def _walk(leaves, x, n):
    rf, jump, start = [1] * n, [1] * n, [0.0] * n
    spatial_gone = False
    records = []
    for name, module in leaves:
        kind = type(module).__name__
        if isinstance(module, _UPSAMPLING):
            raise ValueError(f"receptive_field: layer {name!r} ({kind}) upsamples; the "
                             "receptive-field recurrence covers layers that keep or reduce "
                             "the resolution")
        in_spatial = tuple(x.shape[2:]) if x.dim() == n + 2 else None
        y = module(x)
        out_spatial = tuple(y.shape[2:]) if y.dim() == n + 2 else None
        if spatial_gone or in_spatial is None:
            pass  # no spatial dims left: the whole map is already seen
        elif isinstance(module, _GlobalPool) or out_spatial is None:
            rf, jump, start = _whole_map(rf, jump, start, in_spatial)
            spatial_gone = True
        elif isinstance(module, _AdaptivePool):
            rf, jump, start = _adaptive(rf, jump, start, in_spatial, out_spatial)
        elif isinstance(module, _GEOMETRIC):
            kernel, stride, dilation, left = _window(module, n)
            start = [s + ((k - 1) * d / 2 - p) * j
                     for s, j, k, d, p in zip(start, jump, kernel, dilation, left)]
            rf = [r + (k - 1) * d * j for r, j, k, d in zip(rf, jump, kernel, dilation)]
            jump = [j * s for j, s in zip(jump, stride)]
        elif _contains_geometric(module):
            raise ValueError(f"receptive_field: layer {name!r} ({kind}) contains convolutions or "
                             "pooling inside a custom block; pass an nn.Sequential of its layers")
        elif out_spatial != in_spatial:
            raise ValueError(f"receptive_field: layer {name!r} ({kind}) changes the spatial size "
                             f"from {in_spatial} to {out_spatial} and is not a known conv, "
                             "pooling or padding layer")
        records.append(LayerReceptiveField(name, kind, tuple(y.shape[1:]), tuple(rf),
                                           tuple(jump), tuple(_clean(s) for s in start)))
        x = y
    return records


def _clean(value):
    # integral starts print as ints ("1" rather than "1.0")
    return int(value) if float(value).is_integer() else value

