"""glia.nn 2-D padding layers (zero, constant, reflection, replication), as in torch.nn:
the module forms of glia.nn.functional.pad."""
from glia.nn import functional as F
from glia.nn.functional.conv import _ntuple
from glia.nn.module import Module

__all__ = ["ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d", "ZeroPad2d"]


class _Pad2d(Module):
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        # an int (all four sides) or (left, right, top, bottom); negative widths crop
        self.padding = tuple(_ntuple(padding, 4, type(self).__name__, "padding"))

    def _check(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"{type(self).__name__}: input must be 3-D (C, H, W) or 4-D "
                             f"(N, C, H, W), got shape {tuple(input.shape)}")

    def forward(self, input):
        self._check(input)
        return F.pad(input, self.padding, mode=self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class ConstantPad2d(_Pad2d):
    """Pads the last two dims with a constant.

    Args:
        padding: int, or (left, right, top, bottom); negative values crop.
        value: the fill value.
    Shapes:
        (N, C, H, W) or (C, H, W) -> (N, C, H + top + bottom, W + left + right).
    """

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        self._check(input)
        return F.pad(input, self.padding, mode="constant", value=self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dims with zeros; padding as ConstantPad2d."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad2d(_Pad2d):
    """Pads the last two dims with their mirror image, edge not repeated ([1, 2, 3] padded by
    2 on the left gives [3, 2, 1, 2, 3]); each width must be smaller than its dim.

    Args:
        padding: int, or (left, right, top, bottom).
    Shapes:
        (N, C, H, W) or (C, H, W) -> (N, C, H + top + bottom, W + left + right).
    """

    _mode = "reflect"


class ReplicationPad2d(_Pad2d):
    """Pads the last two dims by repeating their edge values; padding as ReflectionPad2d."""

    _mode = "replicate"
