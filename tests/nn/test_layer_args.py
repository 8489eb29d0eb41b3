"""Layer constructors check their size arguments when built (through functional.conv's
_ntuple), not at the first forward, and store them as torch does."""
import numpy as np
import pytest
import torch

import glia
from glia import nn
from glia.nn import functional as F
from glia.nn.utils import receptive_field
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


def test_conv_padding_changed_after_construction_is_used():
    # the (left, right) pairs are derived on use: a later padding (or stride) is not ignored
    x = glia.randn(1, 2, 6, 7)
    m = nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect")
    m.padding = (2, 1)
    want = F.conv2d(F.pad(x, (1, 1, 2, 2), mode="reflect"), m.weight, m.bias)
    np.testing.assert_allclose(m(x).detach().numpy(), want.detach().numpy(), rtol=1e-6)
    z = nn.Conv2d(2, 3, 3, padding=1)
    z.padding = (2, 0)
    assert receptive_field(nn.Sequential(z), (2, 6, 7))[0].start == (-1.0, 1.0)
    z.padding = "same"
    assert receptive_field(nn.Sequential(z), (2, 6, 7))[0].start == (0.0, 0.0)
    z.stride = (2, 2)
    check_raises(lambda: receptive_field(nn.Sequential(z), (2, 6, 7)), ValueError, "same",
                 "strided")
