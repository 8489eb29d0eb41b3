"""StudentT(df, loc, scale), as torch.distributions.StudentT."""
import math

import glia
from glia.distributions import constraints
from glia.distributions.chi2 import Chi2
from glia.distributions.distribution import Distribution
from glia.distributions.utils import broadcast_all, standard_normal


class StudentT(Distribution):
    """Student's t with `df` degrees of freedom, location `loc` and scale `scale`;
    rsample is loc + scale X / sqrt(Z / df), X normal, Z ~ Chi2(df) (reparameterized)."""
    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(StudentT, _instance)
        batch_shape = tuple(batch_shape)
        new.df = self.df.expand(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new._chi2 = self._chi2.expand(batch_shape)
        super(StudentT, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return glia.where(self.df <= 1, math.nan, self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df_safe = glia.where(self.df > 2, self.df, 3.0)  # no 0 / 0 (NaN gradient) when df <= 2
        finite = self.scale.pow(2) * df_safe / (df_safe - 2)
        return glia.where(self.df > 2, finite, glia.where(self.df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        X = standard_normal(shape, self.df.dtype)
        Z = self._chi2.rsample(sample_shape)
        Y = X * glia.rsqrt(Z / self.df)
        return self.loc + self.scale * Y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        Z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + glia.lgamma(0.5 * self.df) - glia.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * glia.log1p(y ** 2.0 / self.df) - Z

    def entropy(self):
        lbeta = (glia.lgamma(0.5 * self.df) + math.lgamma(0.5)
                 - glia.lgamma(0.5 * (self.df + 1)))
        return (self.scale.log()
                + 0.5 * (self.df + 1) * (glia.digamma(0.5 * (self.df + 1))
                                         - glia.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
