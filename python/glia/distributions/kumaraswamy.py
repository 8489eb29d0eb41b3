"""Kumaraswamy(concentration1, concentration0), as torch.distributions.Kumaraswamy."""
import math

import glia
from glia.distributions import constraints
from glia.distributions.transformed_distribution import TransformedDistribution
from glia.distributions.transforms import AffineTransform, PowerTransform
from glia.distributions.uniform import Uniform
from glia.distributions.utils import broadcast_all, euler_constant


def _moments(a, b, n):
    """E[X^n] = b B(1 + n / a, b)."""
    arg1 = 1 + n / a
    log_value = glia.lgamma(arg1) + glia.lgamma(b) - glia.lgamma(arg1 + b)
    return b * glia.exp(log_value)


class Kumaraswamy(TransformedDistribution):
    """The Kumaraswamy distribution on (0, 1): density a b x^(a - 1) (1 - x^a)^(b - 1), with
    a = concentration1, b = concentration0; X = (1 - U^(1 / b))^(1 / a) for U uniform."""
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base_dist = Uniform(glia.full_like(self.concentration0, 0),
                            glia.full_like(self.concentration0, 1), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()),
                      AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(tuple(batch_shape))
        new.concentration0 = self.concentration0.expand(tuple(batch_shape))
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        """((a - 1) / (a b - 1))^(1 / a) where a, b >= 1 (not both 1), else NaN. torch 2.13
        evaluates log1p(-b) / b - log1p(-a b) instead, NaN for every valid a, b."""
        a, b = self.concentration1, self.concentration0
        valid = (a >= 1) & (b >= 1) & ((a > 1) | (b > 1))
        a_s, b_s = glia.where(valid, a, 2.0), glia.where(valid, b, 2.0)
        log_mode = ((a_s - 1).log() - (a_s * b_s - 1).log()) / a_s
        return glia.where(valid, log_mode.exp(), math.nan)

    @property
    def variance(self):
        return _moments(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self):
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        H0 = glia.digamma(self.concentration0 + 1) + euler_constant
        return (t0 + t1 * H0 - glia.log(self.concentration1)
                - glia.log(self.concentration0))
