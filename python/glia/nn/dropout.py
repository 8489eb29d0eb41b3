"""glia.nn: dropout layers (active in training mode, identity in eval mode) and DropConnect."""
from glia import _C
from glia._C import Tensor
from glia.nn import functional as F
from glia.nn.functional.dropout import _check_p
from glia.nn.module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
           "DropConnect"]


class _DropoutNd(Module):
    """Args: p, the probability of dropping, in [0, 1]; inplace, overwrite the input (a
    non-leaf that requires grad gets a new tensor instead: glia's autograd has no in-place
    ops; a leaf that requires grad raises, as in torch)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        _check_p(p, type(self).__name__)
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element with probability p during training and scales the kept ones by
    1 / (1 - p); identity in eval mode. Input and output: any shape (*)."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels with probability p during training, scaling the rest by
    1 / (1 - p). Input and output: (N, C, L) or (C, L)."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels (feature maps) with probability p during training, scaling the
    rest by 1 / (1 - p). Input and output: (N, C, H, W) or (C, H, W)."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels with probability p during training, scaling the rest by
    1 / (1 - p). Input and output: (N, C, D, H, W) or (C, D, H, W)."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps the zero mean and unit variance SELU produces (see
    functional.alpha_dropout). Input and output: any shape (*)."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(_DropoutNd):
    """AlphaDropout of whole channels (see functional.feature_alpha_dropout): each (N, C) entry
    is kept or set to SELU's saturation for all its positions. Input and output: (N, C, *)."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training, self.inplace)


class DropConnect(Module):
    """Drops weights rather than activations (Wan et al. 2013) of a wrapped linear layer.

    In training each forward draws a fresh mask M ~ Bernoulli(1 - p) over the weight and
    computes y = x (W * M / (1 - p))^T + b; in eval mode y = x W^T + b.

    Args:
        module: a layer with `weight` (out_features, in_features) and optional `bias`
            (out_features), e.g. nn.Linear; registered as the sub-module `module` (its
            own forward is not called).
        p: probability of dropping each weight, in [0, 1].
    Shapes: input (*, in_features) -> output (*, out_features).
    """

    def __init__(self, module, p=0.5):
        super().__init__()
        _check_p(p, "DropConnect")
        weight = getattr(module, "weight", None)
        if not isinstance(weight, Tensor) or weight.ndim != 2:
            raise ValueError("DropConnect: the wrapped module needs a 2-D `weight` "
                             "(out_features, in_features)")
        self.module = module
        self.p = p

    def forward(self, input):
        weight = self.module.weight
        if self.training:
            weight = F.dropout(weight, self.p, True)
        return _C.linear(input, weight, getattr(self.module, "bias", None))

    def extra_repr(self):
        return f"p={self.p}"
