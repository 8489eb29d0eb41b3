"""sort / argsort / topk against PyTorch: values and indices along every dim, ascending and
descending, ties (stable), NaN, int64 and bool, size-0 and 0-d inputs, non-contiguous views,
gradients of the values, float64 gradchecks, errors."""
import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_op, check_raises, gradcheck, randn, to_glia, to_torch

SHAPES = [((7,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -2), ((4, 1), 1), ((0, 3), 1),
          ((3, 0), 1), ((), 0)]


def with_ties_and_nan(shape, dtype=np.float64):
    x = np.round(randn(*shape) * 2).astype(dtype)  # few distinct values: many ties
    if x.size > 3 and np.issubdtype(dtype, np.floating):
        x.flat[1] = np.nan
    return x


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("shape,dim", SHAPES)
def test_sort_and_argsort_match_torchs_stable_sort(shape, dim, descending):
    for dtype in (np.float64, np.float32, np.int64):
        x = with_ties_and_nan(shape, dtype)
        ref = torch.sort(to_torch(x), dim=dim, descending=descending, stable=True)
        res = glia.sort(to_glia(x), dim, descending)
        assert_close(res.values, ref.values)
        assert_close(res.indices, ref.indices)
        values, indices = to_glia(x).sort(dim=dim, descending=descending)
        assert_close(values, ref.values)
        assert_close(indices, ref.indices)
        assert_close(glia.argsort(to_glia(x), dim, descending), ref.indices)
        assert_close(to_glia(x).argsort(dim=dim, descending=descending), ref.indices)
    check_op(lambda a: glia.sort(a, dim, descending).values,
             lambda a: torch.sort(a, dim=dim, descending=descending, stable=True).values,
             randn(*shape))


def test_sort_bool_and_noncontiguous():
    b = np.array([[True, False, True, False], [False, False, True, True]])
    ref = torch.sort(to_torch(b), dim=1, stable=True)
    assert_close(glia.sort(to_glia(b), 1).values, ref.values)
    assert_close(glia.sort(to_glia(b), 1).indices, ref.indices)
    x = randn(4, 6)
    view = to_glia(x)[:, ::2].T  # strided and transposed
    ref = torch.sort(to_torch(x)[:, ::2].T, dim=1, descending=True, stable=True)
    assert_close(glia.sort(view, 1, True).values, ref.values)
    assert_close(glia.sort(view, 1, True).indices, ref.indices)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("shape,dim,k", [((7,), 0, 3), ((3, 5), 1, 1), ((3, 5), 0, 3), ((3, 5), 1, 5),
                                         ((2, 3, 4), -2, 2), ((3, 4), 1, 0), ((0, 4), 1, 2),
                                         ((), 0, 1)])
def test_topk_matches_torch(shape, dim, k, largest):
    x = randn(*shape)  # distinct values: torch's order of ties is unspecified
    ref = torch.topk(to_torch(x), k, dim=dim, largest=largest)
    res = glia.topk(to_glia(x), k, dim, largest)
    assert_close(res.values, ref.values)
    assert_close(res.indices, ref.indices)
    assert_close(to_glia(x).topk(k, dim=dim, largest=largest).values, ref.values)
    check_op(lambda a: glia.topk(a, k, dim, largest).values,
             lambda a: torch.topk(a, k, dim=dim, largest=largest).values, x)


def test_topk_ties_keep_the_lower_index_first_and_nan_is_largest():
    x = np.array([[1.0, 3.0, 3.0, np.nan, 0.0]])
    res = glia.topk(to_glia(x), 3)
    np.testing.assert_array_equal(res.indices.numpy(), [[3, 1, 2]])
    assert np.isnan(res.values.numpy()[0, 0])
    np.testing.assert_array_equal(glia.topk(to_glia(x), 2, largest=False).indices.numpy(), [[4, 0]])


def test_sort_topk_gradcheck():
    gradcheck(lambda a: glia.sort(a, 1, True).values, randn(3, 5))
    gradcheck(lambda a: glia.sort(a, 0).values, randn(4, 2, 3))
    gradcheck(lambda a: glia.topk(a, 2, 1).values, randn(3, 5))
    gradcheck(lambda a: a.topk(3, dim=0, largest=False).values, randn(4, 3))


def test_topk_of_a_0d_tensor_is_itself_for_k_0_and_1():
    for k in (0, 1):
        res = glia.topk(glia.tensor(3.0), k)
        assert res.values.item() == 3.0 and res.indices.item() == 0
    check_raises(lambda: glia.topk(glia.tensor(3.0), 2), ValueError, "topk", "[0, 1]")


def test_sort_topk_errors():
    x = glia.zeros(3, 4)
    check_raises(lambda: glia.topk(x, 5, 1), ValueError, "topk", "[0, 4]", "5")
    check_raises(lambda: glia.topk(x, -1), ValueError, "topk", "-1")
    check_raises(lambda: glia.sort(x, 2), IndexError, "sort", "2")
    check_raises(lambda: glia.argsort(x, -3), IndexError, "argsort", "-3")
    check_raises(lambda: x.topk(1, dim=5), IndexError, "topk")
