"""Weibull(scale, concentration), as torch.distributions.Weibull."""
import glia
from glia.distributions import constraints
from glia.distributions.exponential import Exponential
from glia.distributions.transformed_distribution import TransformedDistribution
from glia.distributions.transforms import AffineTransform, PowerTransform
from glia.distributions.utils import broadcast_all, euler_constant


class Weibull(TransformedDistribution):
    """scale * E^(1 / concentration) with E ~ Exponential(1): density
    (k / s) (x / s)^(k - 1) exp(-(x / s)^k)."""
    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base_dist = Exponential(glia.ones_like(self.scale), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration_reciprocal),
                      AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Weibull, _instance)
        batch_shape = tuple(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base_dist = self.base_dist.expand(batch_shape)
        transforms = [PowerTransform(exponent=new.concentration_reciprocal),
                      AffineTransform(loc=0, scale=new.scale)]
        super(Weibull, new).__init__(base_dist, transforms, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.scale * glia.exp(glia.lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self):
        return (self.scale * ((self.concentration - 1) / self.concentration)
                ** self.concentration.reciprocal())

    @property
    def variance(self):
        return self.scale.pow(2) * (glia.exp(glia.lgamma(1 + 2 * self.concentration_reciprocal))
                                    - glia.exp(2 * glia.lgamma(1 + self.concentration_reciprocal)))

    def entropy(self):
        return (euler_constant * (1 - self.concentration_reciprocal)
                + glia.log(self.scale * self.concentration_reciprocal) + 1)
