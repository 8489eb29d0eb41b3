"""Binomial(total_count, probs or logits), as torch.distributions.Binomial."""
import glia
from glia.distributions import constraints
from glia.distributions._random import binomial
from glia.distributions.distribution import Distribution
from glia.distributions.utils import (broadcast_all, lazy_property, logits_to_probs,
                                      probs_to_logits)


def _clamp_by_zero(x):
    # max(x, 0) with gradient 1/2 at 0, as torch
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


def _init_count_and_probs(d, total_count, probs, logits, validate_args):
    """total_count with exactly one of probs and logits, broadcast together: the parameters
    of Binomial and NegativeBinomial."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    if probs is not None:
        d.total_count, d.probs = broadcast_all(total_count, probs)
        d.total_count = d.total_count.type_as(d.probs)
    else:
        d.total_count, d.logits = broadcast_all(total_count, logits)
        d.total_count = d.total_count.type_as(d.logits)
    d._param = d.probs if probs is not None else d.logits
    Distribution.__init__(d, d._param.shape, validate_args=validate_args)


def _expand_count_and_probs(d, cls, batch_shape, _instance):
    new = d._get_checked_instance(cls, _instance)
    batch_shape = tuple(batch_shape)
    new.total_count = d.total_count.expand(batch_shape)
    if "probs" in d.__dict__:
        new.probs = new._param = d.probs.expand(batch_shape)
    if "logits" in d.__dict__:
        new.logits = new._param = d.logits.expand(batch_shape)
    Distribution.__init__(new, batch_shape, validate_args=False)
    new._validate_args = d._validate_args
    return new


class Binomial(Distribution):
    """The number of successes in `total_count` independent trials, each a success with
    probability `probs` (or sigmoid(`logits`)); give exactly one of probs and logits."""
    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        _init_count_and_probs(self, total_count, probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand_count_and_probs(self, Binomial, batch_shape, _instance)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        mode = ((self.total_count + 1) * self.probs).floor()
        return glia.where(mode > self.total_count, self.total_count, mode)  # clamp(max=n)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.shape

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with glia.no_grad():
            return binomial(self.total_count.detach().expand(shape),
                            self.probs.detach().expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = glia.lgamma(self.total_count + 1)
        log_factorial_k = glia.lgamma(value + 1)
        log_factorial_nmk = glia.lgamma(self.total_count - value + 1)
        # n log(1 + exp(logits)), written stably
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * glia.log1p(glia.exp(-glia.abs(self.logits)))
                          - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def _homogeneous_count(self, what):
        total_count = int(self.total_count.max().item())
        if not self.total_count.min().item() == total_count:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return total_count

    def entropy(self):
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(glia.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = self._homogeneous_count("enumerate_support")
        values = glia.arange(1 + total_count, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values
