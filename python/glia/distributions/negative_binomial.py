"""NegativeBinomial(total_count, probs or logits), as torch.distributions.NegativeBinomial."""
import glia
from glia.distributions import constraints
from glia.distributions._random import poisson
from glia.distributions.binomial import _expand_count_and_probs, _init_count_and_probs
from glia.distributions.distribution import Distribution
from glia.distributions.gamma import Gamma
from glia.distributions.utils import (lazy_property, logits_to_probs,
                                      probs_to_logits)
from glia.nn.functional import logsigmoid


class NegativeBinomial(Distribution):
    """The number of successes before `total_count` failures in Bernoulli(`probs`) trials:
    P(k) = C(k + r - 1, k) p^k (1 - p)^r (r real > 0 allowed); give one of probs, logits."""
    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        _init_count_and_probs(self, total_count, probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand_count_and_probs(self, NegativeBinomial, batch_shape, _instance)

    @property
    def mean(self):
        return self.total_count * glia.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / glia.sigmoid(-self.logits)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.shape

    @lazy_property
    def _gamma(self):
        # the Gamma-Poisson mixture: rate ~ Gamma(total_count, exp(-logits)), k ~ Poisson(rate)
        return Gamma(concentration=self.total_count, rate=glia.exp(-self.logits),
                     validate_args=False)

    def sample(self, sample_shape=()):
        with glia.no_grad():
            return poisson(self._gamma.sample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized_prob = (self.total_count * logsigmoid(-self.logits)
                                 + value * logsigmoid(self.logits))
        log_normalization = (-glia.lgamma(self.total_count + value) + glia.lgamma(1.0 + value)
                             + glia.lgamma(self.total_count))
        # total_count + value == 0 only at value 0 with total_count 0: probability 1
        log_normalization = glia.where(self.total_count + value == 0.0, 0.0, log_normalization)
        return log_unnormalized_prob - log_normalization
