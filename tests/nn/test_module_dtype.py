"""Module.to(dtype) / .double() / .float() keep the parameters' gradients, converted, as
torch does (a new dtype in p.data clears p.grad, so the gradient is read first)."""
import numpy as np
import pytest
import torch

import glia
from glia import nn
from helpers import assert_close, load_from_torch, randn, to_glia, to_torch


@pytest.mark.parametrize("convert", ["double", "to"])
def test_to_dtype_keeps_and_converts_gradients(convert):
    tm, gm = torch.nn.Linear(3, 2), nn.Linear(3, 2)
    load_from_torch(gm, tm)
    x = randn(4, 3, dtype=np.float32)
    gm(to_glia(x)).sum().backward()
    tm(to_torch(x)).sum().backward()
    if convert == "double":
        gm.double(), tm.double()
    else:
        gm.to(glia.float64), tm.to(torch.float64)
    for (gn, gp), (tn, tp) in zip(gm.named_parameters(), tm.named_parameters(), strict=True):
        assert gn == tn
        assert gp.dtype == glia.float64 and gp.grad is not None
        assert_close(gp.grad, tp.grad)
    gm.float()
    assert all(p.grad is not None and p.grad.dtype == glia.float32 for p in gm.parameters())


def test_to_dtype_keeps_a_missing_gradient_missing():
    gm = nn.Linear(3, 2).double()
    assert all(p.grad is None for p in gm.parameters())
    # a frozen bias has none after a backward, the weight has one: converting keeps each so
    gm = nn.Linear(3, 2)
    gm.bias.requires_grad_(False)
    gm(glia.ones(4, 3)).sum().backward()
    want = gm.weight.grad.numpy().astype(np.float64)
    gm.double()
    assert gm.bias.grad is None and gm.weight.grad.dtype == glia.float64
    np.testing.assert_array_equal(gm.weight.grad.numpy(), want)
