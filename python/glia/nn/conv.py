"""glia.nn convolution layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d, their Lazy* forms (in_channels
inferred from the first input) and SeparableConv2d, with PyTorch's arguments, weight layouts and
default initialisation; Fold and Unfold (col2im and im2col)."""
import math

import glia
from glia.nn import functional as F
from glia.nn import init
from glia.nn.functional.conv import _ntuple, _same_padding
from glia.nn.lazy import LazyModuleMixin
from glia.nn.module import Module
from glia.nn.parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "Fold", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "SeparableConv2d", "Unfold"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared state of the convolutions: hyper-parameters, weight, bias, init and repr."""

    _n = 0  # spatial dims, set by each subclass
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, padding_mode, output_padding, dtype):
        super().__init__()
        name, n = type(self).__name__, self._n
        lazy = isinstance(self, LazyModuleMixin)  # Lazy*: in_channels is 0 until the first call
        if in_channels < (0 if lazy else 1) or out_channels < 1:
            raise ValueError(f"{name}: in_channels and out_channels must be positive, got "
                             f"({in_channels}, {out_channels})")
        if groups < 1:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = tuple(_ntuple(kernel_size, n, name, "kernel_size", 1))
        self.stride = tuple(_ntuple(stride, n, name, "stride", 1))
        self.dilation = tuple(_ntuple(dilation, n, name, "dilation", 1))
        self.output_padding = tuple(_ntuple(output_padding, n, name, "output_padding", 0))
        if isinstance(padding, str):
            if self._transposed:
                raise ValueError(f"{name}: padding must be an int or a tuple, got {padding!r}")
            if padding not in ("valid", "same"):
                raise ValueError(f"{name}: padding must be 'valid', 'same', an int or a tuple, "
                                 f"got {padding!r}")
            if padding == "same":  # rejects strides now rather than at the first forward
                _same_padding(self.kernel_size, self.dilation, self.stride, name)
            self.padding = padding
        else:
            self.padding = tuple(_ntuple(padding, n, name, "padding", 0))
        self.padding_mode = padding_mode
        dtype = dtype or glia.float32
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(glia.empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(glia.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    @property
    def _pad_pairs(self):
        """(left, right) zero padding per dim, whatever the form of padding; derived on each
        use, so it follows later changes to padding, stride, kernel_size or dilation."""
        name, n = type(self).__name__, self._n
        if self.padding == "same":
            return _same_padding(self.kernel_size, self.dilation, self.stride, name)
        if self.padding == "valid":
            return [(0, 0)] * n
        return [(p, p) for p in _ntuple(self.padding, n, name, "padding", 0)]

    def reset_parameters(self):
        """PyTorch's default: weight ~ kaiming_uniform(a=sqrt(5)), i.e. U(±1/sqrt(fan_in)),
        and bias ~ U(±1/sqrt(fan_in)), fan_in = weight.shape[1] * prod(kernel_size)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        n = self._n
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, dtype)

    def forward(self, input):
        conv = (F.conv1d, F.conv2d, F.conv3d)[self._n - 1]
        if self.padding_mode == "zeros":
            return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)
        # other modes pad explicitly (left/right per dim, last dim first) and convolve unpadded
        widths = []
        for left, right in reversed(self._pad_pairs):
            widths += [left, right]
        return conv(F.pad(input, widths, mode=self.padding_mode), self.weight, self.bias,
                    self.stride, 0, self.dilation, self.groups)


class Conv1d(_Conv):
    """1-D convolution layer: y = conv1d(x, weight, bias).

    Args:
        in_channels, out_channels: channels of input and output.
        kernel_size, stride, dilation: int or 1-tuple.
        padding: int, 1-tuple, 'valid' or 'same' (stride 1 only).
        groups: channel groups (in_channels for depthwise); must divide both channel counts.
        bias: learn an additive bias (default True).
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
        dtype: parameter dtype (default float32).
    Shapes:
        input (N, C_in, L) or (C_in, L) -> (N, C_out, L_out),
        L_out = floor((L + 2p - d(k - 1) - 1) / s) + 1;
        weight (C_out, C_in / groups, k), bias (C_out,).
    """

    _n = 1


class Conv2d(_Conv):
    """2-D convolution layer: y = conv2d(x, weight, bias).

    Args:
        in_channels, out_channels: channels of input and output.
        kernel_size, stride, dilation: int or (h, w).
        padding: int, (pH, pW), 'valid' or 'same' (stride 1 only).
        groups: channel groups (in_channels for depthwise); must divide both channel counts.
        bias: learn an additive bias (default True).
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
        dtype: parameter dtype (default float32).
    Shapes:
        input (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out),
        H_out = floor((H + 2p - d(kH - 1) - 1) / s) + 1;
        weight (C_out, C_in / groups, kH, kW), bias (C_out,).
    """

    _n = 2


class Conv3d(_Conv):
    """3-D convolution layer over (N, C_in, D, H, W) or (C_in, D, H, W); arguments as Conv2d
    with triples; weight (C_out, C_in / groups, kD, kH, kW)."""

    _n = 3


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, "zeros", output_padding, dtype)

    def _output_padding(self, input, output_size):
        """The output_padding that gives `output_size` (PyTorch's ConvTranspose rule)."""
        if output_size is None:
            return self.output_padding
        n, name = self._n, type(self).__name__
        sizes = [int(v) for v in output_size]
        if len(sizes) in (n + 1, n + 2):
            sizes = sizes[-n:]
        if len(sizes) != n:
            raise ValueError(f"{name}: output_size must have {n} or {n + 2} entries, got "
                             f"{tuple(output_size)}")
        out = []
        for d in range(n):
            in_size = input.shape[input.dim() - n + d]
            smallest = ((in_size - 1) * self.stride[d] - 2 * self.padding[d]
                        + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            if not smallest <= sizes[d] < smallest + self.stride[d]:
                raise ValueError(f"{name}: requested output_size {tuple(sizes)} is not reachable; "
                                 f"dim {d} must be in [{smallest}, {smallest + self.stride[d]})")
            out.append(sizes[d] - smallest)
        return tuple(out)

    def forward(self, input, output_size=None):
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._n - 1]
        if input.dim() not in (self._n + 1, self._n + 2):
            raise ValueError(f"{type(self).__name__}: input must be {self._n + 1}-D or "
                             f"{self._n + 2}-D, got shape {tuple(input.shape)}")
        return conv(input, self.weight, self.bias, self.stride, self.padding,
                    self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution ("deconvolution"), the gradient of Conv1d in its input.

    Args:
        in_channels, out_channels: channels of input and output.
        kernel_size, stride, padding, dilation: int or 1-tuple.
        output_padding: extra size on one side of the output (< stride or dilation); or pass
            output_size to forward.
        groups: channel groups; bias: learn an additive bias; dtype: parameter dtype.
    Shapes:
        input (N, C_in, L) or (C_in, L) -> (N, C_out, L_out),
        L_out = (L - 1)s - 2p + d(k - 1) + output_padding + 1;
        weight (C_in, C_out / groups, k), bias (C_out,).
    """

    _n = 1


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution ("deconvolution"), the learned upsampling of decoders.

    Args:
        as ConvTranspose1d, with pairs.
    Shapes:
        input (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out),
        H_out = (H - 1)s - 2p + d(kH - 1) + output_padding + 1;
        weight (C_in, C_out / groups, kH, kW), bias (C_out,).
    """

    _n = 2


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution over (N, C_in, D, H, W) or (C_in, D, H, W); arguments as
    ConvTranspose1d, with triples. Weight (C_in, C_out / groups, kD, kH, kW), bias (C_out,);
    each output dim is (in - 1)s - 2p + d(k - 1) + output_padding + 1."""

    _n = 3


class _LazyConvMixin(LazyModuleMixin):
    """in_channels from the first input: dim 1, or dim 0 of an unbatched input."""

    _size_name = "in_channels"

    def _infer_size(self, input):
        n = self._n
        if input.dim() not in (n + 1, n + 2):
            raise ValueError(f"{type(self).__name__}: input must be {n + 1}-D (C_in, *spatial) or "
                             f"{n + 2}-D (N, C_in, *spatial), got shape {tuple(input.shape)}")
        return input.shape[input.dim() - n - 1]

    def _check_size(self, size, source):
        super()._check_size(size, source)
        if size % self.groups:
            raise ValueError(f"{type(self).__name__}: in_channels ({size}) inferred from {source} "
                             f"must be divisible by groups ({self.groups})")

    def _lazy_shapes(self, in_channels):
        c_out, g = self.out_channels, self.groups
        if self._transposed:
            weight = (in_channels, c_out // g) + self.kernel_size
        else:
            weight = (c_out, in_channels // g) + self.kernel_size
        return {"weight": weight, "bias": (c_out,)}

    def _size_from(self, name, shape):
        if name != "weight":
            return None
        return shape[0] if self._transposed else shape[1] * self.groups


class _LazyConv(_LazyConvMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=None):
        super().__init__(0, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype)


class _LazyConvTranspose(_LazyConvMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, dtype=None):
        super().__init__(0, out_channels, kernel_size, stride, padding, output_padding, groups,
                         bias, dilation, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """A Conv1d whose in_channels is inferred from the first input (dim 1 of (N, C_in, L), dim
    0 of (C_in, L)); then it becomes a Conv1d, as PyTorch (see LazyModuleMixin). Arguments as
    Conv1d without in_channels."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A Conv2d whose in_channels is inferred from the first input (dim 1 of (N, C_in, H, W),
    dim 0 of (C_in, H, W)); then it becomes a Conv2d. Arguments as Conv2d without
    in_channels."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """A Conv3d whose in_channels is inferred from the first input; then it becomes a Conv3d.
    Arguments as Conv3d without in_channels."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """A ConvTranspose1d whose in_channels is inferred from the first input (dim 1 of
    (N, C_in, L), dim 0 of (C_in, L)); then it becomes a ConvTranspose1d. Arguments as
    ConvTranspose1d without in_channels."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """A ConvTranspose2d whose in_channels is inferred from the first input; then it becomes a
    ConvTranspose2d. Arguments as ConvTranspose2d without in_channels."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """A ConvTranspose3d whose in_channels is inferred from the first input; then it becomes a
    ConvTranspose3d. Arguments as ConvTranspose3d without in_channels."""

    cls_to_become = ConvTranspose3d


class SeparableConv2d(Module):
    """Depthwise-separable 2-D convolution: a depthwise conv (groups = in_channels) then a
    pointwise 1x1 conv, as in Xception / MobileNet.

    Costs about k^2 + out_channels multiply-adds per input channel and pixel instead of
    k^2 * out_channels. Only the pointwise conv has a bias: a depthwise bias would pass
    linearly through the 1x1 conv and fold into the pointwise one (as in Keras).

    Args:
        in_channels, out_channels: channels of input and output.
        kernel_size, stride, padding, dilation: those of the depthwise conv.
        bias: learn the pointwise bias (default True).
        depth_multiplier: depthwise output channels per input channel.
        padding_mode: of the depthwise conv.
        dtype: parameter dtype.
    Shapes:
        input (N, C_in, H, W) -> (N, C_out, H_out, W_out) as Conv2d with the same kernel;
        depthwise.weight (C_in * depth_multiplier, 1, kH, kW),
        pointwise.weight (C_out, C_in * depth_multiplier, 1, 1).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, depth_multiplier=1, padding_mode="zeros", dtype=None):
        super().__init__()
        if depth_multiplier < 1:
            raise ValueError(f"SeparableConv2d: depth_multiplier must be positive, got "
                             f"{depth_multiplier}")
        if in_channels < 1:
            raise ValueError(f"SeparableConv2d: in_channels must be positive, got {in_channels}")
        mid = in_channels * depth_multiplier
        self.depthwise = Conv2d(in_channels, mid, kernel_size, stride, padding, dilation,
                                groups=in_channels, bias=False, padding_mode=padding_mode,
                                dtype=dtype)
        self.pointwise = Conv2d(mid, out_channels, 1, bias=bias, dtype=dtype)

    def forward(self, input):
        return self.pointwise(self.depthwise(input))


class Unfold(Module):
    """Extracts sliding local blocks (im2col), see F.unfold: (N, C, H, W) or (C, H, W) ->
    (N, C kH kW, L) or (C kH kW, L).

    Args: kernel_size, dilation=1, padding=0, stride=1, each an int or a pair.
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Combines sliding local blocks into a tensor (col2im), summing overlaps, see F.fold:
    (N, C kH kW, L) or (C kH kW, L) -> (N, C, *output_size) or (C, *output_size).

    Args: output_size, kernel_size, dilation=1, padding=0, stride=1, each an int or a pair.
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
