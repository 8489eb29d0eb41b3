"""glia.distributions: probability distributions with sampling, log densities and KL
divergences, as torch.distributions.

Families: Normal, LogNormal, Laplace, Exponential, Uniform, Bernoulli, Categorical,
OneHotCategorical(StraightThrough), MultivariateNormal, Independent, RelaxedBernoulli,
RelaxedOneHotCategorical, and TransformedDistribution with Exp/Sigmoid/Tanh/Affine
transforms. Families needing lgamma/digamma (Beta, Gamma, Dirichlet, Poisson, Binomial,
StudentT, ...) are absent: glia has neither.
"""
from glia.distributions import constraints, transforms  # noqa: F401
from glia.distributions.bernoulli import Bernoulli
from glia.distributions.categorical import Categorical
from glia.distributions.distribution import Distribution
from glia.distributions.exponential import Exponential
from glia.distributions.independent import Independent
from glia.distributions.kl import kl_divergence, register_kl
from glia.distributions.laplace import Laplace
from glia.distributions.log_normal import LogNormal
from glia.distributions.multivariate_normal import MultivariateNormal
from glia.distributions.normal import Normal
from glia.distributions.one_hot_categorical import (OneHotCategorical,
                                                    OneHotCategoricalStraightThrough)
from glia.distributions.relaxed_bernoulli import LogitRelaxedBernoulli, RelaxedBernoulli
from glia.distributions.relaxed_categorical import (ExpRelaxedCategorical,
                                                    RelaxedOneHotCategorical)
from glia.distributions.transformed_distribution import TransformedDistribution
from glia.distributions.transforms import (AffineTransform, ExpTransform, SigmoidTransform,
                                           TanhTransform)
from glia.distributions.uniform import Uniform

__all__ = [
    "AffineTransform", "Bernoulli", "Categorical", "Distribution", "ExpRelaxedCategorical",
    "ExpTransform", "Exponential", "Independent", "Laplace", "LogNormal",
    "LogitRelaxedBernoulli", "MultivariateNormal", "Normal", "OneHotCategorical",
    "OneHotCategoricalStraightThrough", "RelaxedBernoulli", "RelaxedOneHotCategorical",
    "SigmoidTransform", "TanhTransform", "TransformedDistribution", "Uniform",
    "constraints", "kl_divergence", "register_kl", "transforms",
]
