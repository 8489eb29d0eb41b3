"""F.unfold / F.fold and nn.Unfold / nn.Fold vs PyTorch: outputs and input gradients over
kernel sizes, dilations, paddings and strides (batched, unbatched, size-1 dims; float32 and
float64), fold summing overlapping blocks, float64 gradchecks, repr and errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
from glia import nn
from glia.nn import functional as F
from helpers import assert_close, check_op, check_raises, compare_module, gradcheck, randn

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-7, atol=1e-9)}

CASES = [
    ((2, 3, 5, 4), dict(kernel_size=2)),
    ((1, 2, 7, 6), dict(kernel_size=(3, 2), dilation=(1, 2), padding=(1, 2), stride=(2, 1))),
    ((2, 1, 6, 6), dict(kernel_size=3, stride=3)),  # non-overlapping blocks
    ((1, 2, 5, 5), dict(kernel_size=(2, 3), stride=2, padding=1)),  # strides skip pixels
    ((3, 1, 5), dict(kernel_size=(1, 2), dilation=(1, 3))),  # unbatched, H = 1
    ((1, 1, 1, 1), dict(kernel_size=1)),
    ((2, 2, 1, 4), dict(kernel_size=(1, 4))),  # a single block
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kwargs", CASES)
def test_unfold_matches_torch(shape, kwargs, dtype):
    check_op(lambda a: F.unfold(a, **kwargs), lambda a: TF.unfold(a, **kwargs),
             randn(*shape, dtype=dtype), **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kwargs", CASES)
def test_fold_matches_torch(shape, kwargs, dtype):
    size = shape[-2:]
    cols = TF.unfold(torch.zeros(shape), **kwargs).shape  # (N, C kH kW, L) or (C kH kW, L)
    check_op(lambda a: F.fold(a, size, **kwargs), lambda a: TF.fold(a, size, **kwargs),
             randn(*cols, dtype=dtype), **TOL[dtype])


def test_fold_of_unfold_counts_the_windows_covering_each_pixel():
    kw = dict(kernel_size=3, padding=1, stride=1)
    ones = F.fold(F.unfold(glia.ones(1, 1, 4, 5), **kw), (4, 5), **kw)
    counts = TF.fold(TF.unfold(torch.ones(1, 1, 4, 5), **kw), (4, 5), **kw)
    assert_close(ones, counts, 0, 0)
    assert ones.numpy()[0, 0, 0, 0] == 4 and ones.numpy()[0, 0, 1, 1] == 9


def test_unfold_keeps_inf_and_nan_in_place():
    # a gather, not a convolution with one-hot kernels: 0 * inf elsewhere does not spread nan
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 1, 2], x[0, 0, 3, 0] = np.inf, np.nan
    assert_close(F.unfold(glia.tensor(x), 2), TF.unfold(torch.tensor(x), 2), 0, 0)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2, stride=1, padding=1),
                                    dict(kernel_size=(2, 3), dilation=(2, 1), stride=(1, 2))])
def test_gradcheck(kwargs):
    gradcheck(lambda x: F.unfold(x, **kwargs), randn(1, 2, 4, 5))
    cols = TF.unfold(torch.zeros(1, 2, 4, 5), **kwargs).shape
    gradcheck(lambda c: F.fold(c, (4, 5), **kwargs), randn(*cols))


@pytest.mark.parametrize("shape,kwargs", CASES[:3])
def test_modules_match_torch_and_repr(shape, kwargs):
    g, t = nn.Unfold(**kwargs), torch.nn.Unfold(**kwargs)
    assert repr(g) == repr(t)
    go, _ = compare_module(g, t, randn(*shape))
    gf, tf = nn.Fold(shape[-2:], **kwargs), torch.nn.Fold(shape[-2:], **kwargs)
    assert repr(gf) == repr(tf)
    compare_module(gf, tf, randn(*go.shape))


def test_errors():
    x = glia.randn(1, 2, 3, 3)
    check_raises(lambda: F.unfold(glia.randn(2, 3), 2), ValueError, "unfold", "(2, 3)")
    check_raises(lambda: F.unfold(x, 4), ValueError, "unfold", "kernel_size (4, 4)")
    check_raises(lambda: F.unfold(x, 2, stride=0), ValueError, "unfold", "stride")
    check_raises(lambda: F.unfold(x, 2, padding=-1), ValueError, "unfold", "padding")
    check_raises(lambda: F.unfold(x, (2, 2, 2)), ValueError, "unfold", "kernel_size")
    check_raises(lambda: F.fold(glia.randn(8, 5), 3, 2), ValueError, "fold", "input dim 2 (5)",
                 "2 * 2 = 4")
    check_raises(lambda: F.fold(glia.randn(1, 7, 4), 3, 2), ValueError, "fold", "divisible", "(7)")
    check_raises(lambda: F.fold(glia.randn(4), 3, 2), ValueError, "fold", "(4,)")
    check_raises(lambda: F.fold(glia.randn(1, 4, 4), 0, 2), ValueError, "fold", "output_size")
