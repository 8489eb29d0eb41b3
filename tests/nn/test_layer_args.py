"""Layer constructors check their size arguments when built (through functional.conv's
_ntuple), not at the first forward, and store them as torch does."""
import pytest
import torch

from glia import nn
from helpers import check_raises


@pytest.mark.parametrize("cls,n", [("MaxUnpool1d", 1), ("MaxUnpool2d", 2)])
def test_max_unpool_checks_its_sizes_at_construction(cls, n):
    g, t = getattr(nn, cls), getattr(torch.nn, cls)
    check_raises(lambda: g(kernel_size=0), ValueError, cls, "kernel_size", ">= 1")
    check_raises(lambda: g(2, stride=0), ValueError, cls, "stride", ">= 1")
    check_raises(lambda: g(2, padding=-1), ValueError, cls, "padding", ">= 0")
    check_raises(lambda: g((2,) * (n + 1)), ValueError, cls, "kernel_size", f"tuple of {n}")
    check_raises(lambda: g(2.5), ValueError, cls, "kernel_size", "2.5")
    for args in ((2,), (3, 1), ((2,) * n, 1, 1)):
        gm, tm = g(*args), t(*args)
        assert (gm.kernel_size, gm.stride, gm.padding) == (tm.kernel_size, tm.stride,
                                                           tm.padding)


def test_avg_pool1d_checks_its_sizes_at_construction():
    check_raises(lambda: nn.AvgPool1d(0), ValueError, "AvgPool1d", "kernel_size")
    check_raises(lambda: nn.AvgPool1d(2, stride=0), ValueError, "AvgPool1d", "stride")
    check_raises(lambda: nn.AvgPool1d(2, padding=(1, 1)), ValueError, "AvgPool1d", "padding")
    for args in ((2,), (3, 2, 1), ((3,), (1,), (1,))):
        gm, tm = nn.AvgPool1d(*args), torch.nn.AvgPool1d(*args)
        assert (gm.kernel_size, gm.stride, gm.padding) == (tm.kernel_size, tm.stride,
                                                           tm.padding)
