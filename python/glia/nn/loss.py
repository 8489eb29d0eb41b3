"""glia.nn: loss layers, the Module forms of glia.nn.functional's losses (as torch.nn).

Each layer stores its options; class weights and pos_weight are buffers, so they follow
Module.to(dtype) and appear in state_dict as in PyTorch.
"""
from glia.nn import functional as F
from glia.nn.distance import PairwiseDistance
from glia.nn.functional.loss import _REDUCTIONS, _check_reduction
from glia.nn.module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "HingeLoss", "MultiMarginLoss",
           "ContrastiveLoss", "TripletMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
           "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "PoissonNLLLoss",
           "GaussianNLLLoss", "TripletMarginWithDistanceLoss", "CTCLoss"]


class _Loss(Module):
    """Base of the loss layers: checks and stores `reduction`."""

    _reductions = _REDUCTIONS

    def __init__(self, reduction="mean"):
        super().__init__()
        _check_reduction(type(self).__name__, reduction, self._reductions)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    """A loss with an optional per-class `weight` buffer."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error, (input - target)^2. Input and target: same shape (*)."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error, |input - target|. Input and target: same shape (*)."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); d = input - target."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self):
        return f"delta={self.delta}, " + super().extra_repr()


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta; d = input - target."""

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self):
        return f"beta={self.beta}, " + super().extra_repr()


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities: -w [y log x + (1 - y) log(1 - x)]."""

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of logits (sigmoid fused in, numerically stable).

    Args:
        weight: rescaling broadcastable to the input shape.
        pos_weight: weight of positive examples, e.g. (C,) = negatives / positives per class.
    """

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy from logits (fused log_softmax + nll in C++).

    Args:
        weight: per-class weights (C,).
        ignore_index: targets equal to this class index add nothing (and are not counted).
        label_smoothing: in [0, 1]; mixes the target with the uniform distribution.
    Shapes: input (N, C), (N, C, d1, ...) or (C,); target class indices (N), (N, d1, ...)
    or (), or class probabilities of the input's shape.
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)

    def extra_repr(self):
        return (f"ignore_index={self.ignore_index}, label_smoothing={self.label_smoothing}, "
                + super().extra_repr())


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (e.g. after log_softmax) at the targets.

    Args and shapes as CrossEntropyLoss with class-index targets.
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)

    def extra_repr(self):
        return f"ignore_index={self.ignore_index}, " + super().extra_repr()


class CTCLoss(_Loss):
    """Connectionist temporal classification: the loss of label sequences unaligned with the
    frames of a sequence model's output, for speech or handwriting recognition.

    forward(log_probs, targets, input_lengths, target_lengths) with log_probs (T, N, C) from
    log_softmax; see glia.nn.functional.ctc_loss for the shapes.
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)

    def extra_repr(self):
        return f"blank={self.blank}, zero_infinity={self.zero_infinity}, " + super().extra_repr()


class KLDivLoss(_Loss):
    """KL(target || model) with log-probability input; use reduction='batchmean' for the
    true KL divergence per sample."""

    _reductions = ("mean", "batchmean", "sum", "none")

    def __init__(self, reduction="mean", log_target=False):
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self):
        return f"log_target={self.log_target}, " + super().extra_repr()


class HingeLoss(_Loss):
    """Binary hinge loss max(0, margin - y x) with labels y in {-1, 1}."""

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_loss(input, target, self.margin, self.reduction)

    def extra_repr(self):
        return f"margin={self.margin}, " + super().extra_repr()


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss: sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C."""

    def __init__(self, p=1, margin=1.0, weight=None, reduction="mean"):
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2, got {p}")
        super().__init__(weight, reduction)
        self.p = p
        self.margin = margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                   self.reduction)

    def extra_repr(self):
        return f"p={self.p}, margin={self.margin}, " + super().extra_repr()


class ContrastiveLoss(_Loss):
    """Siamese contrastive loss: label 1 (similar) gives d^2, label 0 (dissimilar) gives
    max(0, margin - d)^2, with d the Euclidean distance of the pair."""

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, x1, x2, label):
        return F.contrastive_loss(x1, x2, label, self.margin, self.reduction)

    def extra_repr(self):
        return f"margin={self.margin}, " + super().extra_repr()


class TripletMarginLoss(_Loss):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with p-norm distances."""

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be positive, got {margin}")
        super().__init__(reduction)
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                     self.swap, self.reduction)

    def extra_repr(self):
        return (f"margin={self.margin}, p={self.p}, eps={self.eps}, swap={self.swap}, "
                + super().extra_repr())


class CosineEmbeddingLoss(_Loss):
    """1 - cos(x1, x2) for y = 1, max(0, cos(x1, x2) - margin) for y = -1."""

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, self.margin, self.reduction)

    def extra_repr(self):
        return f"margin={self.margin}, " + super().extra_repr()


class MarginRankingLoss(_Loss):
    """max(0, -y (x1 - x2) + margin), y = 1 (x1 should rank higher) or -1."""

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, self.margin, self.reduction)

    def extra_repr(self):
        return f"margin={self.margin}, " + super().extra_repr()


class HingeEmbeddingLoss(_Loss):
    """x where y = 1, max(0, margin - x) where y = -1."""

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, self.margin, self.reduction)

    def extra_repr(self):
        return f"margin={self.margin}, " + super().extra_repr()


class SoftMarginLoss(_Loss):
    """log(1 + exp(-y x)) with labels y in {-1, 1}."""

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label logistic loss averaged over the classes; weight (C,) rescales them."""

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, self.weight, self.reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood: exp(x) - y x (log_input) or x - y log(x + eps),
    plus Stirling's term with full=True."""

    def __init__(self, log_input=True, full=False, eps=1e-8, reduction="mean"):
        super().__init__(reduction)
        if not eps > 0:
            raise ValueError(f"PoissonNLLLoss: eps must be positive, got {eps}")
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, self.log_input, self.full, self.eps,
                                  self.reduction)

    def extra_repr(self):
        return (f"log_input={self.log_input}, full={self.full}, eps={self.eps}, "
                + super().extra_repr())


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood 0.5 (log var + (x - y)^2 / var), var clamped at
    eps; forward(input, target, var)."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction)
        if not eps >= 0:
            raise ValueError(f"GaussianNLLLoss: eps must be non-negative, got {eps}")
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)

    def extra_repr(self):
        return f"full={self.full}, eps={self.eps}, " + super().extra_repr()


class TripletMarginWithDistanceLoss(_Loss):
    """max(0, margin + d(a, p) - d(a, n)) with a given distance function (default: a
    PairwiseDistance sub-module, as torch)."""

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be positive, got "
                             f"{margin}")
        self.distance_function = (distance_function if distance_function is not None
                                  else PairwiseDistance())
        self.margin = margin
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)

    def extra_repr(self):
        return f"margin={self.margin}, swap={self.swap}, " + super().extra_repr()
