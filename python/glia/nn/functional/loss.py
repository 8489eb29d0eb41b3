"""glia.nn.functional: losses composed from glia ops (each op has its own backward).

cross_entropy and nll_loss are fused C++ ops and live in functional/core.py.
Every loss takes reduction='mean' | 'sum' | 'none' (kl_div also 'batchmean') and raises
ValueError naming the loss and the shapes when input and target do not match.
"""
import math
import numbers

import numpy as np

import glia
from glia import _C
from glia.nn.functional.activation import _check_float, logsigmoid, softplus
from glia.nn.functional.distance import pairwise_distance

__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "hinge_loss", "multi_margin_loss",
           "contrastive_loss", "triplet_margin_loss", "cosine_embedding_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "triplet_margin_with_distance_loss", "ctc_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name, reduction, allowed=_REDUCTIONS):
    if not isinstance(reduction, str) or reduction not in allowed:
        choices = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{name}: reduction must be one of {choices}, got {reduction!r}")


def _check_shapes(name, a, b, a_name="input", b_name="target"):
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{name}: {a_name} shape {tuple(a.shape)} and {b_name} shape "
                         f"{tuple(b.shape)} must match")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_broadcast(name, what, t, shape):
    if t is None:
        return
    try:
        ok = glia.broadcast_shapes(tuple(t.shape), shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{name}: {what} shape {tuple(t.shape)} does not broadcast to input "
                         f"shape {tuple(shape)}")


def _clamped_log(x):
    """max(log(x), -100) as torch's BCE; the log of 0 is never formed, so no 0 * inf = nan
    reaches the gradient."""
    positive = x > 0
    safe = glia.where(positive, x, glia.ones_like(x))
    return glia.where(positive, glia.clamp(glia.log(safe), min=-100.0),
                      glia.full_like(x, -100.0))


def mse_loss(input, target, reduction="mean"):
    """Mean squared error: (input - target)^2, reduced.

    Args:
        input, target: tensors of the same shape (*).
        reduction: 'mean' | 'sum' | 'none' ('none' keeps shape (*)).
    """
    _check_reduction("mse_loss", reduction)
    return _C.mse_loss(input, target, reduction)  # checks the shapes; mean and sum: one pass


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error: |input - target|, reduced. Shapes as mse_loss."""
    _check_reduction("l1_loss", reduction)
    _check_shapes("l1_loss", input, target)
    return _reduce(glia.abs(input - target), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Huber loss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), d = input - target.

    Quadratic near zero, linear (robust to outliers) beyond `delta` (> 0).
    """
    _check_reduction("huber_loss", reduction)
    _check_shapes("huber_loss", input, target)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = input - target
    ad = glia.abs(d)
    loss = glia.where(ad < delta, 0.5 * glia.square(d), delta * (ad - 0.5 * delta))
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """Smooth L1: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (huber_loss / beta).

    beta = 0 gives l1_loss.
    """
    _check_reduction("smooth_l1_loss", reduction)
    _check_shapes("smooth_l1_loss", input, target)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    d = input - target
    ad = glia.abs(d)
    loss = glia.where(ad < beta, (0.5 / beta) * glia.square(d), ad - 0.5 * beta)
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-w [y log(x) + (1 - y) log(1 - x)] with each log clamped at >= -100 (as torch).

    Args:
        input: probabilities in [0, 1], shape (*).
        target: same shape (*), values in [0, 1].
        weight: optional rescaling, broadcastable to (*).

    Where a log is clamped its gradient is 0 (torch instead clamps the derivative's
    denominator at 1e-12); elsewhere the gradients agree.
    """
    name = "binary_cross_entropy"
    _check_reduction(name, reduction)
    _check_shapes(name, input, target)
    _check_broadcast(name, "weight", weight, input.shape)
    if input.numel() and bool(glia.logical_or(input < 0, input > 1).any()):
        raise ValueError(f"{name}: input values must lie in [0, 1] (probabilities); "
                         "use binary_cross_entropy_with_logits for logits")
    loss = -(target * _clamped_log(input) + (1 - target) * _clamped_log(1 - input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable expression.

    loss = -w [p y log(sigmoid(x)) + (1 - y) log(1 - sigmoid(x))]
         = w [(1 - y) x + (1 + (p - 1) y) softplus(-x)]

    Args:
        input: logits, shape (*).
        target: same shape (*), values in [0, 1].
        weight: optional rescaling, broadcastable to (*).
        pos_weight: weight of positive examples, broadcastable to (*) (usually (C,)).
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    _check_shapes(name, input, target)
    _check_broadcast(name, "weight", weight, input.shape)
    _check_broadcast(name, "pos_weight", pos_weight, input.shape)
    # no threshold: torch's exact log1p(exp(-|x|)) + max(-x, 0); the gradient at 0 is 1/2
    neg_log_sigmoid = softplus(-input, 1.0, math.inf)
    if pos_weight is None:
        loss = (1 - target) * input + neg_log_sigmoid
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * neg_log_sigmoid
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, reduction="mean", log_target=False):
    """Kullback-Leibler divergence KL(target || model) with `input` = log-probabilities.

    pointwise: target (log target - input), taken as 0 where target == 0;
    with log_target=True: exp(target) (target - input).

    Args:
        input: log-probabilities, shape (*).
        target: probabilities (or log-probabilities if log_target), same shape.
        reduction: 'batchmean' (sum / batch size, the true KL) | 'sum' | 'mean'
            (mean over all elements) | 'none'.
    """
    _check_reduction("kl_div", reduction, ("mean", "batchmean", "sum", "none"))
    _check_shapes("kl_div", input, target)
    if log_target:
        loss = glia.exp(target) * (target - input)
    else:
        positive = target > 0
        safe = glia.where(positive, target, glia.ones_like(target))
        # where, not a product with target, so target == 0 gives value and gradients 0
        loss = glia.where(positive, target * (glia.log(safe) - input), glia.zeros_like(input))
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() > 0 else loss.sum()
    return _reduce(loss, reduction)


def hinge_loss(input, target, margin=1.0, reduction="mean"):
    """Binary hinge (SVM) loss: max(0, margin - y x), averaged by default.

    Args:
        input: raw scores, shape (*).
        target: labels in {-1, 1}, same shape (*).
    No torch equivalent (torch's HingeEmbeddingLoss is a different loss).
    """
    _check_reduction("hinge_loss", reduction)
    _check_shapes("hinge_loss", input, target)
    if target.numel() and not bool(glia.logical_or(target == 1, target == -1).all()):
        raise ValueError("hinge_loss: target values must be -1 or 1")
    y = target.to(input.dtype)
    return _reduce(glia.relu(margin - y * input), reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    """Multi-class hinge loss (as torch): for each sample with class y,

    loss = sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C

    Args:
        input: scores (N, C) or (C,).
        target: class indices (N,) or () (int64).
        p: 1 or 2.
        weight: optional per-class weights (C,).
    """
    name = "multi_margin_loss"
    _check_reduction(name, reduction)
    if p not in (1, 2):
        raise ValueError(f"{name}: p must be 1 or 2, got {p}")
    if input.dim() not in (1, 2) or target.numel() != (input.shape[0] if input.dim() == 2 else 1) \
            or target.dim() > 1:
        raise ValueError(f"{name}: expected input (N, C) with target (N,), or input (C,) with "
                         f"target (); got input {tuple(input.shape)} and target "
                         f"{tuple(target.shape)}")
    if target.dtype != glia.int64:
        raise TypeError(f"{name}: target must hold int64 class indices, got {target.dtype}")
    x = input if input.dim() == 2 else input.unsqueeze(0)
    c = x.shape[1]
    if weight is not None and tuple(weight.shape) != (c,):
        raise ValueError(f"{name}: weight shape {tuple(weight.shape)} must be ({c},) for input "
                         f"shape {tuple(input.shape)}")
    t = target.reshape(-1)
    x_y = glia.gather(x, 1, t.unsqueeze(1))
    z = glia.relu(margin - x_y + x)
    if p == 2:
        z = glia.square(z)
    if weight is not None:
        z = z * glia.index_select(weight, 0, t).unsqueeze(1)
    # the j == y term is the constant max(0, margin)^p: drop it from value and gradient
    z = glia.masked_fill(z, glia.arange(c) == t.unsqueeze(1), 0.0)
    loss = z.sum(1) / c
    if input.dim() == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def contrastive_loss(x1, x2, label, margin=1.0, reduction="mean"):
    """Contrastive loss for Siamese pairs (Hadsell, Chopra & LeCun, 2006), without the 1/2.

    With d = ||x1 - x2||_2 over the last dim and label 1 = similar, 0 = dissimilar:
    loss = label d^2 + (1 - label) max(0, margin - d)^2, averaged over pairs.

    Args:
        x1, x2: embeddings (N, D) or (D,).
        label: (N,) or (), 1 for similar pairs, 0 for dissimilar ones (any dtype).
        margin: dissimilar pairs closer than this are pushed apart.
    """
    name = "contrastive_loss"
    _check_reduction(name, reduction)
    _check_shapes(name, x1, x2, "x1", "x2")
    if x1.dim() not in (1, 2) or tuple(label.shape) != tuple(x1.shape[:-1]):
        raise ValueError(f"{name}: expected x1, x2 (N, D) with label (N,), or (D,) with label "
                         f"(); got x1 {tuple(x1.shape)} and label {tuple(label.shape)}")
    y = label.to(x1.dtype)
    diff = x1 - x2
    sq = glia.square(diff).sum(-1)  # d^2 directly: smooth where x1 == x2
    d = glia.norm(diff, 2.0, -1)
    loss = y * sq + (1 - y) * glia.square(glia.relu(margin - d))
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
                        reduction="mean"):
    """Triplet loss (as torch): max(0, margin + d(a, p) - d(a, n)), d(x, y) = ||x - y + eps||_p.

    Args:
        anchor, positive, negative: embeddings of the same shape, (N, D) or (D,).
        swap: use min(d(a, n), d(p, n)) as the negative distance (Balntas et al., 2016).
    """
    name = "triplet_margin_loss"
    _check_reduction(name, reduction)
    _check_shapes(name, anchor, positive, "anchor", "positive")
    _check_shapes(name, anchor, negative, "anchor", "negative")
    if anchor.dim() not in (1, 2):
        raise ValueError(f"{name}: expected (N, D) or (D,) inputs, got shape "
                         f"{tuple(anchor.shape)}")
    if margin <= 0:
        raise ValueError(f"{name}: margin must be positive, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = glia.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(glia.clamp(margin + d_pos - d_neg, min=0.0), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """Cosine embedding loss (as torch): 1 - cos(x1, x2) where y = 1,
    max(0, cos(x1, x2) - margin) where y = -1.

    cos = <x1, x2> / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12)) over the last dim.

    Args:
        input1, input2: (N, D) or (D,).
        target: (N,) or (), values 1 or -1.
    """
    name = "cosine_embedding_loss"
    _check_reduction(name, reduction)
    _check_shapes(name, input1, input2, "input1", "input2")
    if input1.dim() not in (1, 2) or tuple(target.shape) != tuple(input1.shape[:-1]):
        raise ValueError(f"{name}: expected inputs (N, D) with target (N,), or (D,) with target "
                         f"(); got input1 {tuple(input1.shape)} and target "
                         f"{tuple(target.shape)}")
    eps = 1e-12
    dot = (input1 * input2).sum(-1)
    denom = glia.sqrt((glia.square(input1).sum(-1) + eps) * (glia.square(input2).sum(-1) + eps))
    cos = dot / denom
    zero = glia.zeros_like(cos)
    loss = (glia.where(target == 1, 1 - cos, zero)
            + glia.where(target == -1, glia.clamp(cos - margin, min=0.0), zero))
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """max(0, -y (x1 - x2) + margin): y = 1 asks for x1 ranked above x2, y = -1 below.

    Args:
        input1, input2, target: tensors with the same number of dims that broadcast
            together, e.g. (N,) or (); target holds 1 or -1.
    """
    name = "margin_ranking_loss"
    _check_reduction(name, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ValueError(f"{name}: input1, input2 and target must have the same number of dims, "
                         f"got shapes {tuple(input1.shape)}, {tuple(input2.shape)} and "
                         f"{tuple(target.shape)}")
    try:
        glia.broadcast_shapes(tuple(input1.shape), tuple(input2.shape), tuple(target.shape))
    except ValueError:
        raise ValueError(f"{name}: shapes {tuple(input1.shape)}, {tuple(input2.shape)} and "
                         f"{tuple(target.shape)} do not broadcast") from None
    return _reduce(glia.clamp_min(-target * (input1 - input2) + margin, 0.0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1 (x is usually a distance).

    As torch, a target that is neither 1 nor -1 gets both terms.
    Args: input and target of the same shape (*).
    """
    name = "hinge_embedding_loss"
    _check_reduction(name, reduction)
    _check_shapes(name, input, target)
    loss = (glia.where(target != 1, glia.clamp_min(margin - input, 0.0), 0.0)
            + glia.where(target != -1, input, 0.0))
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, reduction="mean"):
    """log(1 + exp(-y x)), the logistic loss of labels y in {-1, 1}, averaged over all
    elements; computed as softplus(-y x), finite where torch's log1p(exp) overflows.

    Args: input and target of the same shape (*).
    """
    name = "soft_margin_loss"
    _check_reduction(name, reduction)
    _check_shapes(name, input, target)
    return _reduce(softplus(-target * input, 1.0, math.inf), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, reduction="mean"):
    """Multi-label one-versus-all logistic loss, averaged over the C classes (last dim):
        loss = -sum_c w_c [y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)] / C

    Args:
        input: logits (N, C) or (C,) (any shape (*, C)).
        target: the same shape, values in [0, 1].
        weight: optional rescaling broadcastable to the input, usually (C,).
    Shapes: 'none' gives (N,) (the input shape without its last dim).
    """
    name = "multilabel_soft_margin_loss"
    _check_reduction(name, reduction)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dim, got a scalar")
    _check_shapes(name, input, target)
    _check_broadcast(name, "weight", weight, input.shape)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.sum(-1) / input.shape[-1], reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    """Negative log-likelihood of target ~ Poisson(rate):
        log_input=True (input = log rate):  exp(input) - target * input
        log_input=False (input = rate):     input - target * log(input + eps)
    plus, with full, Stirling's approximation of log(target!),
    target log(target) - target + 0.5 log(2 pi target), where target > 1 (0 elsewhere).

    Args: input and target of the same shape (*); eps > 0 keeps log(rate) finite at rate 0.
    """
    name = "poisson_nll_loss"
    _check_reduction(name, reduction)
    _check_shapes(name, input, target)
    if not eps > 0:
        raise ValueError(f"{name}: eps must be positive, got {eps}")
    if log_input:
        loss = glia.exp(input) - target * input
    else:
        loss = input - target * glia.log(input + eps)
    if full:
        big = target > 1
        # the Stirling term of target <= 1 is 0; a safe 1 there keeps log(0) out of the graph
        t = glia.where(big, target, 1.0)
        stirling = t * glia.log(t) - t + 0.5 * glia.log(2 * math.pi * t)
        loss = loss + glia.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of target ~ N(input, var):
        0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) [+ 0.5 log(2 pi)].

    Args:
        input: the predicted means, (N, *) or (*).
        target: the observations, broadcastable to the input.
        var: the predicted variances (>= 0): a number, the input's shape, the input's shape
            without its last dim (one variance per sample), or the input's shape with one dim
            of size 1 (as torch).
        full: add the constant 0.5 log(2 pi).
        eps: the smallest variance used. As torch, the clamp does not enter the gradient
            (torch clamps in place under no_grad): var's gradient is that of the unclamped
            formula, evaluated at max(var, eps).
    """
    name = "gaussian_nll_loss"
    _check_reduction(name, reduction)
    _check_float(name, input)
    if not eps >= 0:
        raise ValueError(f"{name}: eps must be non-negative, got {eps}")
    if isinstance(var, numbers.Real):
        if var < 0:
            raise ValueError(f"{name}: var must be non-negative, got {var}")
        var = glia.full_like(input, float(var))
    elif var.numel() and bool((var < 0).any()):
        raise ValueError(f"{name}: var has negative entries")
    ishape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape != ishape:
        if ishape[:-1] == vshape:  # one variance per sample: broadcast over the last dim
            var = var.unsqueeze(-1)
        elif not (len(ishape) == len(vshape)
                  and sum(v for i, v in zip(ishape, vshape) if i != v) == 1):
            raise ValueError(f"{name}: var shape {vshape} must be the input shape {ishape}, "
                             f"that shape without its last dim, or with one dim of size 1")
    _check_broadcast(name, "target", target, input.shape)
    var = var + (glia.clamp_min(var, eps) - var).detach()
    loss = 0.5 * (glia.log(var) + glia.square(input - target) / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with any distance d
    (default pairwise_distance, the Euclidean distance over the last dim).

    Args:
        anchor, positive, negative: tensors with the same number of dims, e.g. (N, D).
        distance_function: a callable (x1, x2) -> distances, e.g. 1 - cosine_similarity.
        swap: use min(d(a, n), d(p, n)) as the negative distance.
    """
    name = "triplet_margin_with_distance_loss"
    _check_reduction(name, reduction)
    if not margin > 0:
        raise ValueError(f"{name}: margin must be positive, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ValueError(f"{name}: anchor, positive and negative must have the same number of "
                         f"dims, got shapes {tuple(anchor.shape)}, {tuple(positive.shape)} and "
                         f"{tuple(negative.shape)}")
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = glia.minimum(d_neg, dist(positive, negative))
    return _reduce(glia.clamp_min(margin + d_pos - d_neg, 0.0), reduction)


def _ctc_indices(x, what):
    """Class indices or lengths as an int64 tensor: from a tensor of integers, a number, or a
    sequence or array of them."""
    if isinstance(x, glia.Tensor):
        if x.dtype != glia.int64:
            raise TypeError(f"ctc_loss: {what} must hold integers, got {x.dtype}")
        return x
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu" and arr.size:  # an empty list reads as float64
        raise TypeError(f"ctc_loss: {what} must hold integers, got {arr.dtype}")
    return glia.tensor(arr.astype(np.int64))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Connectionist temporal classification loss, as torch.nn.functional.ctc_loss.

    log_probs (T, N, C) (or (T, C) for one sample) are log-probabilities over C classes, one of
    them `blank`, at each of T frames, as log_softmax makes them; targets are the label
    sequences, padded (N, S) or one after another (sum(target_lengths)); input_lengths and
    target_lengths say how many frames and labels each sample has. The loss of a sample is
    -log of the probability of its labels summed over every alignment of them to its frames
    (+inf when none exists; 0 instead with zero_infinity=True). 'mean' divides each by its
    target length and averages over the batch.

    The gradient is the exact derivative with respect to log_probs. PyTorch's adds exp(log_probs)
    to it, which the backward of the log_softmax in front cancels: through log_softmax both
    agree.
    """
    _check_reduction("ctc_loss", reduction)
    _check_float("ctc_loss", log_probs)
    targets = _ctc_indices(targets, "targets")
    input_lengths = _ctc_indices(input_lengths, "input_lengths")
    target_lengths = _ctc_indices(target_lengths, "target_lengths")
    unbatched = log_probs.dim() == 2
    if unbatched:  # one sample: (T, C), its labels (S), its lengths as numbers
        if targets.dim() != 1:
            raise ValueError(f"ctc_loss: unbatched log_probs (T, C) take 1-D targets, got "
                             f"shape {tuple(targets.shape)}")
        log_probs, targets = log_probs.unsqueeze(1), targets.unsqueeze(0)
        input_lengths, target_lengths = input_lengths.reshape(-1), target_lengths.reshape(-1)
    losses = _C.ctc_loss(log_probs, targets, input_lengths, target_lengths, int(blank),
                         bool(zero_infinity))
    if reduction == "mean":
        return (losses / target_lengths.clamp(min=1).to(losses.dtype)).mean()
    if reduction == "sum":
        return losses.sum()
    return losses.reshape(()) if unbatched else losses

