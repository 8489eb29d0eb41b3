"""glia.nn pooling layers: max / min / average / Lp / adaptive / global pooling and max
unpooling, as in torch.nn (the module forms of glia.nn.functional.pooling)."""
from glia.nn import functional as F
from glia.nn.functional.conv import _ntuple
from glia.nn.module import Module

__all__ = ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "GlobalAvgPool2d", "GlobalMaxPool2d", "LPPool1d", "LPPool2d", "LPPool3d", "MaxPool1d",
           "MaxPool2d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "MinPool2d"]


class _MaxPoolNd(Module):
    _fn = None  # the functional form, set by each subclass

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return self._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                        self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of (N, C, L) or (C, L).

    Args:
        kernel_size, stride (default kernel_size), padding (-inf, at most half the kernel),
            dilation: int or 1-tuple.
        return_indices: also return the argmax per window (for MaxUnpool1d).
        ceil_mode: round the output size up.
    Shapes:
        (N, C, L) -> (N, C, floor((L + 2p - d(k - 1) - 1) / s) + 1).
    """

    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Max over sliding windows of (N, C, H, W) or (C, H, W); arguments as MaxPool1d, each an
    int or a pair. H_out = floor((H + 2p - d(kH - 1) - 1) / s) + 1."""

    _fn = staticmethod(F.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """Max over sliding windows of (N, C, D, H, W) or (C, D, H, W); arguments as MaxPool1d,
    each an int or a triple."""

    _fn = staticmethod(F.max_pool3d)


class MinPool2d(_MaxPoolNd):
    """Min over sliding windows of (N, C, H, W) or (C, H, W): -MaxPool2d(-x); arguments as
    MaxPool2d."""

    _fn = staticmethod(F.min_pool2d)


class _AvgPoolNd(Module):
    _fn = None
    _n = 0  # AvgPool1d stores 1-tuples, as PyTorch (AvgPool2d/3d keep what they are given)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        stride = stride if stride is not None else kernel_size
        if self._n:
            name = type(self).__name__
            kernel_size = tuple(_ntuple(kernel_size, 1, name, "kernel_size", 1))
            stride = tuple(_ntuple(stride, 1, name, "stride", 1))
            padding = tuple(_ntuple(padding, 1, name, "padding", 0))
        self.kernel_size, self.stride = kernel_size, stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return self._fn(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                        self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean over sliding windows of (N, C, L) or (C, L).

    Args:
        kernel_size, stride (default kernel_size), padding (zeros): int or 1-tuple.
        ceil_mode: round the output size up.
        count_include_pad: count padded zeros in the divisor.
        divisor_override: divide each window sum by this instead.
    Shapes:
        (N, C, L) -> (N, C, floor((L + 2p - k) / s) + 1).
    """

    _fn = staticmethod(F.avg_pool1d)
    _n = 1


class AvgPool2d(_AvgPoolNd):
    """Mean over sliding windows of (N, C, H, W) or (C, H, W); arguments as AvgPool1d, each an
    int or a pair."""

    _fn = staticmethod(F.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    """Mean over sliding windows of (N, C, D, H, W) or (C, D, H, W); arguments as AvgPool1d."""

    _fn = staticmethod(F.avg_pool3d)


class _MaxUnpoolNd(Module):
    _fn = None
    _n = 0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        # stored as n-tuples, as PyTorch
        name, n = type(self).__name__, self._n
        self.kernel_size = tuple(_ntuple(kernel_size, n, name, "kernel_size", 1))
        self.stride = tuple(_ntuple(stride if stride is not None else kernel_size, n, name,
                                    "stride", 1))
        self.padding = tuple(_ntuple(padding, n, name, "padding", 0))

    def forward(self, input, indices, output_size=None):
        return self._fn(input, indices, self.kernel_size, self.stride, self.padding,
                        output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of MaxPool1d: forward(input, indices, output_size=None) puts each
    value at its index and zeros elsewhere. (N, C, L) -> (N, C, (L - 1)s - 2p + k)."""

    _fn = staticmethod(F.max_unpool1d)
    _n = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of MaxPool2d: forward(input, indices, output_size=None), with the
    indices from MaxPool2d(return_indices=True). (N, C, H, W) -> (N, C, (H - 1)s - 2p + kH,
    (W - 1)s - 2p + kW), or output_size."""

    _fn = staticmethod(F.max_unpool2d)
    _n = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of MaxPool3d: forward(input, indices, output_size=None), with the
    indices from MaxPool3d(return_indices=True). (N, C, D, H, W) -> each spatial dim
    (in - 1)s - 2p + k, or output_size."""

    _fn = staticmethod(F.max_unpool3d)
    _n = 3


class _LPPoolNd(Module):
    _fn = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input):
        return self._fn(input, float(self.norm_type), self.kernel_size, self.stride,
                        self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling (sum over the window of x^p)^(1/p) of (N, C, L) or (C, L).

    Args:
        norm_type: p (inf gives max pooling of |x|).
        kernel_size, stride (default kernel_size): int or 1-tuple.
        ceil_mode: round the output size up.
    """

    _fn = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling of (N, C, H, W) or (C, H, W); arguments as LPPool1d, with pairs."""

    _fn = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling of (N, C, D, H, W) or (C, D, H, W); arguments as LPPool1d, with
    triples."""

    _fn = staticmethod(F.lp_pool3d)


class _AdaptivePool(Module):
    _fn = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return self._fn(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return self._fn(input, self.output_size, self.return_indices)


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling of (N, C, L) or (C, L) to a fixed length `output_size`, with windows
    [floor(i L / out), ceil((i + 1) L / out))."""

    _fn = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling of (N, C, H, W) or (C, H, W) to `output_size` (int or pair; None keeps
    the input size)."""

    _fn = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max pooling of (N, C, L) or (C, L) to a fixed length `output_size`; return_indices also
    returns the argmax."""

    _fn = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max pooling of (N, C, H, W) or (C, H, W) to `output_size` (int or pair; None keeps the
    input size); return_indices also returns the argmax."""

    _fn = staticmethod(F.adaptive_max_pool2d)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to `output_size` (int or triple; None
    keeps the input size)."""

    _fn = staticmethod(F.adaptive_avg_pool3d)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to `output_size` (int or triple; None
    keeps the input size); return_indices also returns the argmax."""

    _fn = staticmethod(F.adaptive_max_pool3d)


class _GlobalPool(Module):
    _fn = None

    def __init__(self, keepdim=False):
        super().__init__()
        self.keepdim = keepdim

    def forward(self, input):
        return self._fn(input, self.keepdim)

    def extra_repr(self):
        return f"keepdim={self.keepdim}" if self.keepdim else ""


class GlobalAvgPool2d(_GlobalPool):
    """Mean over the whole H x W plane: (N, C, H, W) -> (N, C), or (N, C, 1, 1) with
    keepdim; the usual head of a CNN before its classifier."""

    _fn = staticmethod(F.global_avg_pool2d)


class GlobalMaxPool2d(_GlobalPool):
    """Max over the whole H x W plane: (N, C, H, W) -> (N, C), or (N, C, 1, 1) with keepdim."""

    _fn = staticmethod(F.global_max_pool2d)
