"""glia.nn: Rosenblatt's perceptron (trained by the perceptron rule) and a Gaussian
radial-basis-function layer."""
import math
import numbers
import warnings

import numpy as np

import glia
from glia import _C
from glia._C import Tensor
from glia.nn import functional as F
from glia.nn.module import Module
from glia.nn.parameter import Parameter

__all__ = ["Perceptron", "RBF"]


def _numpy(a, dtype):
    a = a.detach().numpy() if isinstance(a, Tensor) else np.asarray(a)
    return np.asarray(a, dtype=dtype)


class Perceptron(Module):
    """A single threshold unit: y = step(x w^T + b), 1.0 where x w^T + b >= 0 else 0.0.

    The step has zero gradient, so train it with `fit` (the perceptron learning rule), not
    backpropagation.

    Args:
        in_features: size of each input sample.
    Attributes:
        weight: (1, in_features), bias: (1,), both U(-1/sqrt(in), 1/sqrt(in)) as nn.Linear.
        converged: whether the last `fit` reached an epoch without mistakes.
    Shapes: input (*, in_features) -> output (*, 1) in {0, 1}.
    """

    def __init__(self, in_features):
        super().__init__()
        if in_features <= 0:
            raise ValueError(f"Perceptron: in_features must be positive, got {in_features}")
        self.in_features = in_features
        bound = 1.0 / math.sqrt(in_features)
        self.weight = Parameter(glia.rand(1, in_features) * (2 * bound) - bound)
        self.bias = Parameter(glia.rand(1) * (2 * bound) - bound)
        self.converged = False

    def forward(self, input):
        return F.step(_C.linear(input, self.weight, self.bias))

    @glia.no_grad()
    def fit(self, x, y, epochs=100, lr=1.0):
        """Runs the perceptron rule: for each sample in order, if the prediction p differs
        from the target t, w += lr (t - p) x and b += lr (t - p).

        On linearly separable data this reaches an epoch without mistakes in finitely many
        steps (Novikoff's theorem); then it stops and sets `converged = True`. Otherwise it
        sets `converged = False` after `epochs` epochs and warns.

        Args:
            x: (N, in_features) samples (tensor or array).
            y: (N,) or (N, 1) labels, in {0, 1} or in {-1, 1}.
            epochs: the most passes over the data.
            lr: step size of each correction.
        Returns:
            The number of epochs run (the last one the error-free epoch if converged).
        """
        dtype = self.weight.detach().numpy().dtype
        xs, ys = _numpy(x, dtype), _numpy(y, np.float64)
        if xs.ndim != 2 or xs.shape[1] != self.in_features:
            raise ValueError(f"Perceptron.fit: x must have shape (N, {self.in_features}), got "
                             f"{xs.shape}")
        ys = ys.reshape(-1) if ys.ndim == 2 and ys.shape[1] == 1 else ys
        if ys.shape != (xs.shape[0],):
            raise ValueError(f"Perceptron.fit: y must have shape ({xs.shape[0]},) to match x, "
                             f"got {ys.shape}")
        labels = set(np.unique(ys).tolist())
        if not (labels <= {0.0, 1.0} or labels <= {-1.0, 1.0}):
            raise ValueError(f"Perceptron.fit: labels must be in {{0, 1}} or {{-1, 1}}, got "
                             f"{sorted(labels)}")
        if epochs < 1:
            raise ValueError(f"Perceptron.fit: epochs must be at least 1, got {epochs}")
        targets = (ys > 0).astype(dtype)
        # The rule is sequential over samples, so the loop runs on NumPy scalars (cheap in
        # Python) in the parameters' dtype, and the result is written back once.
        w = self.weight.detach().numpy().reshape(-1).copy()
        b = self.bias.detach().numpy().copy()
        step = dtype.type(lr)
        self.converged = False
        for epoch in range(1, epochs + 1):
            mistakes = 0
            for xi, ti in zip(xs, targets):
                err = ti - (1.0 if xi @ w + b[0] >= 0 else 0.0)
                if err != 0:
                    w += step * err * xi
                    b += step * err
                    mistakes += 1
            if mistakes == 0:
                self.converged = True
                break
        self.weight.copy_(glia.tensor(w.reshape(1, -1)))
        self.bias.copy_(glia.tensor(b))
        if not self.converged:
            warnings.warn(f"Perceptron.fit: {mistakes} mistakes in the last of {epochs} epochs; "
                          "the data may not be linearly separable", stacklevel=3)
        return epoch

    def extra_repr(self):
        return f"in_features={self.in_features}"


class RBF(Module):
    """Gaussian radial basis functions: y_k = exp(-||x - c_k||^2 / (2 sigma_k^2)).

    Args:
        in_features: size of each input sample.
        centers: the number K of centers, drawn from N(0, 1), or the initial centers as a
            (K, in_features) tensor or array.
    Attributes:
        centers: (K, in_features) learnable centers c_k.
        log_sigmas: (K,) learnable log-widths, initially 0 (sigma_k = 1); learning the log
            keeps sigma positive.
    Shapes: input (*, in_features) -> output (*, K).
    """

    def __init__(self, in_features, centers):
        super().__init__()
        if isinstance(centers, numbers.Integral):
            if centers <= 0:
                raise ValueError(f"RBF: the number of centers must be positive, got {centers}")
            c = glia.randn(centers, in_features)
        else:
            c = glia.tensor(centers)
            if not c.is_floating_point():
                c = c.to(glia.float32)
            if c.ndim != 2 or c.shape[1] != in_features:
                raise ValueError(f"RBF: centers must have shape (K, {in_features}), got "
                                 f"{tuple(c.shape)}")
        self.in_features = in_features
        self.centers = Parameter(c)
        self.log_sigmas = Parameter(glia.zeros(c.shape[0], dtype=c.dtype))

    @property
    def sigmas(self):
        """The widths sigma_k = exp(log_sigmas), (K,)."""
        return glia.exp(self.log_sigmas)

    def forward(self, input):
        if input.ndim < 1 or input.shape[-1] != self.in_features:
            raise ValueError(f"RBF: expected input (*, {self.in_features}), got shape "
                             f"{tuple(input.shape)}")
        c = self.centers
        # ||x||^2 - 2 x.c + ||c||^2 needs no (N, K, in) difference tensor; rounding can make
        # it slightly negative when x ~ c, hence the clamp.
        d2 = (input * input).sum(-1, keepdim=True) - 2.0 * _C.linear(input, c) + (c * c).sum(-1)
        d2 = glia.clamp(d2, min=0.0)
        return glia.exp(d2 * (glia.exp(self.log_sigmas * -2.0) * -0.5))

    def extra_repr(self):
        return f"in_features={self.in_features}, centers={self.centers.shape[0]}"
