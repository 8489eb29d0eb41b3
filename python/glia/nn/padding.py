"""glia.nn 1-D, 2-D and 3-D padding layers (zero, constant, reflection, replication,
circular), as in torch.nn: the module forms of glia.nn.functional.pad."""
from glia.nn import functional as F
from glia.nn.functional.conv import _ntuple
from glia.nn.module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d"]


class _PadNd(Module):
    """Pads the last `_dims` dims of an unbatched (C, *) or batched (N, C, *) input.
    padding: an int (every side) or (left, right[, top, bottom[, front, back]]), last dim
    first as F.pad; negative widths crop."""

    _mode = "constant"
    _dims = 2
    _layouts = ("3-D (C, H, W)", "4-D (N, C, H, W)")

    def __init__(self, padding):
        super().__init__()
        self.padding = tuple(_ntuple(padding, 2 * self._dims, type(self).__name__, "padding"))

    def _check(self, input):
        if input.dim() not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"{type(self).__name__}: input must be {self._layouts[0]} or "
                             f"{self._layouts[1]}, got shape {tuple(input.shape)}")

    def forward(self, input):
        self._check(input)
        return F.pad(input, self.padding, mode=self._mode, value=getattr(self, "value", 0))

    def extra_repr(self):
        return f"{self.padding}"


class _Pad1d(_PadNd):
    _dims = 1
    _layouts = ("2-D (C, W)", "3-D (N, C, W)")


class _Pad2d(_PadNd):
    _dims = 2


class _Pad3d(_PadNd):
    _dims = 3
    _layouts = ("4-D (C, D, H, W)", "5-D (N, C, D, H, W)")


class _Constant:
    """Mixin of the constant pads: the fill `value`."""

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_Constant, _Pad1d):
    """Pads the last dim with a constant.

    Args:
        padding: int, or (left, right); negative values crop.
        value: the fill value.
    Shapes: (N, C, W) or (C, W) -> (N, C, W + left + right).
    """


class ConstantPad2d(_Constant, _Pad2d):
    """Pads the last two dims with a constant.

    Args:
        padding: int, or (left, right, top, bottom); negative values crop.
        value: the fill value.
    Shapes:
        (N, C, H, W) or (C, H, W) -> (N, C, H + top + bottom, W + left + right).
    """


class ConstantPad3d(_Constant, _Pad3d):
    """Pads the last three dims with a constant.

    Args:
        padding: int, or (left, right, top, bottom, front, back); negative values crop.
        value: the fill value.
    Shapes: (N, C, D, H, W) or (C, D, H, W) ->
        (N, C, D + front + back, H + top + bottom, W + left + right).
    """


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros; padding as ConstantPad1d."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dims with zeros; padding as ConstantPad2d."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dims with zeros; padding as ConstantPad3d."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_Pad1d):
    """Pads the last dim with its mirror image, edge not repeated ([1, 2, 3] padded by 2 on
    the left gives [3, 2, 1, 2, 3]); each width must be smaller than the dim.

    Args:
        padding: int, or (left, right).
    Shapes: (N, C, W) or (C, W) -> (N, C, W + left + right).
    """

    _mode = "reflect"


class ReflectionPad2d(_Pad2d):
    """Pads the last two dims with their mirror image, edge not repeated ([1, 2, 3] padded by
    2 on the left gives [3, 2, 1, 2, 3]); each width must be smaller than its dim.

    Args:
        padding: int, or (left, right, top, bottom).
    Shapes:
        (N, C, H, W) or (C, H, W) -> (N, C, H + top + bottom, W + left + right).
    """

    _mode = "reflect"


class ReflectionPad3d(_Pad3d):
    """Pads the last three dims with their mirror image; padding as ConstantPad3d, each
    width smaller than its dim."""

    _mode = "reflect"


class ReplicationPad1d(_Pad1d):
    """Pads the last dim by repeating its edge values; padding as ReflectionPad1d."""

    _mode = "replicate"


class ReplicationPad2d(_Pad2d):
    """Pads the last two dims by repeating their edge values; padding as ReflectionPad2d."""

    _mode = "replicate"


class ReplicationPad3d(_Pad3d):
    """Pads the last three dims by repeating their edge values; padding as ConstantPad3d."""

    _mode = "replicate"


class CircularPad1d(_Pad1d):
    """Pads the last dim by wrapping around ([1, 2, 3] padded by 2 on the left gives
    [2, 3, 1, 2, 3]); each width at most the dim. padding: int or (left, right)."""

    _mode = "circular"


class CircularPad2d(_Pad2d):
    """Pads the last two dims by wrapping around; padding int or (left, right, top, bottom),
    each width at most its dim."""

    _mode = "circular"


class CircularPad3d(_Pad3d):
    """Pads the last three dims by wrapping around; padding as ConstantPad3d, each width at
    most its dim."""

    _mode = "circular"
