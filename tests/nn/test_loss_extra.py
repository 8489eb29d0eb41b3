"""MarginRankingLoss, HingeEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss,
PoissonNLLLoss, GaussianNLLLoss and TripletMarginWithDistanceLoss (functional and Module)
against torch: every reduction, shapes with size-0/1 dims, float32 and float64, input
gradients, float64 gradient checks, edge values and error messages."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F
from glia import nn
from helpers import (RNG, assert_close, check_op, check_raises, compare_module, gradcheck,
                     load_from_torch, randn, to_glia, to_torch)

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]


def signs(*shape, dtype=np.float64):
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0).astype(dtype)


def uniform(lo, hi, *shape, dtype=np.float64):
    return RNG.uniform(lo, hi, shape).astype(dtype)


# ---- margin ranking ----

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", [((5,), (5,), (5,)), ((4,), (1,), (4,)), ((), (), ()),
                                    ((0,), (0,), (0,)), ((2, 3), (2, 3), (1, 3))], ids=str)
def test_margin_ranking_loss_matches_torch(shapes, reduction, dtype):
    a, b = randn(*shapes[0]).astype(dtype), randn(*shapes[1]).astype(dtype)
    y = signs(*shapes[2], dtype=dtype)
    for margin in (0.0, 0.5):
        check_op(lambda x1, x2, t: F.margin_ranking_loss(x1, x2, t, margin, reduction),
                 lambda x1, x2, t: TF.margin_ranking_loss(x1, x2, t, margin, reduction=reduction),
                 np.asarray(a), np.asarray(b), np.asarray(y), noncontig=False)
    g = nn.MarginRankingLoss(0.3, reduction)
    t = torch.nn.MarginRankingLoss(0.3, reduction=reduction)
    compare_module(g, t, np.asarray(a), np.asarray(b), np.asarray(y))


def test_margin_ranking_loss_gradcheck_and_errors():
    y = to_glia(signs(6))
    gradcheck(lambda a, b: F.margin_ranking_loss(a, b, y, 0.2), randn(6), randn(6))
    x = glia.randn(3)
    check_raises(lambda: F.margin_ranking_loss(x, x.reshape(3, 1), glia.ones(3)), ValueError,
                 "margin_ranking_loss", "(3, 1)")
    check_raises(lambda: F.margin_ranking_loss(x, glia.randn(4), glia.ones(3)), ValueError,
                 "margin_ranking_loss", "(4,)")
    check_raises(lambda: F.margin_ranking_loss(x, x, glia.ones(3), reduction="avg"), ValueError,
                 "margin_ranking_loss", "'avg'")
    check_raises(lambda: nn.MarginRankingLoss(reduction="max"), ValueError, "MarginRankingLoss",
                 "'max'")


# ---- hinge embedding and soft margin ----

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 5), (7,), (), (0, 3), (1, 1)], ids=str)
def test_hinge_embedding_and_soft_margin_match_torch(shape, reduction, dtype):
    x = np.asarray(randn(*shape) * 2, dtype=dtype)
    y = np.asarray(signs(*shape, dtype=dtype))
    for margin in (1.0, 0.3):
        check_op(lambda a, b: F.hinge_embedding_loss(a, b, margin, reduction),
                 lambda a, b: TF.hinge_embedding_loss(a, b, margin, reduction=reduction), x, y)
    # torch's soft_margin_loss has no target gradient, so the target is a constant here
    check_op(lambda a: F.soft_margin_loss(a, to_glia(y), reduction),
             lambda a: TF.soft_margin_loss(a, to_torch(y), reduction=reduction), x)
    for g, t in [(nn.HingeEmbeddingLoss(0.5, reduction),
                  torch.nn.HingeEmbeddingLoss(0.5, reduction=reduction)),
                 (nn.SoftMarginLoss(reduction), torch.nn.SoftMarginLoss(reduction=reduction))]:
        compare_module(lambda a: g(a, to_glia(y)), lambda a: t(a, to_torch(y)), x)


def test_hinge_embedding_other_targets_and_soft_margin_extremes():
    # a target that is neither 1 nor -1 gets both terms, as torch; ints work too
    x, y = np.array([0.3, 2.0, -1.0, 0.5, 1.0]), np.array([1.0, -1.0, -1.0, 0.0, -1.0])
    check_op(lambda a, b: F.hinge_embedding_loss(a, b, reduction="none"),
             lambda a, b: TF.hinge_embedding_loss(a, b, reduction="none"), x, y, noncontig=False)
    yi = y.astype(np.int64)
    assert_close(F.hinge_embedding_loss(to_glia(x), to_glia(yi), reduction="none"),
                 TF.hinge_embedding_loss(to_torch(x), to_torch(yi), reduction="none"))
    # soft margin: torch's log1p(exp(-y x)) overflows to inf where glia's softplus is exact
    xe = np.array([100.0, -100.0, 800.0, 30.0, -30.0])
    ye = np.array([-1.0, 1.0, 1.0, 1.0, 1.0])
    out = F.soft_margin_loss(to_glia(xe), to_glia(ye), reduction="none").numpy()
    ref = TF.soft_margin_loss(to_torch(xe), to_torch(ye), reduction="none").numpy()
    np.testing.assert_allclose(out[:2], [100.0, 100.0], rtol=1e-12)
    np.testing.assert_allclose(out[2:], ref[2:], rtol=1e-12, atol=1e-300)
    gx = to_glia(xe, requires_grad=True)
    F.soft_margin_loss(gx, to_glia(ye), reduction="sum").backward()
    np.testing.assert_allclose(gx.grad.numpy(), -ye * np.exp(-np.logaddexp(0, ye * xe)),
                               rtol=1e-12, atol=1e-300)  # -y sigmoid(-y x)


def test_hinge_embedding_and_soft_margin_gradcheck_and_errors():
    y = to_glia(signs(3, 4))
    x = np.array([[-1.3, 0.2, 0.6, 1.7], [2.2, -0.4, 0.1, 0.8], [-2.0, 1.4, 0.35, -0.7]])
    gradcheck(lambda a: F.hinge_embedding_loss(a, y, 0.5), x)
    gradcheck(lambda a: F.soft_margin_loss(a, y), x)
    check_raises(lambda: F.hinge_embedding_loss(glia.randn(3, 4), glia.ones(4)), ValueError,
                 "hinge_embedding_loss", "(3, 4)", "(4,)")
    check_raises(lambda: F.soft_margin_loss(glia.randn(3), glia.ones(2)), ValueError,
                 "soft_margin_loss", "(2,)")
    check_raises(lambda: F.soft_margin_loss(glia.randn(3), glia.ones(3), "mean "), ValueError,
                 "soft_margin_loss", "'mean '")
    check_raises(lambda: F.hinge_embedding_loss(glia.randn(3), glia.ones(3), reduction=None),
                 ValueError, "hinge_embedding_loss", "None")


# ---- multilabel soft margin ----

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 3, 4), (0, 3), (1, 1)], ids=str)
def test_multilabel_soft_margin_loss_matches_torch(shape, reduction, dtype):
    x = np.asarray(randn(*shape) * 3, dtype=dtype)
    y = np.asarray(RNG.random(shape) < 0.4, dtype=dtype)
    w = uniform(0.5, 2.0, shape[-1], dtype=dtype)
    check_op(lambda a, b: F.multilabel_soft_margin_loss(a, b, reduction=reduction),
             lambda a, b: TF.multilabel_soft_margin_loss(a, b, reduction=reduction), x, y)
    check_op(lambda a, b: F.multilabel_soft_margin_loss(a, b, to_glia(w), reduction),
             lambda a, b: TF.multilabel_soft_margin_loss(a, b, to_torch(w), reduction=reduction),
             x, y)
    g = nn.MultiLabelSoftMarginLoss(to_glia(w), reduction=reduction)
    t = torch.nn.MultiLabelSoftMarginLoss(to_torch(w), reduction=reduction)
    assert list(g.state_dict()) == list(t.state_dict()) == ["weight"]
    compare_module(g, t, x, y)


def test_multilabel_soft_margin_extremes_gradcheck_and_errors():
    x = np.array([[-800.0, 800.0, 40.0], [0.0, -40.0, 3.0]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
    check_op(lambda a, b: F.multilabel_soft_margin_loss(a, b, reduction="none"),
             lambda a, b: TF.multilabel_soft_margin_loss(a, b, reduction="none"), x, y,
             noncontig=False)
    gradcheck(lambda a, b: F.multilabel_soft_margin_loss(a, b, to_glia(np.array([1.0, 2.0, 0.5]))),
              randn(2, 3), uniform(0, 1, 2, 3))
    check_raises(lambda: F.multilabel_soft_margin_loss(glia.randn(3, 4), glia.ones(3, 5)),
                 ValueError, "multilabel_soft_margin_loss", "(3, 5)")
    check_raises(lambda: F.multilabel_soft_margin_loss(glia.randn(3, 4), glia.ones(3, 4),
                                                       glia.ones(5)),
                 ValueError, "multilabel_soft_margin_loss", "weight", "(5,)")
    check_raises(lambda: F.multilabel_soft_margin_loss(glia.tensor(1.0), glia.tensor(1.0)),
                 ValueError, "multilabel_soft_margin_loss", "scalar")


# ---- Poisson NLL ----

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", [(True, False), (True, True), (False, False),
                                            (False, True)])
@pytest.mark.parametrize("shape", [(4, 5), (7,), (), (0, 2)], ids=str)
def test_poisson_nll_loss_matches_torch(shape, log_input, full, reduction, dtype):
    x = np.asarray(randn(*shape) if log_input else uniform(0.1, 4.0, *shape), dtype=dtype)
    # counts with 0 and 1 (no Stirling term) and larger ones; the target gets gradients too
    y = np.asarray(RNG.integers(1, 8, shape) + RNG.random(shape) * 0.5, dtype=dtype)
    check_op(lambda a, b: F.poisson_nll_loss(a, b, log_input, full, reduction=reduction),
             lambda a, b: TF.poisson_nll_loss(a, b, log_input, full, reduction=reduction), x, y)
    g = nn.PoissonNLLLoss(log_input, full, reduction=reduction)
    t = torch.nn.PoissonNLLLoss(log_input, full, reduction=reduction)
    compare_module(g, t, x, y)


def test_poisson_nll_stirling_term_and_zero_targets():
    x = np.array([0.5, -1.0, 2.0, 0.1, 1.3, 0.0])
    y = np.array([0.0, 1.0, 0.5, 1.5, 10.0, 0.0])
    check_op(lambda a: F.poisson_nll_loss(a, to_glia(y), full=True, reduction="none"),
             lambda a: TF.poisson_nll_loss(a, to_torch(y), full=True, reduction="none"), x,
             noncontig=False)
    out = F.poisson_nll_loss(to_glia(x), to_glia(y), full=True, reduction="none").numpy()
    stirling = np.where(y > 1, y * np.log(np.maximum(y, 1)) - y
                        + 0.5 * np.log(2 * np.pi * np.maximum(y, 1)), 0.0)
    np.testing.assert_allclose(out, np.exp(x) - y * x + stirling, rtol=1e-12)
    # torch's target gradient is NaN at target 0 (0 * log 0); glia's is finite and equal
    # elsewhere
    gy, ty = to_glia(y, requires_grad=True), to_torch(y, requires_grad=True)
    F.poisson_nll_loss(to_glia(x), gy, full=True, reduction="sum").backward()
    TF.poisson_nll_loss(to_torch(x), ty, full=True, reduction="sum").backward()
    assert np.all(np.isfinite(gy.grad.numpy()))
    np.testing.assert_allclose(gy.grad.numpy()[y > 0], ty.grad.numpy()[y > 0], rtol=1e-12)
    # eps keeps log(rate) finite at rate 0 (log_input=False)
    check_op(lambda a: F.poisson_nll_loss(a, to_glia(y), False, eps=1e-3),
             lambda a: TF.poisson_nll_loss(a, to_torch(y), False, eps=1e-3),
             np.array([0.0, 0.2, 1.0, 3.0, 0.0, 2.0]), noncontig=False)


def test_poisson_nll_gradcheck_and_errors():
    gradcheck(lambda a, b: F.poisson_nll_loss(a, b, full=True), randn(2, 3),
              uniform(1.5, 5, 2, 3))
    counts = to_glia(uniform(0, 4, 5))
    gradcheck(lambda a: F.poisson_nll_loss(a, counts, False), uniform(0.5, 3, 5))
    x = glia.randn(3)
    check_raises(lambda: F.poisson_nll_loss(x, glia.ones(4)), ValueError, "poisson_nll_loss",
                 "(4,)")
    check_raises(lambda: F.poisson_nll_loss(x, x, eps=-1e-8), ValueError, "poisson_nll_loss",
                 "eps")
    check_raises(lambda: F.poisson_nll_loss(x, x, reduction="batchmean"), ValueError,
                 "poisson_nll_loss", "'batchmean'")
    check_raises(lambda: nn.PoissonNLLLoss(eps=0.0), ValueError, "PoissonNLLLoss", "eps")


# ---- Gaussian NLL ----

VAR_SHAPES = [((3, 4), (3, 4)), ((3, 4), (3,)), ((3, 4), (3, 1)), ((3, 4), (1, 4)),
              ((4,), ()), ((4,), (1,)), ((2, 3, 2), (2, 3)), ((0, 3), (0, 3)), ((1, 1), (1,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", VAR_SHAPES, ids=str)
def test_gaussian_nll_loss_matches_torch(shapes, reduction, dtype):
    ishape, vshape = shapes
    x, y = np.asarray(randn(*ishape), dtype=dtype), np.asarray(randn(*ishape), dtype=dtype)
    v = np.asarray(uniform(0.2, 2.0, *vshape), dtype=dtype)
    for full in (False, True):
        check_op(lambda a, b, c: F.gaussian_nll_loss(a, b, c, full, reduction=reduction),
                 lambda a, b, c: TF.gaussian_nll_loss(a, b, c, full, reduction=reduction),
                 x, y, v)
    g = nn.GaussianNLLLoss(full=True, eps=1e-3, reduction=reduction)
    t = torch.nn.GaussianNLLLoss(full=True, eps=1e-3, reduction=reduction)
    compare_module(g, t, x, y, v)


def test_gaussian_nll_var_clamp_number_var_and_broadcast_target():
    # var at or below eps: the value uses eps, the gradient is the unclamped formula's at eps
    # (torch clamps in place under no_grad)
    x, y = np.zeros(4), np.array([1.0, -0.5, 2.0, 0.0])
    v = np.array([0.0, 1e-8, 2.0, 1e-6])
    check_op(lambda a, b, c: F.gaussian_nll_loss(a, b, c, reduction="sum"),
             lambda a, b, c: TF.gaussian_nll_loss(a, b, c, reduction="sum"), x, y, v,
             rtol=1e-10, noncontig=False)
    # a number as var, and a target broadcasting to the input, as torch
    xs, ys = randn(3, 4), randn(4)
    for var in (0.5, 2.0, 0.0):
        check_op(lambda a, b: F.gaussian_nll_loss(a, b, var, True),
                 lambda a, b: TF.gaussian_nll_loss(a, b, var, True), xs, ys)
    out = F.gaussian_nll_loss(to_glia(xs), to_glia(ys), 0.5, reduction="none").numpy()
    np.testing.assert_allclose(out, 0.5 * (np.log(0.5) + (xs - ys) ** 2 / 0.5), rtol=1e-12)


def test_gaussian_nll_gradcheck_and_errors():
    gradcheck(lambda a, b, c: F.gaussian_nll_loss(a, b, c, full=True), randn(3, 2), randn(3, 2),
              uniform(0.5, 2, 3, 1))
    x = glia.randn(3, 4)
    for bad in [(4,), (1, 1), (3, 2), (2, 4)]:
        check_raises(lambda b=bad: F.gaussian_nll_loss(x, x, glia.ones(*b)), ValueError,
                     "gaussian_nll_loss", "var shape", str(bad))
    check_raises(lambda: F.gaussian_nll_loss(x, x, -glia.ones(3, 4)), ValueError,
                 "gaussian_nll_loss", "negative")
    check_raises(lambda: F.gaussian_nll_loss(x, x, -1.0), ValueError, "gaussian_nll_loss",
                 "-1.0")
    check_raises(lambda: F.gaussian_nll_loss(x, glia.ones(5), glia.ones(3, 4)), ValueError,
                 "gaussian_nll_loss", "target", "(5,)")
    check_raises(lambda: F.gaussian_nll_loss(x, x, glia.ones(3, 4), eps=-1e-6), ValueError,
                 "gaussian_nll_loss", "eps")
    check_raises(lambda: F.gaussian_nll_loss(x, x, glia.ones(3, 4), reduction="avg"),
                 ValueError, "gaussian_nll_loss", "'avg'")
    check_raises(lambda: F.gaussian_nll_loss(glia.tensor([1, 2]), glia.tensor([1, 2]), 1.0),
                 TypeError, "gaussian_nll_loss", "int64")
    check_raises(lambda: nn.GaussianNLLLoss(eps=-1.0), ValueError, "GaussianNLLLoss", "eps")
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(True)  # keyword-only, as torch


# ---- triplet margin with distance ----

def _cos_dist(lib):
    mod = F if lib == "glia" else TF
    return lambda a, b: 1.0 - mod.cosine_similarity(a, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (1, 3), (0, 4)], ids=str)
def test_triplet_margin_with_distance_loss_matches_torch(shape, swap, reduction, dtype):
    a, p, n = (np.asarray(randn(*shape), dtype=dtype) for _ in range(3))
    kw = dict(margin=0.7, swap=swap, reduction=reduction)
    check_op(lambda x, y, z: F.triplet_margin_with_distance_loss(x, y, z, **kw),
             lambda x, y, z: TF.triplet_margin_with_distance_loss(x, y, z, **kw), a, p, n)
    check_op(lambda x, y, z: F.triplet_margin_with_distance_loss(
                 x, y, z, distance_function=_cos_dist("glia"), **kw),
             lambda x, y, z: TF.triplet_margin_with_distance_loss(
                 x, y, z, distance_function=_cos_dist("torch"), **kw), a, p, n)
    # the default distance is pairwise_distance, so it agrees with TripletMarginLoss
    g = nn.TripletMarginWithDistanceLoss(margin=0.7, swap=swap, reduction=reduction)
    t = torch.nn.TripletMarginWithDistanceLoss(margin=0.7, swap=swap, reduction=reduction)
    compare_module(g, t, a, p, n)
    assert_close(g(to_glia(a), to_glia(p), to_glia(n)),
                 TF.triplet_margin_loss(to_torch(a), to_torch(p), to_torch(n), 0.7, swap=swap,
                                        reduction=reduction))


def test_triplet_margin_with_distance_module_gradcheck_and_errors():
    g = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(1.0), margin=2.0)
    t = torch.nn.TripletMarginWithDistanceLoss(distance_function=torch.nn.PairwiseDistance(1.0),
                                               margin=2.0)
    load_from_torch(g, t)
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    compare_module(g, t, randn(4, 3), randn(4, 3), randn(4, 3))
    assert repr(nn.TripletMarginWithDistanceLoss()) == (
        "TripletMarginWithDistanceLoss(margin=1.0, swap=False, reduction='mean'\n"
        "  (distance_function): PairwiseDistance()\n)")
    gradcheck(lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, margin=3.0, swap=True),
              randn(3, 2), randn(3, 2), randn(3, 2))
    x = glia.randn(3, 4)
    fn = F.triplet_margin_with_distance_loss
    check_raises(lambda: fn(x, x, x, margin=0.0), ValueError, "triplet_margin_with_distance_loss",
                 "margin", "0.0")
    check_raises(lambda: fn(x, glia.randn(4), x), ValueError, "triplet_margin_with_distance_loss",
                 "(4,)")
    check_raises(lambda: fn(x, x, x, reduction="avg"), ValueError, "'avg'")
    check_raises(lambda: nn.TripletMarginWithDistanceLoss(margin=-1.0), ValueError,
                 "TripletMarginWithDistanceLoss", "-1.0")


def test_loss_module_reprs():
    assert repr(nn.MarginRankingLoss(0.5)) == "MarginRankingLoss(margin=0.5, reduction='mean')"
    assert repr(nn.PoissonNLLLoss(False, True, 1e-6, "sum")) == (
        "PoissonNLLLoss(log_input=False, full=True, eps=1e-06, reduction='sum')")
    assert repr(nn.GaussianNLLLoss(full=True)) == (
        "GaussianNLLLoss(full=True, eps=1e-06, reduction='mean')")
    assert repr(nn.SoftMarginLoss("none")) == "SoftMarginLoss(reduction='none')"
    assert repr(nn.HingeEmbeddingLoss()) == "HingeEmbeddingLoss(margin=1.0, reduction='mean')"
    assert math.isclose(nn.MarginRankingLoss(0.5)(glia.tensor([1.0]), glia.tensor([2.0]),
                                                   glia.tensor([1.0])).item(), 1.5)
