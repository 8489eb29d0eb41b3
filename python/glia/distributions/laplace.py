"""Laplace(loc, scale), as torch.distributions.Laplace."""
import numbers

import glia
from glia.distributions import constraints
from glia.distributions.distribution import Distribution
from glia.distributions.utils import broadcast_all, finfo


class Laplace(Distribution):
    """The Laplace (double exponential) distribution: density exp(-|x - loc| / scale) / 2 scale."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        numbers_only = isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number)
        super().__init__(() if numbers_only else self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Laplace, _instance)
        new.loc = self.loc.expand(tuple(batch_shape))
        new.scale = self.scale.expand(tuple(batch_shape))
        super(Laplace, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=()):
        # u uniform on (eps - 1, 1), as torch: |u| < 1 keeps log1p(-|u|) finite
        eps = float(finfo(self.loc.dtype).eps)
        u = glia.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        u = u * (2 - eps) + (eps - 1)
        return self.loc - self.scale * u.sign() * glia.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -glia.log(2 * self.scale) - glia.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = value - self.loc
        return 0.5 - 0.5 * z.sign() * glia.expm1(-z.abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * glia.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + glia.log(2 * self.scale)
