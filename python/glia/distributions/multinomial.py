"""Multinomial(total_count, probs or logits), as torch.distributions.Multinomial."""
import math

import glia
from glia.distributions import constraints
from glia.distributions._random import binomial
from glia.distributions.binomial import Binomial
from glia.distributions.categorical import Categorical
from glia.distributions.distribution import Distribution
from glia.distributions.utils import broadcast_all


class Multinomial(Distribution):
    """Counts of K categories over `total_count` (an int) independent Categorical(probs or
    logits) draws; event_shape (K,). log_prob accepts any total_count (it is not used)."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new._categorical.probs,
                                 validate_args=False)
        super(Multinomial, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape

    def sample(self, sample_shape=()):
        # category by category: count_k ~ Binomial(n - counts so far, p_k / (p_k + ... + p_K)),
        # exact and linear in K whatever total_count (torch draws total_count Categoricals)
        shape = self._extended_shape(sample_shape)
        with glia.no_grad():
            probs = self.probs.detach().expand(shape)
            tail = glia.flip(glia.cumsum(glia.flip(probs, (-1,)), -1), (-1,))
            remaining = glia.full(shape[:-1], float(self.total_count), dtype=probs.dtype)
            counts = []
            for k in range(shape[-1] - 1):
                ratio = glia.where(tail[..., k] > 0, probs[..., k] / tail[..., k], 0.0)
                count = binomial(remaining, ratio.clamp(min=0, max=1))
                counts.append(count)
                remaining = remaining - count
            counts.append(remaining)
            return glia.stack(counts, -1)

    def entropy(self):
        n = self.total_count
        cat_entropy = self._categorical.entropy()
        term1 = n * cat_entropy - math.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = glia.exp(self._binomial.log_prob(support))
        weights = glia.lgamma(support + 1)
        term2 = (binomial_probs * weights).sum(-1).sum(0)
        return term1 + term2

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = glia.lgamma(value.sum(-1) + 1)
        log_factorial_xs = glia.lgamma(value + 1).sum(-1)
        # 0 * log(0) = 0: no count of an impossible category
        logits = glia.where((value == 0) & (logits == -math.inf), 0.0, logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers
