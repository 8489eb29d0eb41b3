"""Dirichlet(concentration), as torch.distributions.Dirichlet."""
import glia
from glia.distributions import constraints
from glia.distributions._random import standard_gamma
from glia.distributions.exp_family import ExponentialFamily
from glia.nn.functional import one_hot


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution on the simplex, with `concentration` (..., K).

    rsample normalizes K Gamma(concentration_k, 1) draws, each reparameterized implicitly:
    its gradients are unbiased, though per draw not torch's (torch differentiates the
    marginal Beta cdf of each coordinate instead)."""
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = tuple(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        gammas = standard_gamma(self.concentration.expand(shape))
        return gammas / gammas.sum(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (glia.xlogy(self.concentration - 1.0, value).sum(-1)
                + glia.lgamma(self.concentration.sum(-1))
                - glia.lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concentrationm1 / concentrationm1.sum(-1, keepdim=True)
        # all concentrations < 1: the density is unbounded at every vertex; torch's argmax
        # over the all-NaN row above picks the first, e_0
        all_below = (self.concentration < 1).all(-1, keepdim=True)
        first = one_hot(glia.zeros(mode.shape[:-1], dtype=glia.int64), mode.shape[-1])
        return glia.where(all_below, first.to(mode.dtype), mode)

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.shape[-1]
        a0 = self.concentration.sum(-1)
        return (glia.lgamma(self.concentration).sum(-1) - glia.lgamma(a0)
                - (k - a0) * glia.digamma(a0)
                - ((self.concentration - 1.0) * glia.digamma(self.concentration)).sum(-1))

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - glia.lgamma(x.sum(-1))
