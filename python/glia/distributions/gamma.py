"""Gamma(concentration, rate), as torch.distributions.Gamma."""
import numbers

import glia
from glia.distributions import constraints
from glia.distributions._random import gammainc, standard_gamma
from glia.distributions.exp_family import ExponentialFamily
from glia.distributions.utils import broadcast_all, finfo


class Gamma(ExponentialFamily):
    """The gamma distribution with shape `concentration` (alpha) and `rate` (beta): density
    beta^alpha x^(alpha - 1) exp(-beta x) / Gamma(alpha) on x > 0. rsample is differentiable
    in both parameters (implicit reparameterization for alpha)."""
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        numbers_only = isinstance(concentration, numbers.Number) and isinstance(rate,
                                                                                numbers.Number)
        batch_shape = () if numbers_only else self.concentration.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        new.concentration = self.concentration.expand(tuple(batch_shape))
        new.rate = self.rate.expand(tuple(batch_shape))
        super(Gamma, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        # clamped at tiny as torch (in place on the data there: the gradient passes through)
        tiny = float(finfo(value.dtype).tiny)
        return value + (value.detach().clamp(min=tiny) - value.detach())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (glia.xlogy(self.concentration, self.rate)
                + glia.xlogy(self.concentration - 1, value)
                - self.rate * value - glia.lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - glia.log(self.rate) + glia.lgamma(self.concentration)
                + (1.0 - self.concentration) * glia.digamma(self.concentration))

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return glia.lgamma(x + 1) + (x + 1) * glia.log(-y.reciprocal())

    def cdf(self, value):
        """P(concentration, rate * value); differentiable in value and rate, not in
        concentration (torch's gammainc has no such derivative either)."""
        if self._validate_args:
            self._validate_sample(value)
        return gammainc(self.concentration, self.rate * value)
