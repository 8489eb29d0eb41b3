"""glia.nn: normalization layers, with the Lazy* batch and instance norms (num_features inferred
from the first input). Parameter and buffer names follow torch, so state dicts load across."""
import numbers
import warnings

import glia
from glia.nn import functional as F
from glia.nn.lazy import LazyModuleMixin
from glia.nn.module import Module
from glia.nn.parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "LayerNorm", "GroupNorm", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
           "LocalResponseNorm", "RMSNorm"]


def _shape(x):
    return tuple(x.shape)


class _NormBase(Module):
    """Per-channel affine parameters and running statistics shared by batch and instance
    norm: weight (C,) = 1, bias (C,) = 0 (unless bias=False), running_mean (C,) = 0,
    running_var (C,) = 1, num_batches_tracked () int64."""

    _ranks = ()  # input ranks accepted, with their layout for error messages
    _layout = ""

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, bias):
        super().__init__()
        # Lazy*: num_features is 0 until the first call
        if num_features < (0 if isinstance(self, LazyModuleMixin) else 1):
            raise ValueError(f"{type(self).__name__}: num_features must be positive, got "
                             f"{num_features}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(glia.ones(num_features))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(glia.zeros(num_features))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", glia.zeros(num_features))
            self.register_buffer("running_var", glia.ones(num_features))
            self.register_buffer("num_batches_tracked", glia.tensor(0, dtype=glia.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            with glia.no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1.0)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        with glia.no_grad():
            if self.weight is not None:
                self.weight.fill_(1.0)
            if self.bias is not None:
                self.bias.zero_()

    def _check_input_dim(self, input):
        if input.ndim not in self._ranks:
            raise ValueError(f"{type(self).__name__}: expected {self._layout} input, got shape "
                             f"{_shape(input)}")

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias per channel (dim 1).

    In training E and Var are the batch's (biased variance to normalize), and the running
    statistics move as r = (1 - momentum) r + momentum * s with the unbiased batch variance;
    momentum=None uses the cumulative average (momentum = 1 / num_batches_tracked). In eval
    the running statistics normalize; with track_running_stats=False batch statistics are
    always used.

    Args:
        num_features: C, the size of dim 1 of the input.
        eps: added to the variance before the square root.
        momentum: weight of the newest batch in the running statistics (None: cumulative).
        affine: learn weight (init 1) and, unless bias=False, bias (init 0).
        track_running_stats: keep running_mean, running_var and num_batches_tracked.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias)

    def forward(self, input):
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels in "
                             f"dim 1, got input shape {_shape(input)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / self.num_batches_tracked.item()
        # Batch statistics in training, and in eval when there are no running statistics.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs, statistics per channel C."""

    _ranks = (2, 3)
    _layout = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, statistics per channel C."""

    _ranks = (4,)
    _layout = "4-D (N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) inputs, statistics per channel C."""

    _ranks = (5,)
    _layout = "5-D (N, C, D, H, W)"


class _InstanceNorm(_NormBase):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias with E, Var per (sample, channel)
    over the spatial dims. With track_running_stats the running statistics are updated in
    training (momentum=None freezes them, as torch) and used in eval mode.

    Args: as BatchNorm, but affine and track_running_stats default to False.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias)

    def forward(self, input):
        self._check_input_dim(input)
        unbatched = input.ndim == self._ranks[0]
        if unbatched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.num_features:
            msg = (f"{type(self).__name__}: expected {self.num_features} channels, got input "
                   f"shape {_shape(input)}")
            if self.affine:
                raise ValueError(msg)
            warnings.warn(msg + "; normalizing each channel anyway (affine=False)", stacklevel=2)
        out = F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L) or unbatched (C, L) inputs."""

    _ranks = (2, 3)
    _layout = "2-D (C, L) or 3-D (N, C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W) or unbatched (C, H, W) inputs."""

    _ranks = (3, 4)
    _layout = "3-D (C, H, W) or 4-D (N, C, H, W)"


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W) or unbatched (C, D, H, W) inputs."""

    _ranks = (4, 5)
    _layout = "4-D (C, D, H, W) or 5-D (N, C, D, H, W)"


class _LazyNormBase(LazyModuleMixin):
    """num_features from the first input's dim 1 (dim 0 of an unbatched instance-norm input).
    As torch, affine and track_running_stats default to True, for the instance norms too, and
    weight, bias, running_mean and running_var are all placeholders until then."""

    _size_name = "num_features"

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__(0, eps, momentum, affine, track_running_stats)

    def _infer_size(self, input):
        self._check_input_dim(input)
        unbatched = isinstance(self, _InstanceNorm) and input.ndim == self._ranks[0]
        return input.shape[0 if unbatched else 1]

    def _lazy_shapes(self, num_features):
        return dict.fromkeys(("weight", "bias", "running_mean", "running_var"), (num_features,))

    def _size_from(self, name, shape):
        return shape[0]


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """A BatchNorm1d whose num_features is inferred from the first input (dim 1 of (N, C) or
    (N, C, L)); then it becomes a BatchNorm1d, as PyTorch (see LazyModuleMixin).

    Args: eps, momentum, affine, track_running_stats, as BatchNorm1d.
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """A BatchNorm2d whose num_features is inferred from dim 1 of the first input; then it
    becomes a BatchNorm2d. Args as BatchNorm2d without num_features."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, BatchNorm3d):
    """A BatchNorm3d whose num_features is inferred from dim 1 of the first input; then it
    becomes a BatchNorm3d. Args as BatchNorm3d without num_features."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormBase, InstanceNorm1d):
    """An InstanceNorm1d whose num_features is inferred from the first input (dim 1 of
    (N, C, L), dim 0 of (C, L)); then it becomes an InstanceNorm1d.

    Args: eps, momentum, affine, track_running_stats; as in torch, affine and
    track_running_stats default to True here (False in InstanceNorm1d).
    """

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, InstanceNorm2d):
    """An InstanceNorm2d whose num_features is inferred from the first input (dim 1 of
    (N, C, H, W), dim 0 of (C, H, W)); then it becomes an InstanceNorm2d. Args as
    LazyInstanceNorm1d."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormBase, InstanceNorm3d):
    """An InstanceNorm3d whose num_features is inferred from the first input (dim 1 of
    (N, C, D, H, W), dim 0 of (C, D, H, W)); then it becomes an InstanceNorm3d. Args as
    LazyInstanceNorm1d."""

    cls_to_become = InstanceNorm3d


class LayerNorm(Module):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias over the trailing dims given by
    normalized_shape (biased variance); weight and bias have shape normalized_shape.

    Args:
        normalized_shape: int or tuple, the trailing shape of the input to normalize over.
        elementwise_affine: learn weight (init 1) and, if bias, bias (init 0).
    Shapes: input (*, *normalized_shape) -> output of the same shape.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(glia.ones(self.normalized_shape))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(glia.zeros(self.normalized_shape))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias with E, Var per sample over each
    group of num_channels / num_groups channels; weight and bias per channel.

    Shapes: input (N, C, *) -> output of the same shape.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, *, bias=True):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups != 0:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(glia.ones(num_channels))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(glia.zeros(num_channels))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: expected input (N, {self.num_channels}, *), got shape "
                             f"{_shape(input)}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """y_c = x_c / (k + alpha / size * sum of x^2 over `size` neighbouring channels)^beta.

    Shapes: input (N, C, *) with at least 3 dims -> output of the same shape.
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class RMSNorm(Module):
    """y = x / sqrt(mean(x^2) + eps) * weight over the trailing dims given by
    normalized_shape; weight (init 1) has shape normalized_shape.

    Args:
        normalized_shape: int or tuple, the trailing shape of the input to normalize over.
        eps: added to the mean square; None uses torch.finfo(input.dtype).eps.
        elementwise_affine: learn weight.
    Shapes: input (*, *normalized_shape) -> output of the same shape.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(glia.ones(self.normalized_shape, dtype=dtype or glia.float32))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        if self.weight is not None:
            with glia.no_grad():
                self.weight.fill_(1.0)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
