"""glia.distributions: probability distributions with sampling, log densities and KL
divergences, as torch.distributions.

Families: Normal, LogNormal, Laplace, Exponential, Uniform, Bernoulli, Categorical,
OneHotCategorical(StraightThrough), MultivariateNormal, LowRankMultivariateNormal,
Independent, RelaxedBernoulli, RelaxedOneHotCategorical, Gamma, Chi2, Beta, Dirichlet,
Poisson, Binomial, Multinomial, Geometric, NegativeBinomial, StudentT, Cauchy, HalfCauchy,
HalfNormal, Gumbel, Weibull, Kumaraswamy, MixtureSameFamily, and TransformedDistribution with
Exp/Sigmoid/Tanh/Affine/Power/Abs transforms (and their inverses, t.inv).
"""
from glia.distributions import constraints, transforms  # noqa: F401
from glia.distributions.bernoulli import Bernoulli
from glia.distributions.beta import Beta
from glia.distributions.binomial import Binomial
from glia.distributions.categorical import Categorical
from glia.distributions.cauchy import Cauchy
from glia.distributions.chi2 import Chi2
from glia.distributions.dirichlet import Dirichlet
from glia.distributions.distribution import Distribution
from glia.distributions.exp_family import ExponentialFamily
from glia.distributions.exponential import Exponential
from glia.distributions.gamma import Gamma
from glia.distributions.geometric import Geometric
from glia.distributions.gumbel import Gumbel
from glia.distributions.half_cauchy import HalfCauchy
from glia.distributions.half_normal import HalfNormal
from glia.distributions.independent import Independent
from glia.distributions.kl import kl_divergence, register_kl
from glia.distributions.kumaraswamy import Kumaraswamy
from glia.distributions.laplace import Laplace
from glia.distributions.log_normal import LogNormal
from glia.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from glia.distributions.mixture_same_family import MixtureSameFamily
from glia.distributions.multinomial import Multinomial
from glia.distributions.multivariate_normal import MultivariateNormal
from glia.distributions.negative_binomial import NegativeBinomial
from glia.distributions.normal import Normal
from glia.distributions.one_hot_categorical import (OneHotCategorical,
                                                    OneHotCategoricalStraightThrough)
from glia.distributions.poisson import Poisson
from glia.distributions.relaxed_bernoulli import LogitRelaxedBernoulli, RelaxedBernoulli
from glia.distributions.relaxed_categorical import (ExpRelaxedCategorical,
                                                    RelaxedOneHotCategorical)
from glia.distributions.studentT import StudentT
from glia.distributions.transformed_distribution import TransformedDistribution
from glia.distributions.transforms import (AbsTransform, AffineTransform, ExpTransform,
                                           PowerTransform, SigmoidTransform, TanhTransform)
from glia.distributions.uniform import Uniform
from glia.distributions.weibull import Weibull

__all__ = [
    "AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical",
    "Cauchy", "Chi2", "Dirichlet", "Distribution", "ExpRelaxedCategorical", "ExpTransform",
    "Exponential", "ExponentialFamily", "Gamma", "Geometric", "Gumbel", "HalfCauchy",
    "HalfNormal", "Independent", "Kumaraswamy", "Laplace", "LogNormal", "LogitRelaxedBernoulli",
    "LowRankMultivariateNormal", "MixtureSameFamily", "Multinomial", "MultivariateNormal",
    "NegativeBinomial", "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough",
    "Poisson", "PowerTransform", "RelaxedBernoulli", "RelaxedOneHotCategorical",
    "SigmoidTransform", "StudentT", "TanhTransform", "TransformedDistribution", "Uniform",
    "Weibull", "constraints", "kl_divergence", "register_kl", "transforms",
]
