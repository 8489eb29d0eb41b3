"""glia.nn: activation layers, the Module forms of glia.nn.functional's activations.

Each takes any shape (*) and returns the same shape, except AdaptiveLogSoftmaxWithLoss (an
efficient softmax over many classes with its loss).
"""
from collections import namedtuple

import numpy as np

import glia
from glia.nn import functional as F
from glia.nn.container import ModuleList, Sequential
from glia.nn.functional.activation import _softmax_dim
from glia.nn.linear import Linear
from glia.nn.module import Module
from glia.nn.parameter import Parameter

__all__ = ["ReLU", "Sigmoid", "Tanh", "LeakyReLU", "ELU", "SELU", "GELU", "SiLU", "Softplus",
           "Hardtanh", "Softmax", "LogSoftmax", "Step", "ReLU6", "Hardsigmoid", "Hardswish",
           "Mish", "PReLU", "GLU", "CELU", "LogSigmoid", "Softsign", "Softshrink", "Hardshrink",
           "Tanhshrink", "Threshold", "Softmin", "Softmax2d", "RReLU",
           "AdaptiveLogSoftmaxWithLoss"]


def _inplace_str(inplace):
    return ", inplace=True" if inplace else ""


class ReLU(Module):
    """relu(x) = max(x, 0)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """sigmoid(x) = 1 / (1 + exp(-x))."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))."""

    def forward(self, input):
        return F.tanh(input)


class LeakyReLU(Module):
    """leaky_relu(x) = x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_str(self.inplace)}"


class ELU(Module):
    """elu(x) = x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class SELU(Module):
    """selu(x) = scale * elu(x, alpha), scale ~ 1.0507, alpha ~ 1.6733 (self-normalizing)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.selu(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class GELU(Module):
    """gelu(x) = x * Phi(x) with Phi the standard normal CDF; approximate='tanh' uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """silu(x) = x * sigmoid(x)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """softplus(x) = log(1 + exp(beta x)) / beta, and x where beta x > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """hardtanh(x) = clamp(x, min_val, max_val)."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val < min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must not be less than min_val "
                             f"({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_str(self.inplace)}"


class Softmax(Module):
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j) along `dim`."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = self.dim if self.dim is not None else _softmax_dim("Softmax", input.ndim)
        return F.softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log_softmax(x)_i = x_i - log sum_j exp(x_j) along `dim`."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = self.dim if self.dim is not None else _softmax_dim("LogSoftmax", input.ndim)
        return F.log_softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Step(Module):
    """The perceptron's step: 1.0 where x >= threshold else 0.0.

    Its gradient is zero everywhere (see glia.nn.functional.step), so layers before it get
    no learning signal from backpropagation.
    """

    def __init__(self, threshold=0.0):
        super().__init__()
        self.threshold = threshold

    def forward(self, input):
        return F.step(input, self.threshold)

    def extra_repr(self):
        return f"threshold={self.threshold}"


class ReLU6(Hardtanh):
    """relu6(x) = min(max(x, 0), 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def forward(self, input):
        return F.relu6(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Hardsigmoid(Module):
    """hardsigmoid(x) = relu6(x + 3) / 6. (torch prints no inplace in its repr.)"""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class Hardswish(Module):
    """hardswish(x) = x * relu6(x + 3) / 6. (torch prints no inplace in its repr.)"""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class Mish(Module):
    """mish(x) = x * tanh(softplus(x))."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.mish(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class PReLU(Module):
    """prelu(x) = x if x > 0 else weight * x, with a learned slope.

    Args:
        num_parameters: 1 (one slope shared by all channels) or C, the size of dim 1.
        init: the initial slope.
    Shapes: input (N, C, *) or any shape when num_parameters = 1; weight (num_parameters,).
    """

    def __init__(self, num_parameters=1, init=0.25, dtype=None):
        super().__init__()
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be positive, got {num_parameters}")
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(glia.full((num_parameters,), init, dtype=dtype or glia.float32))

    def reset_parameters(self):
        with glia.no_grad():
            self.weight.fill_(self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class GLU(Module):
    """glu(x) = a * sigmoid(b), a and b the halves of x along `dim`."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class CELU(Module):
    """celu(x) = x if x > 0 else alpha * (exp(x / alpha) - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        if alpha == 0:
            raise ValueError("CELU: alpha cannot be 0")
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class LogSigmoid(Module):
    """logsigmoid(x) = log(sigmoid(x)) = -softplus(-x)."""

    def forward(self, input):
        return F.logsigmoid(input)


class Softsign(Module):
    """softsign(x) = x / (1 + |x|)."""

    def forward(self, input):
        return F.softsign(input)


class Softshrink(Module):
    """softshrink(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        if not lambd >= 0:
            raise ValueError(f"Softshrink: lambd must be non-negative, got {lambd}")
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Hardshrink(Module):
    """hardshrink(x) = x if |x| > lambd else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Tanhshrink(Module):
    """tanhshrink(x) = x - tanh(x)."""

    def forward(self, input):
        return F.tanhshrink(input)


class Threshold(Module):
    """threshold(x) = x if x > threshold else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_str(self.inplace)}"


class Softmin(Module):
    """softmin(x) = softmax(-x) along `dim`."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = self.dim if self.dim is not None else _softmax_dim("Softmin", input.ndim)
        return F.softmin(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels at each spatial location: input (N, C, H, W) or (C, H, W)."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                             f"got shape {tuple(input.shape)}")
        return F.softmax(input, -3)


class RReLU(Module):
    """rrelu(x) = x if x > 0 else a * x, a ~ U(lower, upper) per element in training mode
    and (lower + upper) / 2 in eval mode."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        if not lower <= upper:
            raise ValueError(f"RReLU: lower ({lower}) must not be greater than upper ({upper})")
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}{_inplace_str(self.inplace)}"


_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax (Grave et al. 2016): frequent classes get a full-size softmax (the
    head), rarer ones are grouped into clusters whose classes are scored through smaller
    projections (the tail), so large vocabularies cost far less than a full softmax.

    Args:
        in_features: size of each input sample.
        n_classes: number of classes.
        cutoffs: increasing ints in [1, n_classes - 1]: classes [0, cutoffs[0]) form the
            head's shortlist, [cutoffs[i], cutoffs[i + 1]) cluster i (the last one ending at
            n_classes).
        div_value: cluster i projects to in_features // div_value^(i + 1) features.
        head_bias: give the head a bias.
        dtype: parameter dtype (default float32).
    Shapes and outputs:
        forward(input (B, in_features) or (in_features,), target (B,) or () int64) returns
        (output, loss): output the log-probability of each target (B,) or (), loss the mean
        of -output. log_prob(input) gives every class's log-probability (B, n_classes);
        predict(input) the most likely class. Parameters: head (a Linear to shortlist +
        clusters) and tail[i] (Sequential of two bias-free Linears), as PyTorch.
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False,
                 dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs must be a non-empty sequence")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError(f"AdaptiveLogSoftmaxWithLoss: cutoffs must be unique, increasing "
                             f"integers between 1 and n_classes - 1 ({n_classes - 1}), got "
                             f"{cutoffs}")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, dtype=dtype),
                                        Linear(hidden, size, bias=False, dtype=dtype)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def _cluster_log_prob(self, i, input):
        # the two bias-free projections as matmuls: they also handle a 0-wide hidden layer
        i2h, h2o = self.tail[i]
        hidden = glia.matmul(input, i2h.weight.transpose(0, 1))
        return F.log_softmax(glia.matmul(hidden, h2o.weight.transpose(0, 1)), 1)

    def forward(self, input, target):
        name = "AdaptiveLogSoftmaxWithLoss"
        if target.dtype != glia.int64:
            raise TypeError(f"{name}: target must be int64 class indices, got {target.dtype}")
        if target.dim() == 1:
            if input.dim() != 2 or input.shape[0] != target.shape[0]:
                raise ValueError(f"{name}: a 1-D target of shape {tuple(target.shape)} needs a "
                                 f"2-D input with as many rows, got shape {tuple(input.shape)}")
        elif target.dim() == 0:
            if input.dim() != 1:
                raise ValueError(f"{name}: a 0-D target needs a 1-D input, got shape "
                                 f"{tuple(input.shape)}")
        else:
            raise ValueError(f"{name}: target must be 0-D or 1-D, got shape "
                             f"{tuple(target.shape)}")
        batched = target.dim() > 0
        x = input if batched else input.unsqueeze(0)
        t = target.detach().numpy().reshape(-1)
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise ValueError(f"{name}: target values must be in [0, {self.n_classes - 1}], got "
                             f"values in [{t.min()}, {t.max()}]")
        output = glia.zeros(t.size, dtype=x.dtype)
        head_index = t.copy()  # shortlist targets score themselves in the head
        for i in range(self.n_clusters):
            low, high = self.cutoffs[i], self.cutoffs[i + 1]
            rows = np.flatnonzero((t >= low) & (t < high))
            if rows.size == 0:
                continue
            head_index[rows] = self.shortlist_size + i  # the cluster's head logit
            rows_t = glia.from_numpy(rows.astype(np.int64))
            logp = self._cluster_log_prob(i, glia.index_select(x, 0, rows_t))
            local = glia.gather(logp, 1, glia.from_numpy((t[rows] - low).reshape(-1, 1)))
            output = glia.index_add(output, 0, rows_t, local.reshape(-1))
        head_logp = F.log_softmax(self.head(x), 1)
        head_index = glia.from_numpy(head_index.astype(np.int64).reshape(-1, 1))
        output = output + glia.gather(head_logp, 1, head_index).reshape(-1)
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, input):
        head_logp = F.log_softmax(self.head(input), 1)
        parts = [head_logp.narrow(1, 0, self.shortlist_size)]
        for i in range(self.n_clusters):
            parts.append(self._cluster_log_prob(i, input)
                         + head_logp.narrow(1, self.shortlist_size + i, 1))
        return glia.cat(parts, 1)

    def log_prob(self, input):
        """The log-probability of every class: (B, in_features) -> (B, n_classes), or
        (in_features,) -> (n_classes,)."""
        if input.dim() not in (1, 2):
            raise ValueError(f"AdaptiveLogSoftmaxWithLoss.log_prob: input must be 1-D or 2-D, "
                             f"got shape {tuple(input.shape)}")
        out = self._full_log_prob(input if input.dim() == 2 else input.unsqueeze(0))
        return out if input.dim() == 2 else out.squeeze(0)

    def predict(self, input):
        """The most likely class of each sample: (B, in_features) -> (B,) int64, or () for a
        1-D input. Equals argmax of log_prob (PyTorch skips the tail when the head's best
        is a shortlist class, which cannot change the answer)."""
        return self.log_prob(input).argmax(-1)
