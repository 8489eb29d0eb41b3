"""Losses of glia.nn.functional and glia.nn against torch.nn.functional / torch.nn (numpy for
hinge and contrastive, which torch lacks): values for each reduction, input gradients,
float64 finite-difference gradients, buffers of the layers and error messages."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F
from glia import nn
from helpers import RNG, assert_close, check_op, check_raises, gradcheck, randn, to_glia, to_torch

REDUCTIONS = ["mean", "sum", "none"]


def uniform(lo, hi, *shape):
    return RNG.uniform(lo, hi, shape)


def labels(c, *shape):
    return RNG.integers(0, c, shape).astype(np.int64)


def signs(*shape):
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0)


# ---------------------------------------------------------------- regression losses

ELEMENTWISE = [
    ("mse", lambda r: (lambda x, y: F.mse_loss(x, y, reduction=r)),
     lambda r: (lambda x, y: TF.mse_loss(x, y, reduction=r))),
    ("l1", lambda r: (lambda x, y: F.l1_loss(x, y, reduction=r)),
     lambda r: (lambda x, y: TF.l1_loss(x, y, reduction=r))),
    ("huber0.5", lambda r: (lambda x, y: F.huber_loss(x, y, reduction=r, delta=0.5)),
     lambda r: (lambda x, y: TF.huber_loss(x, y, reduction=r, delta=0.5))),
    ("huber2", lambda r: (lambda x, y: F.huber_loss(x, y, r, 2.0)),
     lambda r: (lambda x, y: TF.huber_loss(x, y, r, 2.0))),
    ("smooth_l1", lambda r: (lambda x, y: F.smooth_l1_loss(x, y, reduction=r)),
     lambda r: (lambda x, y: TF.smooth_l1_loss(x, y, reduction=r))),
    ("smooth_l1_beta0.3", lambda r: (lambda x, y: F.smooth_l1_loss(x, y, r, beta=0.3)),
     lambda r: (lambda x, y: TF.smooth_l1_loss(x, y, reduction=r, beta=0.3))),
    ("smooth_l1_beta0", lambda r: (lambda x, y: F.smooth_l1_loss(x, y, r, beta=0.0)),
     lambda r: (lambda x, y: TF.smooth_l1_loss(x, y, reduction=r, beta=0.0))),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,gf,tf", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (7,)])
def test_elementwise_losses_match_torch(name, gf, tf, reduction, shape):
    x, y = randn(*shape) * 2, randn(*shape)
    check_op(gf(reduction), tf(reduction), x, y)
    check_op(gf(reduction), tf(reduction), x.astype(np.float32), y.astype(np.float32),
             rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- binary cross-entropy

@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(reduction):
    x, y = uniform(0.02, 0.98, 4, 5), uniform(0, 1, 4, 5)
    w = uniform(0.5, 2, 5)
    check_op(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
             lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), x, y)
    check_op(lambda a, b: F.binary_cross_entropy(a, b, to_glia(w), reduction),
             lambda a, b: TF.binary_cross_entropy(a, b, to_torch(w), reduction=reduction), x, y)
    m = nn.BCELoss(to_glia(w), reduction)
    assert_close(m(to_glia(x), to_glia(y)),
                 torch.nn.BCELoss(to_torch(w), reduction=reduction)(to_torch(x), to_torch(y)))


def test_binary_cross_entropy_clamps_log_at_minus_100():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    g = to_glia(x, True)
    out = F.binary_cross_entropy(g, to_glia(y), reduction="none")
    assert_close(out, TF.binary_cross_entropy(to_torch(x), to_torch(y), reduction="none"))
    np.testing.assert_allclose(out.detach().numpy(), [100, 100, 0, 0, np.log(2)], rtol=1e-12)
    out.sum().backward()
    assert np.isfinite(g.grad.numpy()).all()
    # where nothing is clamped the gradient is the usual one: (x - y) / (x (1 - x))
    np.testing.assert_allclose(g.grad.numpy()[4], -2.0, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_torch(reduction):
    x, y = randn(3, 4) * 3, uniform(0, 1, 3, 4)
    w, pw = uniform(0.5, 2, 3, 1), uniform(0.5, 3, 4)
    check_op(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
             lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), x, y)
    check_op(lambda a, b: F.binary_cross_entropy_with_logits(a, b, to_glia(w), reduction,
                                                             to_glia(pw)),
             lambda a, b: TF.binary_cross_entropy_with_logits(
                 a, b, to_torch(w), reduction=reduction, pos_weight=to_torch(pw)), x, y)
    m = nn.BCEWithLogitsLoss(to_glia(w), reduction, pos_weight=to_glia(pw))
    t = torch.nn.BCEWithLogitsLoss(to_torch(w), reduction=reduction, pos_weight=to_torch(pw))
    assert_close(m(to_glia(x), to_glia(y)), t(to_torch(x), to_torch(y)))


def test_binary_cross_entropy_with_logits_is_stable():
    # huge logits would overflow exp(); x = 0 exactly is where a relu/abs split goes wrong
    x = np.array([-200.0, -30.0, 0.0, 0.0, 30.0, 200.0], dtype=np.float32)
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0], dtype=np.float32)
    check_op(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"),
             lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction="none"), x, y)
    g = to_glia(x, True)
    F.binary_cross_entropy_with_logits(g, to_glia(y), reduction="sum").backward()
    np.testing.assert_allclose(g.grad.numpy(), 1 / (1 + np.exp(-x.astype(np.float64))) - y,
                               atol=1e-6)
    # with pos_weight, in float64 against torch (the gradient at 0 is (1 + (p - 1) y) / 2 - y)
    x, y, pw = np.array([0.0, 0.0, -25.0, 25.0]), np.array([1.0, 0.5, 1.0, 0.0]), randn(4)
    g, t = to_glia(x, True), to_torch(x, True)
    F.binary_cross_entropy_with_logits(g, to_glia(y), pos_weight=to_glia(pw)).backward()
    TF.binary_cross_entropy_with_logits(t, to_torch(y), pos_weight=to_torch(pw)).backward()
    assert_close(g.grad, t.grad, 1e-12, 1e-15)


# ---------------------------------------------------------------- KL divergence

@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    inp = torch.log_softmax(torch.from_numpy(randn(4, 5)), 1).numpy()
    tgt = torch.softmax(torch.from_numpy(randn(4, 5)), 1).numpy()
    if log_target:
        tgt = np.log(tgt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that 'mean' is not the true KL
        check_op(lambda a, b: F.kl_div(a, b, reduction, log_target),
                 lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target),
                 inp, tgt)
        assert_close(nn.KLDivLoss(reduction, log_target)(to_glia(inp), to_glia(tgt)),
                     torch.nn.KLDivLoss(reduction=reduction, log_target=log_target)(to_torch(inp),
                                                                         to_torch(tgt)))


def test_kl_div_zero_target_gives_zero_and_finite_gradients():
    inp = randn(2, 3)
    tgt = np.array([[0.0, 0.3, 0.7], [0.5, 0.5, 0.0]])
    check_op(lambda a: F.kl_div(a, to_glia(tgt), reduction="sum"),
             lambda a: TF.kl_div(a, to_torch(tgt), reduction="sum"), inp)
    # the target gradient, log(t) + 1 - input, is 0 where t == 0 (torch gives nan there)
    gt, tt = to_glia(tgt, True), to_torch(tgt, True)
    F.kl_div(to_glia(inp), gt, reduction="sum").backward()
    TF.kl_div(to_torch(inp), tt, reduction="sum").backward()
    positive = tgt > 0
    np.testing.assert_allclose(gt.grad.numpy()[positive], tt.grad.numpy()[positive], rtol=1e-12)
    np.testing.assert_array_equal(gt.grad.numpy()[~positive], 0.0)


# ---------------------------------------------------------------- margin losses

def np_hinge(x, y, margin):
    return np.maximum(0.0, margin - y * x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.5])
def test_hinge_loss_matches_numpy(reduction, margin):
    x, y = randn(6, 3), signs(6, 3)
    gx = to_glia(x, True)
    out = F.hinge_loss(gx, to_glia(y), margin, reduction)
    ref = np_hinge(x, y, margin)
    ref = {"mean": ref.mean(), "sum": ref.sum(), "none": ref}[reduction]
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)
    out.sum().backward()
    grad = np.where(margin - y * x > 0, -y, 0.0) / (x.size if reduction == "mean" else 1)
    np.testing.assert_allclose(gx.grad.numpy(), grad, rtol=1e-12)
    m = nn.HingeLoss(margin, reduction)
    np.testing.assert_allclose(m(to_glia(x), to_glia(y)).numpy(), ref, rtol=1e-12)
    # integer labels work too
    np.testing.assert_allclose(F.hinge_loss(to_glia(x), to_glia(y.astype(np.int64)), margin,
                                            reduction).numpy(), ref, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin,weighted", [(1, 1.0, False), (2, 1.0, False), (1, 0.5, True),
                                                (2, 2.0, True)])
def test_multi_margin_loss_matches_torch(reduction, p, margin, weighted):
    x, t = randn(5, 4), labels(4, 5)
    w = uniform(0.5, 2, 4) if weighted else None
    gw, tw = (to_glia(w), to_torch(w)) if weighted else (None, None)
    check_op(lambda a: F.multi_margin_loss(a, to_glia(t), p, margin, gw, reduction),
             lambda a: TF.multi_margin_loss(a, to_torch(t), p, margin, tw, reduction=reduction), x)
    # unbatched: input (C,), target ()
    check_op(lambda a: F.multi_margin_loss(a, to_glia(t[0]), p, margin, gw, reduction),
             lambda a: TF.multi_margin_loss(a, to_torch(t[0]), p, margin, tw,
                                            reduction=reduction), x[0])
    assert_close(nn.MultiMarginLoss(p, margin, gw, reduction)(to_glia(x), to_glia(t)),
                 torch.nn.MultiMarginLoss(p, margin, tw, reduction=reduction)(to_torch(x),
                                                                              to_torch(t)))


def np_contrastive(x1, x2, label, margin):
    d = np.sqrt(((x1 - x2) ** 2).sum(-1))
    return label * d ** 2 + (1 - label) * np.maximum(0.0, margin - d) ** 2


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_contrastive_loss_matches_numpy(reduction):
    x1, x2 = randn(6, 3) * 0.5, randn(6, 3) * 0.5
    label = np.array([1, 0, 1, 0, 0, 1])
    ref = np_contrastive(x1, x2, label, 1.5)
    ref = {"mean": ref.mean(), "sum": ref.sum(), "none": ref}[reduction]
    for lab in (to_glia(label), to_glia(label.astype(np.float64))):
        out = F.contrastive_loss(to_glia(x1), to_glia(x2), lab, 1.5, reduction)
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    m = nn.ContrastiveLoss(1.5, reduction)
    np.testing.assert_allclose(m(to_glia(x1), to_glia(x2), to_glia(label)).numpy(), ref,
                               rtol=1e-12)
    # unbatched pair
    out = F.contrastive_loss(to_glia(x1[1]), to_glia(x2[1]), to_glia(label[1]), 1.5, reduction)
    np.testing.assert_allclose(out.numpy(), np_contrastive(x1[1], x2[1], label[1], 1.5),
                               rtol=1e-12)


def test_contrastive_loss_gradient_and_identical_pair():
    x1, x2, label = randn(4, 3), randn(4, 3), np.array([1.0, 0.0, 1.0, 0.0])
    x2[0] = x1[0]  # d = 0 on a similar pair: loss 0, gradient 0, no nan
    g1, g2 = to_glia(x1, True), to_glia(x2, True)
    F.contrastive_loss(g1, g2, to_glia(label), 10.0, "sum").backward()
    d = np.sqrt(((x1 - x2) ** 2).sum(-1, keepdims=True))
    # d/dx1 of d^2 is 2 (x1 - x2); of (m - d)^2 it is -2 (m - d) (x1 - x2) / d
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = np.where(label[:, None] == 1, 2 * (x1 - x2), -2 * (10 - d) * (x1 - x2) / d)
    np.testing.assert_allclose(g1.grad.numpy(), ref, rtol=1e-10)
    np.testing.assert_allclose(g2.grad.numpy(), -ref, rtol=1e-10)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap,margin", [(2.0, False, 1.0), (2.0, True, 1.0), (1.0, False, 2.0),
                                           (3.0, True, 0.5)])
def test_triplet_margin_loss_matches_torch(reduction, p, swap, margin):
    a, pos, neg = randn(5, 4), randn(5, 4), randn(5, 4)
    check_op(lambda x, y, z: F.triplet_margin_loss(x, y, z, margin, p, 1e-6, swap, reduction),
             lambda x, y, z: TF.triplet_margin_loss(x, y, z, margin, p, 1e-6, swap,
                                                    reduction=reduction), a, pos, neg)
    check_op(lambda x, y, z: F.triplet_margin_loss(x, y, z, margin, p, swap=swap,
                                                   reduction=reduction),
             lambda x, y, z: TF.triplet_margin_loss(x, y, z, margin, p, swap=swap,
                                                    reduction=reduction), a[0], pos[0], neg[0])
    m = nn.TripletMarginLoss(margin, p, 1e-6, swap, reduction)
    t = torch.nn.TripletMarginLoss(margin, p, 1e-6, swap, reduction=reduction)
    assert_close(m(to_glia(a), to_glia(pos), to_glia(neg)),
                 t(to_torch(a), to_torch(pos), to_torch(neg)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3, -0.2])
def test_cosine_embedding_loss_matches_torch(reduction, margin):
    x1, x2, y = randn(6, 4), randn(6, 4), signs(6)
    check_op(lambda a, b: F.cosine_embedding_loss(a, b, to_glia(y), margin, reduction),
             lambda a, b: TF.cosine_embedding_loss(a, b, to_torch(y), margin,
                                                   reduction=reduction), x1, x2)
    yi = y.astype(np.int64)
    check_op(lambda a, b: F.cosine_embedding_loss(a, b, to_glia(yi[2]), margin, reduction),
             lambda a, b: TF.cosine_embedding_loss(a, b, to_torch(yi[2]), margin,
                                                   reduction=reduction), x1[2], x2[2])
    assert_close(nn.CosineEmbeddingLoss(margin, reduction)(to_glia(x1), to_glia(x2), to_glia(y)),
                 torch.nn.CosineEmbeddingLoss(margin, reduction=reduction)(
                     to_torch(x1), to_torch(x2), to_torch(y)))


# ---------------------------------------------------------------- cross-entropy / nll (fused)

def ce_pair(weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    gw = None if weight is None else to_glia(weight)
    tw = None if weight is None else to_torch(weight)
    g = nn.CrossEntropyLoss(gw, ignore_index, reduction, label_smoothing)
    t = torch.nn.CrossEntropyLoss(tw, ignore_index=ignore_index, reduction=reduction,
                                  label_smoothing=label_smoothing)
    return g, t


CE_CASES = [
    ("indices", (6, 4), (6,)),
    ("spatial", (2, 3, 2, 3), (2, 2, 3)),
    ("unbatched", (5,), ()),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("case,xshape,tshape", CE_CASES, ids=[c[0] for c in CE_CASES])
def test_cross_entropy_class_indices_match_torch(case, xshape, tshape, reduction, weighted,
                                                 label_smoothing):
    c = xshape[0] if len(xshape) == 1 else xshape[1]
    x, t = randn(*xshape), labels(c, *tshape)
    w = uniform(0.5, 2, c) if weighted else None
    g, tm = ce_pair(w, reduction=reduction, label_smoothing=label_smoothing)
    check_op(lambda a: g(a, to_glia(t)), lambda a: tm(a, to_torch(t)), x)
    gw = None if w is None else to_glia(w)
    check_op(lambda a: F.cross_entropy(a, to_glia(t), gw, reduction=reduction,
                                       label_smoothing=label_smoothing),
             lambda a: tm(a, to_torch(t)), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_ignore_index_matches_torch(reduction, weighted, label_smoothing):
    x, t = randn(6, 4), labels(4, 6)
    t[[1, 4]] = 2  # ignored rows add nothing and are not counted in the mean
    w = uniform(0.5, 2, 4) if weighted else None
    g, tm = ce_pair(w, 2, reduction, label_smoothing)
    check_op(lambda a: g(a, to_glia(t)), lambda a: tm(a, to_torch(t)), x)
    g, tm = ce_pair(w, -1, reduction, label_smoothing)
    t[[0, 3]] = -1  # a negative ignore_index is not a class
    check_op(lambda a: g(a, to_glia(t)), lambda a: tm(a, to_torch(t)), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
@pytest.mark.parametrize("xshape", [(4, 3), (2, 3, 2, 2), (3,)])
def test_cross_entropy_probabilities_match_torch(xshape, reduction, weighted, label_smoothing):
    c = xshape[0] if len(xshape) == 1 else xshape[1]
    x = randn(*xshape)
    cdim = 0 if len(xshape) == 1 else 1
    p = torch.softmax(torch.from_numpy(randn(*xshape)), cdim).numpy()
    w = uniform(0.5, 2, c) if weighted else None
    g, tm = ce_pair(w, reduction=reduction, label_smoothing=label_smoothing)
    # glia's fused op gives no gradient to a probability target (torch does), so the
    # target is a constant here
    check_op(lambda a: g(a, to_glia(p)), lambda a: tm(a, to_torch(p)), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case,xshape,tshape", CE_CASES, ids=[c[0] for c in CE_CASES])
def test_nll_loss_matches_torch(case, xshape, tshape, reduction, weighted):
    c = xshape[0] if len(xshape) == 1 else xshape[1]
    x, t = randn(*xshape), labels(c, *tshape)
    w = uniform(0.5, 2, c) if weighted else None
    gw, tw = (to_glia(w), to_torch(w)) if weighted else (None, None)
    m, tm = nn.NLLLoss(gw, reduction=reduction), torch.nn.NLLLoss(tw, reduction=reduction)
    # torch's nll_loss2d backward rejects a non-contiguous input: hand it a contiguous one
    check_op(lambda a: m(a, to_glia(t)), lambda a: tm(a.contiguous(), to_torch(t)), x)
    if len(tshape) == 1:
        t[2] = 1
        m = nn.NLLLoss(gw, ignore_index=1, reduction=reduction)
        tm = torch.nn.NLLLoss(tw, ignore_index=1, reduction=reduction)
        check_op(lambda a: m(a, to_glia(t)), lambda a: tm(a, to_torch(t)), x)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", ["nll", "cross_entropy"])
def test_every_target_ignored_gives_nan_mean_and_zero_gradient(loss, weighted):
    # the mean over no targets is 0 / 0, as torch; its gradient is zero, not 0 / 0
    x, t = randn(3, 4), np.full(3, 2)
    w = uniform(0.5, 2, 4) if weighted else None
    g_fn, t_fn = (F.nll_loss, TF.nll_loss) if loss == "nll" else (F.cross_entropy, TF.cross_entropy)
    gx, tx = to_glia(x, True), to_torch(x, True)
    g = g_fn(gx, to_glia(t), None if w is None else to_glia(w), ignore_index=2)
    tl = t_fn(tx, to_torch(t), None if w is None else to_torch(w), ignore_index=2)
    assert np.isnan(g.item()) and np.isnan(tl.item())
    g.backward()
    tl.backward()
    np.testing.assert_array_equal(gx.grad.numpy(), np.zeros((3, 4)))
    np.testing.assert_array_equal(tx.grad.numpy(), np.zeros((3, 4)))


def test_nll_loss_ignored_row_with_an_infinite_class_0_and_zero_weight_targets():
    # an ignored row's class-0 entry is never read, even when it is -inf
    lp = np.array([[-np.inf, 0.0], [0.0, -1.0]])
    g = F.nll_loss(to_glia(lp), to_glia(np.array([-100, 1])))
    t = TF.nll_loss(to_torch(lp), to_torch(np.array([-100, 1])))
    assert g.item() == t.item() == 1.0
    # kept targets of total weight 0: 0 / 0 in value and gradient, as torch
    x = to_glia(np.zeros((1, 2)), True)
    loss = F.nll_loss(x, to_glia(np.array([0])), to_glia(np.array([0.0, 1.0])))
    loss.backward()
    assert np.isnan(loss.item()) and np.isnan(x.grad.numpy()[0, 0])


# ---------------------------------------------------------------- float64 gradient checks

def gradcheck_cases():
    # every constant is drawn once here: the finite differences call each fn many times
    t3, y4, lab, cls = labels(3, 4), signs(4, 3), np.array([1, 0, 0, 1]), labels(3, 4)
    w3, w43, w41, pw3 = uniform(0.5, 2, 3), uniform(1, 2, 3), uniform(1, 2, 4, 1), uniform(1, 3, 3)
    y, probs = to_glia(signs(4)), to_glia(uniform(0, 1, 4, 3))
    return [
        ("mse", lambda x, y: F.mse_loss(x, y, reduction="none"), [randn(4, 3), randn(4, 3)]),
        ("l1", lambda x, y: F.l1_loss(x, y), [randn(4, 3), randn(4, 3)]),
        ("huber", lambda x, y: F.huber_loss(x, y, "none", 0.7), [randn(4, 3), randn(4, 3)]),
        ("smooth_l1", lambda x, y: F.smooth_l1_loss(x, y, "sum", 0.6), [randn(4, 3), randn(4, 3)]),
        ("bce", lambda x, y: F.binary_cross_entropy(x, y, to_glia(w43), "none"),
         [uniform(0.1, 0.9, 4, 3), uniform(0, 1, 4, 3)]),
        ("bce_logits", lambda x, y: F.binary_cross_entropy_with_logits(
            x, y, to_glia(w41), "none", to_glia(pw3)),
         [randn(4, 3) * 2, uniform(0, 1, 4, 3)]),
        ("kl_div", lambda x, y: F.kl_div(x, y, "batchmean"),
         [randn(4, 3), uniform(0.1, 1, 4, 3)]),
        ("kl_div_log", lambda x, y: F.kl_div(x, y, "none", log_target=True),
         [randn(4, 3), randn(4, 3)]),
        ("hinge", lambda x: F.hinge_loss(x, to_glia(y4), 1.0, "none"), [randn(4, 3) * 0.3]),
        ("multi_margin", lambda x: F.multi_margin_loss(x, to_glia(t3), 2, 1.0, to_glia(w3),
                                                       "none"), [randn(4, 3)]),
        ("contrastive", lambda a, b: F.contrastive_loss(a, b, to_glia(lab), 2.0, "none"),
         [randn(4, 3), randn(4, 3)]),
        ("triplet", lambda a, p, n: F.triplet_margin_loss(a, p, n, 1.0, 2.0, swap=True,
                                                          reduction="none"),
         [randn(4, 3), randn(4, 3), randn(4, 3)]),
        ("triplet_p1", lambda a, p, n: F.triplet_margin_loss(a, p, n, 2.0, 1.0), [
            randn(4, 3), randn(4, 3), randn(4, 3)]),
        ("cosine", lambda a, b: F.cosine_embedding_loss(a, b, y, 0.1, "none"),
         [randn(4, 3), randn(4, 3)]),
        ("cross_entropy", lambda x: F.cross_entropy(x, to_glia(cls), to_glia(w3),
                                                    label_smoothing=0.1), [randn(4, 3)]),
        ("cross_entropy_probs", lambda x: F.cross_entropy(x, probs, reduction="none"),
         [randn(4, 3)]),
        ("nll", lambda x: F.nll_loss(x, to_glia(cls), to_glia(w3), reduction="none"),
         [randn(4, 3)]),
    ]


GRADCHECK = gradcheck_cases()


@pytest.mark.parametrize("name,fn,arrays", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_loss_gradcheck_float64(name, fn, arrays):
    gradcheck(fn, *arrays)


# ---------------------------------------------------------------- layers

def test_loss_layers_store_weights_as_buffers():
    w = glia.tensor([1.0, 2.0, 3.0])
    for m in (nn.CrossEntropyLoss(w), nn.NLLLoss(w), nn.BCELoss(w), nn.MultiMarginLoss(weight=w)):
        assert [n for n, _ in m.named_buffers()] == ["weight"]
        assert list(m.parameters()) == []
        np.testing.assert_array_equal(m.state_dict()["weight"].numpy(), [1, 2, 3])
    m = nn.BCEWithLogitsLoss(pos_weight=w)
    assert list(m.state_dict()) == ["pos_weight"]
    m.double()
    assert m.pos_weight.dtype == glia.float64
    assert nn.MSELoss().state_dict() == {}
    assert "label_smoothing=0.1" in repr(nn.CrossEntropyLoss(label_smoothing=0.1))


def test_cross_entropy_layer_trains_logits():
    # one gradient step on the loss lowers it: the layer's output is a graph to the input
    x = nn.Parameter(glia.tensor(randn(8, 3)))
    t = to_glia(labels(3, 8))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    before = loss_fn(x, t)
    before.backward()
    with glia.no_grad():
        x.sub_(x.grad * 1.0)
    assert loss_fn(x, t).item() < before.item()


# ---------------------------------------------------------------- errors

BAD_SHAPE_CALLS = [
    ("mse_loss", lambda: F.mse_loss(glia.zeros(2, 3), glia.zeros(3, 2)), "(3, 2)"),
    ("l1_loss", lambda: F.l1_loss(glia.zeros(2, 3), glia.zeros(3)), "(3,)"),
    ("huber_loss", lambda: F.huber_loss(glia.zeros(4), glia.zeros(2, 4)), "(2, 4)"),
    ("smooth_l1_loss", lambda: F.smooth_l1_loss(glia.zeros(4), glia.zeros(5)), "(5,)"),
    ("binary_cross_entropy", lambda: F.binary_cross_entropy(glia.zeros(2, 3), glia.zeros(2, 1)),
     "(2, 1)"),
    ("binary_cross_entropy", lambda: F.binary_cross_entropy(glia.zeros(2, 3), glia.zeros(2, 3),
                                                            glia.ones(4)), "(4,)"),
    ("binary_cross_entropy_with_logits",
     lambda: F.binary_cross_entropy_with_logits(glia.zeros(2, 3), glia.zeros(3)), "(2, 3)"),
    ("binary_cross_entropy_with_logits",
     lambda: F.binary_cross_entropy_with_logits(glia.zeros(2, 3), glia.zeros(2, 3),
                                                pos_weight=glia.ones(2)), "(2,)"),
    ("kl_div", lambda: F.kl_div(glia.zeros(2, 3), glia.zeros(2, 4)), "(2, 4)"),
    ("hinge_loss", lambda: F.hinge_loss(glia.zeros(3), glia.ones(4)), "(4,)"),
    ("multi_margin_loss", lambda: F.multi_margin_loss(glia.zeros(3, 4), glia.tensor([0, 1])),
     "(3, 4)"),
    ("multi_margin_loss", lambda: F.multi_margin_loss(glia.zeros(2, 4), glia.tensor([0, 1]),
                                                      weight=glia.ones(3)), "(3,)"),
    ("contrastive_loss", lambda: F.contrastive_loss(glia.zeros(2, 3), glia.zeros(2, 4),
                                                    glia.ones(2)), "(2, 4)"),
    ("contrastive_loss", lambda: F.contrastive_loss(glia.zeros(2, 3), glia.zeros(2, 3),
                                                    glia.ones(3)), "(3,)"),
    ("triplet_margin_loss", lambda: F.triplet_margin_loss(glia.zeros(2, 3), glia.zeros(2, 3),
                                                          glia.zeros(3)), "(3,)"),
    ("cosine_embedding_loss", lambda: F.cosine_embedding_loss(glia.zeros(2, 3), glia.zeros(2, 3),
                                                              glia.ones(3)), "(3,)"),
]


@pytest.mark.parametrize("name,call,shape", BAD_SHAPE_CALLS, ids=[c[0] for c in BAD_SHAPE_CALLS])
def test_mismatched_shapes_raise_value_error(name, call, shape):
    check_raises(call, ValueError, name + ":", shape)


BAD_REDUCTION_CALLS = [
    ("mse_loss", lambda r: F.mse_loss(glia.zeros(2), glia.zeros(2), reduction=r)),
    ("l1_loss", lambda r: F.l1_loss(glia.zeros(2), glia.zeros(2), reduction=r)),
    ("huber_loss", lambda r: F.huber_loss(glia.zeros(2), glia.zeros(2), reduction=r)),
    ("smooth_l1_loss", lambda r: F.smooth_l1_loss(glia.zeros(2), glia.zeros(2), reduction=r)),
    ("binary_cross_entropy", lambda r: F.binary_cross_entropy(glia.zeros(2), glia.zeros(2),
                                                              reduction=r)),
    ("binary_cross_entropy_with_logits",
     lambda r: F.binary_cross_entropy_with_logits(glia.zeros(2), glia.zeros(2), reduction=r)),
    ("kl_div", lambda r: F.kl_div(glia.zeros(2), glia.zeros(2), reduction=r)),
    ("hinge_loss", lambda r: F.hinge_loss(glia.zeros(2), glia.ones(2), reduction=r)),
    ("multi_margin_loss", lambda r: F.multi_margin_loss(glia.zeros(2, 3), glia.tensor([0, 1]),
                                                        reduction=r)),
    ("contrastive_loss", lambda r: F.contrastive_loss(glia.zeros(2, 3), glia.zeros(2, 3),
                                                      glia.ones(2), reduction=r)),
    ("triplet_margin_loss", lambda r: F.triplet_margin_loss(glia.zeros(2, 3), glia.zeros(2, 3),
                                                            glia.zeros(2, 3), reduction=r)),
    ("cosine_embedding_loss", lambda r: F.cosine_embedding_loss(glia.zeros(2, 3),
                                                                glia.zeros(2, 3), glia.ones(2),
                                                                reduction=r)),
]


@pytest.mark.parametrize("name,call", BAD_REDUCTION_CALLS, ids=[c[0] for c in BAD_REDUCTION_CALLS])
def test_bad_reduction_raises_value_error(name, call):
    check_raises(lambda: call("avg"), ValueError, name + ":", "'avg'")
    check_raises(lambda: call(None), ValueError, name + ":", "reduction")


def test_bad_arguments_raise():
    check_raises(lambda: F.binary_cross_entropy(glia.tensor([0.5, 1.5]), glia.zeros(2)),
                 ValueError, "binary_cross_entropy:", "[0, 1]")
    check_raises(lambda: F.hinge_loss(glia.zeros(2), glia.tensor([1.0, 0.0])), ValueError,
                 "hinge_loss:", "-1 or 1")
    check_raises(lambda: F.multi_margin_loss(glia.zeros(2, 3), glia.tensor([0, 1]), p=3),
                 ValueError, "multi_margin_loss:", "p must be 1 or 2")
    check_raises(lambda: F.multi_margin_loss(glia.zeros(2, 3), glia.tensor([0, 3])), IndexError,
                 "3")
    check_raises(lambda: F.multi_margin_loss(glia.zeros(2, 3), glia.tensor([0.0, 1.0])),
                 TypeError, "multi_margin_loss:", "int64")
    check_raises(lambda: F.huber_loss(glia.zeros(2), glia.zeros(2), delta=0.0), ValueError,
                 "huber_loss:", "delta")
    check_raises(lambda: F.smooth_l1_loss(glia.zeros(2), glia.zeros(2), beta=-1.0), ValueError,
                 "smooth_l1_loss:", "beta")
    check_raises(lambda: F.triplet_margin_loss(glia.zeros(2), glia.zeros(2), glia.zeros(2),
                                               margin=0.0), ValueError, "triplet_margin_loss:",
                 "margin")
    check_raises(lambda: F.kl_div(glia.zeros(2), glia.zeros(2), reduction="batchsum"),
                 ValueError, "kl_div:", "'batchmean'")


@pytest.mark.parametrize("layer", [nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss,
                                   nn.BCELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss,
                                   nn.NLLLoss, nn.KLDivLoss, nn.HingeLoss, nn.MultiMarginLoss,
                                   nn.ContrastiveLoss, nn.TripletMarginLoss,
                                   nn.CosineEmbeddingLoss])
def test_layer_rejects_bad_reduction(layer):
    check_raises(lambda: layer(reduction="avg"), ValueError, layer.__name__, "'avg'")
    assert layer(reduction="sum").reduction == "sum"


def test_layer_rejects_bad_options():
    check_raises(lambda: nn.MultiMarginLoss(p=3), ValueError, "MultiMarginLoss", "p")
    check_raises(lambda: nn.TripletMarginLoss(margin=-1.0), ValueError, "TripletMarginLoss")
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"


def test_cross_entropy_errors():
    check_raises(lambda: F.cross_entropy(glia.zeros(3, 4), glia.tensor([0, 1])), ValueError,
                 "cross_entropy")
    check_raises(lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError, "CrossEntropyLoss")


def test_nll_loss_errors():
    lp, t = glia.randn(3, 4), glia.tensor([0, 1, 2])
    check_raises(lambda: F.nll_loss(glia.tensor(1.0), glia.tensor(0)), ValueError, "nll_loss",
                 "()")
    check_raises(lambda: F.nll_loss(lp, t, weight=glia.ones(7)), ValueError, "nll_loss",
                 "weight", "(4,)", "(7,)")
    check_raises(lambda: F.nll_loss(lp, t, weight=glia.ones(4, dtype=glia.float64)), TypeError,
                 "nll_loss", "weight", "float64")
    check_raises(lambda: F.nll_loss(glia.zeros(3, 4, dtype=glia.int64), t), TypeError,
                 "nll_loss", "int64")


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_loss_fused_path_over_many_chunks_matches_torch_on_any_thread_count(reduction):
    # the fused sum runs in 16384-element chunks on the threads; its result must not depend
    # on how many threads there are
    x, y = randn(70001).astype(np.float32) * 3, randn(70001).astype(np.float32)
    check_op(lambda a, b: F.mse_loss(a, b, reduction=reduction),
             lambda a, b: TF.mse_loss(a, b, reduction=reduction), x, y, rtol=1e-5, atol=1e-5)
    before = glia.get_num_threads()
    try:
        values = []
        for threads in (1, 2):
            glia.set_num_threads(threads)
            values.append(F.mse_loss(to_glia(x), to_glia(y), reduction=reduction).item())
    finally:
        glia.set_num_threads(before)
    assert values[0] == values[1]


def test_mse_loss_double_backward_and_edge_cases():
    x, y = randn(3, 4), randn(3, 4)

    def grad_of_loss(a, b):
        with glia.enable_grad():
            a = a if a.requires_grad else a.detach().requires_grad_(True)
            (d,) = glia.autograd.grad(F.mse_loss(a, b), [a], create_graph=True)
        return d * d.sum()

    gradcheck(grad_of_loss, x, y)
    # mixed dtypes promote, as torch; an empty mean is nan
    out = F.mse_loss(to_glia(x.astype(np.float32)), to_glia(y))
    assert out.dtype == glia.float64
    np.testing.assert_allclose(out.item(), np.mean((x.astype(np.float32) - y) ** 2), rtol=1e-6)
    assert np.isnan(F.mse_loss(glia.zeros(0), glia.zeros(0)).item())
    assert F.mse_loss(glia.zeros(0), glia.zeros(0), reduction="sum").item() == 0.0
