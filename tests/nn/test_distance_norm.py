"""pairwise_distance, cosine_similarity, pdist (with PairwiseDistance and CosineSimilarity),
normalize and rms_norm / RMSNorm against torch: values and gradients on several shapes,
broadcasting, size-0/1 dims, float32 and float64, zero and tiny vectors (torch's eps
placement), large magnitudes, float64 gradient checks and error messages."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F
from glia import nn
from helpers import (assert_close, check_op, check_raises, compare_module, gradcheck,
                     load_from_torch, randn, to_glia, to_torch)

DTYPES = [np.float64, np.float32]


def arr(shape, dtype=np.float64, scale=1.0):
    return np.array(randn(*shape) * scale, dtype=dtype)


def tol(dtype):
    """float32 gradients that cancel to 0 (x / |x| of one element) keep ~1e-5 of rounding."""
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else {}


# ---- pairwise_distance ----

PAIR_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3, 4), (3, 1)), ((4,), (4,)), ((), ()),
               ((0, 4), (0, 4)), ((2, 0), (2, 0)), ((1, 1), (1, 1)), ((1, 5), (3, 5))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf])
@pytest.mark.parametrize("shapes", PAIR_SHAPES, ids=str)
def test_pairwise_distance_matches_torch(shapes, p, dtype):
    a, b = arr(shapes[0], dtype), arr(shapes[1], dtype)
    if p == math.inf and 0 in shapes[0][-1:]:  # torch and glia refuse the inf-norm of nothing
        check_raises(lambda: F.pairwise_distance(to_glia(a), to_glia(b), p), IndexError, "(2, 0)")
        return
    for keepdim in (False, True):
        check_op(lambda x, y: F.pairwise_distance(x, y, p, keepdim=keepdim),
                 lambda x, y: TF.pairwise_distance(x, y, p, keepdim=keepdim), a, b, **tol(dtype))


def test_pairwise_distance_p0_eps_and_equal_inputs():
    a, b = randn(3, 4), randn(3, 4)
    b[0] = a[0]
    check_op(lambda x, y: F.pairwise_distance(x, y, 0.0),
             lambda x, y: TF.pairwise_distance(x, y, 0.0), a, b, grad=False)
    # equal rows: eps inside the norm keeps the gradient finite, as torch
    for p in (2.0, 1.0, math.inf):
        check_op(lambda x, y: F.pairwise_distance(x, y, p, eps=1e-3),
                 lambda x, y: TF.pairwise_distance(x, y, p, eps=1e-3), a, b)
        check_op(lambda x, y: F.pairwise_distance(x, y, p, eps=0.0),
                 lambda x, y: TF.pairwise_distance(x, y, p, eps=0.0), a, a + 0.0)
    big = np.array([[1e150, -3e150], [2e-150, 1e-150]])
    check_op(F.pairwise_distance, TF.pairwise_distance, big, -big)


def test_pairwise_distance_module_gradcheck_and_errors():
    for args in [(), (1.0, 1e-3, True), (3.0,)]:
        g, t = nn.PairwiseDistance(*args), torch.nn.PairwiseDistance(*args)
        for dtype in DTYPES:
            compare_module(g, t, arr((5, 3), dtype), arr((5, 3), dtype), **tol(dtype))
        assert repr(g) == repr(t) and g.norm == t.norm and g.keepdim == t.keepdim
    gradcheck(lambda x, y: F.pairwise_distance(x, y, 3.0), randn(3, 4), randn(4))
    gradcheck(F.pairwise_distance, randn(2, 3), randn(2, 3))
    x = glia.randn(2, 3)
    check_raises(lambda: F.pairwise_distance(x, glia.randn(4, 3)), ValueError,
                 "pairwise_distance", "(2, 3)", "(4, 3)")
    check_raises(lambda: F.pairwise_distance(x, x, p=-1.0), ValueError, "pairwise_distance",
                 "p", "-1.0")
    check_raises(lambda: F.pairwise_distance(x, x, eps=-1e-6), ValueError, "pairwise_distance",
                 "eps", "-1e-06")
    check_raises(lambda: F.pairwise_distance(glia.tensor([1, 2]), glia.tensor([1, 3])),
                 TypeError, "pairwise_distance", "int64")


# ---- cosine_similarity ----

COS_CASES = [((3, 4), (3, 4), 1), ((3, 4), (3, 4), 0), ((3, 1, 4), (5, 4), -1),
             ((2, 3, 4), (2, 3, 4), 1), ((4,), (4,), 0), ((), (), 0), ((0, 3), (0, 3), 1),
             ((2, 0), (2, 0), 1), ((1, 1), (1, 1), 1), ((3, 1), (3, 4), 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", COS_CASES, ids=str)
def test_cosine_similarity_matches_torch(case, dtype):
    s1, s2, dim = case
    check_op(lambda x, y: F.cosine_similarity(x, y, dim),
             lambda x, y: TF.cosine_similarity(x, y, dim), arr(s1, dtype), arr(s2, dtype),
             **tol(dtype))
    g, t = nn.CosineSimilarity(dim), torch.nn.CosineSimilarity(dim)
    if s1:
        compare_module(g, t, arr(s1, dtype), arr(s2, dtype), **tol(dtype))
    assert repr(g) == repr(t)


def test_cosine_similarity_clamps_each_norm_like_torch():
    # zero and tiny vectors: each norm is clamped at eps separately, and the clamp is
    # invisible to the gradient (torch clamps in place under no_grad)
    x1 = np.array([[0.0, 0.0, 0.0], [1e-9, 0.0, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0],
                   [3e-9, -4e-9, 0.0]])
    x2 = np.array([[1.0, 2.0, 2.0], [1.0, 1.0, 0.0], [3e-10, 0.0, 0.0], [0.0, 0.0, 0.0],
                   [1e-9, 1e-9, 1e-9]])
    check_op(F.cosine_similarity, TF.cosine_similarity, x1, x2, rtol=1e-10, atol=1e-12,
             noncontig=False)
    # the value the old formula <x1, x2> / max(|x1| |x2|, eps) would give differs here
    out = F.cosine_similarity(to_glia(x1[1:2]), to_glia(x2[1:2])).numpy()
    np.testing.assert_allclose(out, [1e-9 * 1.0 / (1e-8 * math.sqrt(2))], rtol=1e-12)
    for eps in (0.0, 1e-3):
        check_op(lambda a, b: F.cosine_similarity(a, b, 1, eps),
                 lambda a, b: TF.cosine_similarity(a, b, 1, eps), x1[1:3], x2[1:3],
                 rtol=1e-10, atol=1e-5, noncontig=False)  # gradients ~1e9: cancellation
    big = np.array([[1e100, 2e100], [-3e15, 1e15]])
    check_op(F.cosine_similarity, TF.cosine_similarity, big, big[::-1].copy())
    big32 = np.array([[3e15, -1e15, 2e15]], dtype=np.float32)
    check_op(F.cosine_similarity, TF.cosine_similarity, big32, big32[:, ::-1].copy())


def test_cosine_similarity_gradcheck_and_errors():
    gradcheck(F.cosine_similarity, randn(3, 4), randn(3, 4))
    gradcheck(lambda a, b: F.cosine_similarity(a, b, -1), randn(2, 1, 4), randn(3, 4))
    x = glia.randn(2, 3)
    check_raises(lambda: F.cosine_similarity(x, glia.randn(4, 3)), ValueError,
                 "cosine_similarity", "(2, 3)", "(4, 3)")
    check_raises(lambda: F.cosine_similarity(x, x, 2), IndexError, "cosine_similarity", "dim 2")
    check_raises(lambda: F.cosine_similarity(glia.randn(4), glia.randn(4)), IndexError,
                 "cosine_similarity", "dim 1")
    check_raises(lambda: F.cosine_similarity(x, x, eps=-1.0), ValueError, "cosine_similarity",
                 "eps", "-1.0")
    check_raises(lambda: F.cosine_similarity(glia.tensor([1, 2]), glia.tensor([1, 3]), 0),
                 TypeError, "cosine_similarity", "int64")
    # mixed float dtypes promote, as torch
    out = F.cosine_similarity(to_glia(randn(2, 3)), to_glia(randn(2, 3).astype(np.float32)))
    assert out.dtype == glia.float64


# ---- pdist ----

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf])
@pytest.mark.parametrize("shape", [(4, 3), (1, 3), (0, 3), (3, 0), (5, 1), (2, 2)], ids=str)
def test_pdist_matches_torch(shape, p, dtype):
    check_op(lambda x: F.pdist(x, p), lambda x: TF.pdist(x, p), arr(shape, dtype),
             noncontig=False, **tol(dtype))


def test_pdist_p0_duplicate_rows_gradcheck_and_errors():
    x = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 5.0], [1.0, -2.0]])
    check_op(lambda t: F.pdist(t, 0.0), lambda t: TF.pdist(t, 0.0), x, grad=False)
    for p in (0.5, 1.0, 2.0, 3.0, math.inf):  # identical rows get gradient 0, as torch
        check_op(lambda t: F.pdist(t, p), lambda t: TF.pdist(t, p), x, noncontig=False)
    gradcheck(F.pdist, randn(4, 3))
    gradcheck(lambda t: F.pdist(t, 3.0), randn(3, 2))
    check_raises(lambda: F.pdist(glia.randn(2, 3, 4)), ValueError, "pdist", "(2, 3, 4)")
    check_raises(lambda: F.pdist(glia.randn(3)), ValueError, "pdist", "(3,)")
    check_raises(lambda: F.pdist(glia.randn(3, 2), -1.0), ValueError, "pdist", "p", "-1.0")
    check_raises(lambda: F.pdist(glia.tensor([[1, 2], [3, 4]])), TypeError, "pdist", "int64")


# ---- normalize ----

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("shape,dim", [((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((5,), 0),
                                       ((0, 3), 1), ((2, 0), 1), ((1, 1), 1), ((), 0)],
                         ids=str)
def test_normalize_matches_torch(shape, dim, p, dtype):
    if p == math.inf and 0 in shape[dim:dim + 1]:  # as torch, no inf-norm of nothing
        check_raises(lambda: F.normalize(to_glia(arr(shape)), p, dim), IndexError, "(2, 0)")
        return
    check_op(lambda x: F.normalize(x, p, dim), lambda x: TF.normalize(x, p, dim),
             arr(shape, dtype), **tol(dtype))


def test_normalize_zero_tiny_and_large_vectors():
    x = np.array([[0.0, 0.0], [1e-13, 0.0], [3.0, 4.0], [1e150, -1e150]])
    check_op(F.normalize, TF.normalize, x, rtol=1e-10, atol=1e-12, noncontig=False)
    check_op(lambda t: F.normalize(t, eps=0.1), lambda t: TF.normalize(t, eps=0.1), x[:3],
             noncontig=False)
    check_op(lambda t: F.normalize(t, 0.0), lambda t: TF.normalize(t, 0.0), x[:3],
             noncontig=False)
    out = F.normalize(to_glia(x)).numpy()
    np.testing.assert_allclose(out[0], [0.0, 0.0])  # a zero vector stays zero
    np.testing.assert_allclose(out[1], [0.1, 0.0], rtol=1e-12)  # divided by eps = 1e-12


def test_normalize_gradcheck_and_errors():
    gradcheck(F.normalize, randn(3, 4))
    gradcheck(lambda t: F.normalize(t, 3.0, 0), randn(3, 4))
    x = glia.randn(2, 3)
    check_raises(lambda: F.normalize(x, -1.0), ValueError, "normalize", "p", "-1.0")
    check_raises(lambda: F.normalize(x, eps=-1e-12), ValueError, "normalize", "eps")
    check_raises(lambda: F.normalize(x, dim=2), IndexError, "normalize", "dim 2", "(2, 3)")
    check_raises(lambda: F.normalize(glia.tensor([[1, 2]])), TypeError, "normalize", "int64")


# ---- rms_norm / RMSNorm ----

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,norm_shape", [((2, 3), (3,)), ((4, 2, 3), (2, 3)),
                                              ((5,), (5,)), ((0, 3), (3,)), ((2, 1), (1,)),
                                              ((2, 3, 1), (3, 1))], ids=str)
def test_rms_norm_matches_torch(shape, norm_shape, dtype):
    x, w = arr(shape, dtype, 3.0), arr(norm_shape, dtype)
    for eps in (None, 1e-5):
        check_op(lambda a: F.rms_norm(a, norm_shape, eps=eps),
                 lambda a: TF.rms_norm(a, norm_shape, eps=eps), x, **tol(dtype))
        check_op(lambda a, b: F.rms_norm(a, norm_shape, b, eps),
                 lambda a, b: TF.rms_norm(a, norm_shape, b, eps), x, w, **tol(dtype))


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("eps", [None, 1e-6])
def test_rms_norm_module_matches_torch(affine, eps):
    for dtype in DTYPES:
        t = torch.nn.RMSNorm([2, 3], eps=eps, elementwise_affine=affine)
        g = nn.RMSNorm((2, 3), eps=eps, elementwise_affine=affine)
        if affine:
            with torch.no_grad():
                t.weight.copy_(torch.linspace(-1, 2, 6).reshape(2, 3))
        if dtype == np.float64:
            t, g = t.double(), g.double()
        load_from_torch(g, t)
        assert list(g.state_dict()) == list(t.state_dict())
        compare_module(g, t, arr((4, 2, 3), dtype, 2.0), **tol(dtype))
        assert repr(g) == repr(t)
    m = nn.RMSNorm(4)
    assert m.normalized_shape == (4,) and repr(m) == repr(torch.nn.RMSNorm(4))


def test_rms_norm_eps_default_zeros_and_large_values():
    # eps None is finfo(dtype).eps: it matters only for rows of (near) zeros
    z = np.zeros((2, 3))
    for dtype in DTYPES:
        check_op(lambda a: F.rms_norm(a, (3,)), lambda a: TF.rms_norm(a, (3,)), z.astype(dtype),
                 noncontig=False)
        tiny = np.full((1, 3), 1e-4, dtype=dtype)
        check_op(lambda a: F.rms_norm(a, (3,)), lambda a: TF.rms_norm(a, (3,)), tiny,
                 noncontig=False)
    big = np.array([[1e150, -2e150, 3e150], [1e-150, 0.0, -1e-150]])
    check_op(lambda a: F.rms_norm(a, 3, eps=0.0), lambda a: TF.rms_norm(a, (3,), eps=0.0), big,
             noncontig=False)
    x = to_glia(np.array([[0.5, 0.5]], dtype=np.float32))
    np.testing.assert_allclose(F.rms_norm(x, (2,)).numpy(), 0.5 / np.sqrt(0.25 + 2.0 ** -23),
                               rtol=1e-6)


def test_rms_norm_gradcheck_and_errors():
    gradcheck(lambda a, w: F.rms_norm(a, (2, 3), w), randn(3, 2, 3), randn(2, 3))
    gradcheck(lambda a: F.rms_norm(a, 4, eps=0.1), randn(2, 4))
    x = glia.randn(2, 3)
    check_raises(lambda: F.rms_norm(x, (4,)), ValueError, "rms_norm", "(4,)", "(2, 3)")
    check_raises(lambda: F.rms_norm(x, (2, 2, 3)), ValueError, "rms_norm", "(2, 2, 3)")
    check_raises(lambda: F.rms_norm(x, ()), ValueError, "rms_norm", "normalized_shape")
    check_raises(lambda: F.rms_norm(x, (3,), glia.ones(4)), ValueError, "rms_norm", "(4,)")
    check_raises(lambda: F.rms_norm(x, (3,), glia.ones(1)), ValueError, "rms_norm", "(1,)")
    check_raises(lambda: F.rms_norm(x, (3,), glia.ones(3, dtype=glia.float64)), TypeError,
                 "rms_norm", "float64", "float32")
    check_raises(lambda: F.rms_norm(x, (3,), eps=-1.0), ValueError, "rms_norm", "eps", "-1.0")
    check_raises(lambda: F.rms_norm(glia.tensor([[1, 2]]), (2,)), TypeError, "rms_norm",
                 "int64")
    check_raises(lambda: nn.RMSNorm(3)(glia.randn(2, 4)), ValueError, "rms_norm", "(2, 4)")
    # normalizing one row by hand
    row = np.array([1.0, -2.0, 2.0])
    np.testing.assert_allclose(F.rms_norm(to_glia(row), 3, eps=0.0).numpy(),
                               row / np.sqrt(3.0), rtol=1e-12)
    assert_close(nn.RMSNorm(3, eps=0.0).double()(to_glia(row)),
                 to_torch(row) / math.sqrt(3.0))
