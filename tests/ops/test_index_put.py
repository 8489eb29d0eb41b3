"""index_put (and index_put_) vs torch.index_put: int and bool indices for the leading dims,
broadcast indices and values, negative indices, accumulate with repeated positions, gradients
of input and values against torch and finite differences, and errors."""
import numpy as np
import pytest
import torch

import glia
from helpers import check_raises, gradcheck

rng = np.random.default_rng(11)

# input shape, index arrays (int64 or bool), values shape
CASES = {
    "one index": ((5, 3), [np.array([4, 0, 2])], (3, 3)),
    "one index, values broadcast": ((5, 3), [np.array([1, 3])], (3,)),
    "two indices broadcast": ((4, 5, 2), [np.array([[0], [3]]), np.array([1, 3, -1])], (2, 3, 2)),
    "all dims, scalar value": ((3, 4), [np.array([0, 2]), np.array([-1, 1])], ()),
    "bool mask over two dims": ((3, 4, 2), [rng.standard_normal((3, 4)) > 0], (1, 2)),
    "0-d index": ((4, 2), [np.array(2)], (2,)),
    "empty index": ((4, 2), [np.zeros(0, dtype=np.int64)], (0, 2)),
    "size-1 dims": ((1, 1, 3), [np.array([0]), np.array([0])], (3,)),
}


def tensors(case, lib):
    shape, idx, vshape = CASES[case]
    x, v = rng.standard_normal(shape), rng.standard_normal(vshape)
    make = glia.tensor if lib is glia else torch.tensor
    return x, tuple(make(i) for i in idx), v


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_matches_torch_with_gradients(case, accumulate):
    x, gidx, v = tensors(case, glia)
    tidx = tuple(torch.tensor(i) for i in CASES[case][1])
    gx, gv = glia.tensor(x, requires_grad=True), glia.tensor(v, requires_grad=True)
    tx, tv = torch.tensor(x, requires_grad=True), torch.tensor(v, requires_grad=True)
    g = glia.index_put(gx, gidx, gv, accumulate=accumulate)
    t = torch.index_put(tx, tidx, tv, accumulate=accumulate)
    np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=1e-12)
    w = rng.standard_normal(x.shape)
    (g * glia.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gv.grad.numpy(), tv.grad.numpy(), rtol=1e-12)
    gradcheck(lambda a, b: glia.index_put(a, gidx, b, accumulate=accumulate), x, v)


def test_accumulate_adds_repeated_positions():
    x = rng.standard_normal((4, 2))
    idx, v = np.array([1, 3, 1, 1]), rng.standard_normal((4, 2))
    g = glia.tensor(x).index_put((glia.tensor(idx),), glia.tensor(v), accumulate=True)
    t = torch.tensor(x).index_put((torch.tensor(idx),), torch.tensor(v), accumulate=True)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g.numpy()[1], x[1] + v[0] + v[2] + v[3], rtol=1e-12)


def test_repeated_positions_last_write_wins():
    g = glia.index_put(glia.zeros(3), (glia.tensor([2, 0, 2]),), glia.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g.numpy(), [2.0, 0.0, 3.0])


def test_inplace_form_and_integer_tensor():
    x = np.arange(12).reshape(3, 4)
    g, t = glia.tensor(x), torch.tensor(x)
    out = g.index_put_((glia.tensor([0, 2]), glia.tensor([3, 1])), glia.tensor(-5))
    t.index_put_((torch.tensor([0, 2]), torch.tensor([3, 1])), torch.tensor(-5))
    assert out is g
    assert g.dtype == glia.int64
    np.testing.assert_array_equal(g.numpy(), t.numpy())


def test_noncontiguous_input():
    x = rng.standard_normal((3, 5))
    g = glia.tensor(x).t()  # (5, 3) view
    t = torch.tensor(x).t()
    v = rng.standard_normal((2, 3))
    np.testing.assert_allclose(
        glia.index_put(g, (glia.tensor([4, 1]),), glia.tensor(v)).numpy(),
        torch.index_put(t, (torch.tensor([4, 1]),), torch.tensor(v)).numpy(), rtol=1e-12)


def test_bad_input():
    x = glia.zeros((3, 4))
    check_raises(lambda: glia.index_put(x, (glia.tensor([3]),), glia.tensor(1.0)), IndexError,
                 "index_put", "dim 0 of size 3")
    check_raises(lambda: glia.index_put(x, (glia.tensor([0]), glia.tensor([-5])),
                                        glia.tensor(1.0)), IndexError, "dim 1 of size 4")
    check_raises(lambda: glia.index_put(x, tuple(glia.tensor([0]) for _ in range(3)),
                                        glia.tensor(1.0)), IndexError, "3 indices", "(3, 4)")
    check_raises(lambda: glia.index_put(x, (glia.tensor([0.0]),), glia.tensor(1.0)), TypeError,
                 "int64 or bool")
    check_raises(lambda: glia.index_put(x, glia.tensor([0]), glia.tensor(1.0)), TypeError,
                 "tuple of tensors")
    check_raises(lambda: glia.index_put(x, (glia.tensor([0, 1]),), glia.ones((3, 4))),
                 ValueError, "values of shape (3, 4)", "(2, 4)")
    check_raises(lambda: glia.index_put(x, (glia.tensor([0, 1]), glia.tensor([0, 1, 2])),
                                        glia.tensor(1.0)), ValueError, "do not broadcast")
