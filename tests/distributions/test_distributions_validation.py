"""validate_args: invalid parameters and values raise ValueError naming the parameter and
the distribution (torch raises too, for the same input); validate_args=False skips the
checks; malformed constructions raise as torch does."""
import numpy as np
import pytest
import torch
import torch.distributions as TD

import glia
import glia.distributions as GD
from helpers import check_raises


def _both(make, *arrays):
    """make(lib, *tensors) in glia and torch, on float64 copies of the arrays."""
    g = make(GD, *[glia.tensor(np.asarray(a, dtype=np.float64)) for a in arrays])
    t = make(TD, *[torch.tensor(np.asarray(a, dtype=np.float64)) for a in arrays])
    return g, t


BAD_PARAMS = [
    ("normal-scale", lambda d, a, b: d.Normal(a, b, validate_args=True),
     ([0.0, 1.0], [1.0, -1.0]), ["parameter scale", "Normal", "GreaterThan"]),
    ("normal-loc-nan", lambda d, a, b: d.Normal(a, b, validate_args=True),
     ([np.nan], [1.0]), ["parameter loc", "Normal", "Real()"]),
    ("lognormal-scale", lambda d, a, b: d.LogNormal(a, b, validate_args=True),
     ([0.0], [0.0]), ["parameter scale", "Normal"]),
    ("laplace-scale", lambda d, a, b: d.Laplace(a, b, validate_args=True),
     ([0.0], [-2.0]), ["parameter scale", "Laplace"]),
    ("exponential-rate", lambda d, a: d.Exponential(a, validate_args=True),
     ([1.0, 0.0],), ["parameter rate", "Exponential"]),
    ("uniform-low-high", lambda d, a, b: d.Uniform(a, b, validate_args=True),
     ([0.0, 2.0], [1.0, 1.0]), ["parameter low", "Uniform", "LessThan"]),
    ("bernoulli-probs", lambda d, a: d.Bernoulli(probs=a, validate_args=True),
     ([0.5, 1.5],), ["parameter probs", "Bernoulli", "Interval"]),
    ("categorical-probs", lambda d, a: d.Categorical(probs=a, validate_args=True),
     ([0.5, -0.1, 0.6],), ["parameter probs", "Categorical", "Simplex"]),
    ("onehot-logits", lambda d, a: d.OneHotCategorical(logits=a, validate_args=True),
     ([0.5, np.nan],), ["parameter logits", "Categorical"]),
    ("mvn-cov", lambda d, a, b: d.MultivariateNormal(a, covariance_matrix=b, validate_args=True),
     ([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), ["parameter covariance_matrix",
                                               "MultivariateNormal", "PositiveDefinite"]),
    ("mvn-cov-asymmetric", lambda d, a, b: d.MultivariateNormal(a, covariance_matrix=b,
                                                                validate_args=True),
     ([0.0, 0.0], [[2.0, 0.5], [0.0, 2.0]]), ["parameter covariance_matrix", "MultivariateNormal"]),
    ("mvn-tril", lambda d, a, b: d.MultivariateNormal(a, scale_tril=b, validate_args=True),
     ([0.0, 0.0], [[1.0, 0.0], [0.5, -1.0]]), ["parameter scale_tril", "MultivariateNormal",
                                                "LowerCholesky"]),
    ("mvn-tril-upper", lambda d, a, b: d.MultivariateNormal(a, scale_tril=b, validate_args=True),
     ([0.0, 0.0], [[1.0, 0.3], [0.5, 1.0]]), ["parameter scale_tril", "MultivariateNormal"]),
    ("relaxed-bernoulli", lambda d, t, a: d.RelaxedBernoulli(t, probs=a, validate_args=True),
     (0.5, [1.2]), ["parameter probs", "RelaxedBernoulli"]),
    ("gamma-concentration", lambda d, a, b: d.Gamma(a, b, validate_args=True),
     ([1.0, -1.0], [1.0, 1.0]), ["parameter concentration", "Gamma", "GreaterThan"]),
    ("gamma-rate", lambda d, a, b: d.Gamma(a, b, validate_args=True),
     ([1.0], [0.0]), ["parameter rate", "Gamma"]),
    ("chi2-df", lambda d, a: d.Chi2(a, validate_args=True), ([0.0],), ["parameter df", "Chi2"]),
    ("beta-concentration", lambda d, a, b: d.Beta(a, b, validate_args=True),
     ([1.0, 2.0], [1.0, -0.5]), ["parameter concentration", "Dirichlet"]),
    ("dirichlet", lambda d, a: d.Dirichlet(a, validate_args=True),
     ([[1.0, 2.0], [0.5, 0.0]],),
     ["parameter concentration", "Dirichlet", "IndependentConstraint"]),
    ("poisson-rate", lambda d, a: d.Poisson(a, validate_args=True),
     ([1.0, -0.1],), ["parameter rate", "Poisson", "GreaterThanEq"]),
    ("binomial-count", lambda d, n, p: d.Binomial(n, p, validate_args=True),
     ([2.5], [0.5]), ["parameter total_count", "Binomial", "IntegerGreaterThan"]),
    ("binomial-probs", lambda d, n, p: d.Binomial(n, p, validate_args=True),
     ([2.0], [1.5]), ["parameter probs", "Binomial"]),
    ("multinomial-probs", lambda d, p: d.Multinomial(3, p, validate_args=True),
     ([0.5, -0.2, 0.7],), ["parameter probs", "Categorical"]),
    ("geometric-probs", lambda d, p: d.Geometric(p, validate_args=True),
     ([0.5, 0.0],), ["parameter probs", "Geometric", "to be positive"]),
    ("negbinomial-probs", lambda d, n, p: d.NegativeBinomial(n, p, validate_args=True),
     ([2.0], [1.0]), ["parameter probs", "NegativeBinomial", "HalfOpenInterval"]),
    ("negbinomial-count", lambda d, n, p: d.NegativeBinomial(n, p, validate_args=True),
     ([-1.0], [0.5]), ["parameter total_count", "NegativeBinomial"]),
    ("studentt-df", lambda d, a: d.StudentT(a, validate_args=True), ([-1.0],),
     ["parameter df", "Chi2"]),
    ("studentt-scale", lambda d, a: d.StudentT(d.Normal(0.0, 1.0).scale * 3, 0.0, a,
                                               validate_args=True),
     ([-1.0],), ["parameter scale", "StudentT"]),
    ("cauchy-scale", lambda d, a, b: d.Cauchy(a, b, validate_args=True),
     ([0.0], [0.0]), ["parameter scale", "Cauchy"]),
    ("gumbel-scale", lambda d, a, b: d.Gumbel(a, b, validate_args=True),
     ([0.0], [-1.0]), ["parameter scale", "Gumbel"]),
    ("halfnormal-scale", lambda d, a: d.HalfNormal(a, validate_args=True),
     ([-1.0],), ["parameter scale", "HalfNormal"]),
    ("halfcauchy-scale", lambda d, a: d.HalfCauchy(a, validate_args=True),
     ([0.0],), ["parameter scale", "HalfCauchy"]),
    ("weibull-concentration", lambda d, a, b: d.Weibull(a, b, validate_args=True),
     ([1.0], [-2.0]), ["parameter concentration", "Weibull"]),
    ("kumaraswamy", lambda d, a, b: d.Kumaraswamy(a, b, validate_args=True),
     ([1.0], [0.0]), ["parameter concentration0", "Kumaraswamy"]),
    ("lowrank-diag", lambda d, a, w, b: d.LowRankMultivariateNormal(a, w, b, validate_args=True),
     ([0.0, 0.0], [[1.0], [0.5]], [1.0, -1.0]), ["parameter cov_diag",
                                                 "LowRankMultivariateNormal"]),
]


@pytest.mark.parametrize("make,arrays,fragments", [c[1:] for c in BAD_PARAMS],
                         ids=[c[0] for c in BAD_PARAMS])
def test_invalid_parameters(make, arrays, fragments):
    with pytest.raises(ValueError):
        _both(lambda d, *a: make(TD, *a) if d is TD else None, *arrays)
    check_raises(lambda: make(GD, *[glia.tensor(np.asarray(a, dtype=np.float64))
                                    for a in arrays]), ValueError, *fragments)


def test_validation_is_on_by_default_and_can_be_off():
    check_raises(lambda: GD.Normal(glia.zeros(2), -glia.ones(2)), ValueError, "scale")
    d = GD.Normal(glia.zeros(2), -glia.ones(2), validate_args=False)
    assert d.batch_shape == (2,)
    GD.Distribution.set_default_validate_args(False)
    try:
        GD.Normal(glia.zeros(2), -glia.ones(2))
        GD.Exponential(glia.ones(1)).log_prob(-glia.ones(1))
    finally:
        GD.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        GD.Distribution.set_default_validate_args(1.5)


BAD_VALUES = [
    ("exponential", lambda d, p: d.Exponential(p), [1.0, 2.0], [1.0, -0.5], "log_prob"),
    ("exponential-cdf", lambda d, p: d.Exponential(p), [1.0, 2.0], [1.0, -0.5], "cdf"),
    ("bernoulli", lambda d, p: d.Bernoulli(p), [0.2, 0.4], [1.0, 0.5], "log_prob"),
    ("categorical", lambda d, p: d.Categorical(p), [0.2, 0.8], [2.0], "log_prob"),
    ("categorical-fraction", lambda d, p: d.Categorical(p), [0.2, 0.8], [0.5], "log_prob"),
    ("onehot", lambda d, p: d.OneHotCategorical(p), [0.2, 0.8], [1.0, 1.0], "log_prob"),
    ("uniform", lambda d, p: d.Uniform(p, p + 1), [0.0, 1.0], [0.5, 2.5], "log_prob"),
    ("normal-nan", lambda d, p: d.Normal(p, 1.0), [0.0, 1.0], [np.nan, 0.0], "log_prob"),
    ("lognormal", lambda d, p: d.LogNormal(p, 1.0), [0.0], [-1.0], "log_prob"),
    ("relaxed-onehot", lambda d, p: d.RelaxedOneHotCategorical(d.Normal(0.0, 1.0).scale * 0.5,
                                                              probs=p), [0.2, 0.8], [0.5, 0.6],
     "log_prob"),
    ("independent", lambda d, p: d.Independent(d.Exponential(p), 1), [1.0, 2.0], [1.0, -1.0],
     "log_prob"),
    ("gamma", lambda d, p: d.Gamma(p, 1.0), [1.0, 2.0], [1.0, -0.5], "log_prob"),
    ("gamma-cdf", lambda d, p: d.Gamma(p, 1.0), [1.0, 2.0], [1.0, -0.5], "cdf"),
    ("beta", lambda d, p: d.Beta(p, 2.0), [1.0, 2.0], [0.5, 1.5], "log_prob"),
    ("dirichlet", lambda d, p: d.Dirichlet(p), [1.0, 2.0], [0.5, 0.6], "log_prob"),
    ("poisson-fraction", lambda d, p: d.Poisson(p), [1.0, 2.0], [1.0, 0.5], "log_prob"),
    ("poisson-negative", lambda d, p: d.Poisson(p), [1.0, 2.0], [1.0, -1.0], "log_prob"),
    ("binomial", lambda d, p: d.Binomial(5, p), [0.2, 0.4], [5.0, 6.0], "log_prob"),
    ("multinomial", lambda d, p: d.Multinomial(3, p), [0.2, 0.8], [2.0, 2.0], "log_prob"),
    ("multinomial-negative", lambda d, p: d.Multinomial(3, p), [0.2, 0.8], [4.0, -1.0],
     "log_prob"),
    ("geometric", lambda d, p: d.Geometric(p), [0.2, 0.4], [1.0, -1.0], "log_prob"),
    ("negbinomial", lambda d, p: d.NegativeBinomial(2.0, p), [0.2, 0.4], [1.5, 1.0],
     "log_prob"),
    ("halfnormal", lambda d, p: d.HalfNormal(p), [1.0, 2.0], [1.0, -1.0], "log_prob"),
    ("halfcauchy-cdf", lambda d, p: d.HalfCauchy(p), [1.0, 2.0], [1.0, -1.0], "cdf"),
    ("weibull", lambda d, p: d.Weibull(p, 2.0), [1.0, 2.0], [1.0, -1.0], "log_prob"),
    ("kumaraswamy", lambda d, p: d.Kumaraswamy(p, 2.0), [1.0, 2.0], [0.5, 1.5], "log_prob"),
    ("studentt-nan", lambda d, p: d.StudentT(p), [1.0, 2.0], [np.nan, 1.0], "log_prob"),
    ("mixture", lambda d, p: d.MixtureSameFamily(d.Categorical(p), d.Exponential(p)),
     [1.0, 2.0], [-0.5], "log_prob"),
]


@pytest.mark.parametrize("make,param,value,method", [c[1:] for c in BAD_VALUES],
                         ids=[c[0] for c in BAD_VALUES])
def test_values_outside_support(make, param, value, method):
    g, t = _both(make, param)
    with pytest.raises(ValueError, match="support"):
        getattr(t, method)(torch.tensor(value, dtype=torch.float64))
    # Independent leaves the check to its base, as torch
    name = type(g.base_dist if isinstance(g, GD.Independent) else g).__name__
    check_raises(lambda: getattr(g, method)(glia.tensor(np.array(value))), ValueError,
                 "Expected value argument", "within the support", f"distribution {name}(")


def test_value_shapes():
    d = GD.Normal(glia.zeros(2, 3), glia.ones(2, 3))
    check_raises(lambda: d.log_prob(glia.zeros(4, 3, 3)), ValueError, "not broadcastable")
    check_raises(lambda: d.log_prob([0.0]), ValueError, "must be a Tensor")
    m = GD.MultivariateNormal(glia.zeros(3), glia.eye(3))
    check_raises(lambda: m.log_prob(glia.zeros(2)), ValueError, "must match event_shape")
    # broadcastable values pass
    assert d.log_prob(glia.zeros(5, 1, 3)).shape == (5, 2, 3)


def test_construction_errors():
    check_raises(lambda: GD.Bernoulli(), ValueError, "Either `probs` or `logits`")
    check_raises(lambda: GD.Categorical(glia.ones(2), glia.ones(2)), ValueError,
                 "Either `probs` or `logits`")
    check_raises(lambda: GD.Categorical(glia.tensor(1.0)), ValueError, "one-dimensional")
    check_raises(lambda: GD.MultivariateNormal(glia.zeros(2)), ValueError, "Exactly one of")
    check_raises(lambda: GD.MultivariateNormal(glia.zeros(2), glia.eye(2), scale_tril=glia.eye(2)),
                 ValueError, "Exactly one of")
    check_raises(lambda: GD.MultivariateNormal(glia.tensor(0.0), glia.eye(2)), ValueError,
                 "loc must be at least one-dimensional")
    check_raises(lambda: GD.MultivariateNormal(glia.zeros(2), glia.ones(2)), ValueError,
                 "covariance_matrix matrix must be at least two-dimensional")
    check_raises(lambda: GD.Independent(GD.Normal(glia.zeros(2), glia.ones(2)), 2), ValueError,
                 "reinterpreted_batch_ndims <= len(base_distribution.batch_shape)")
    check_raises(lambda: GD.Normal("a", 1.0), ValueError, "Number or glia.Tensor")
    with pytest.raises(NotImplementedError):
        GD.Independent(GD.Bernoulli(glia.ones(2) * 0.5), 1).enumerate_support()
    with pytest.raises(NotImplementedError, match="rsample"):
        GD.Bernoulli(glia.ones(2) * 0.5).rsample()


def test_support_constraints():
    c = GD.constraints
    x = glia.tensor([[0.2, 0.8], [0.5, 0.6]], dtype=glia.float64)
    assert c.simplex.check(x).tolist() == [True, False]
    assert c.independent(c.positive, 1).check(x - 0.3).tolist() == [False, True]
    assert c.integer_interval(0, 2).check(glia.tensor([0.0, 2.0, 3.0, 1.5])).tolist() == \
        [True, True, False, False]
    assert c.one_hot.check(glia.tensor([[0.0, 1.0], [1.0, 1.0]])).tolist() == [True, False]
    assert c.is_dependent(GD.Uniform.support) and c.is_dependent(c.dependent)
    assert repr(GD.Uniform(0.0, 1.0).support).startswith("Interval(lower_bound=")
    with pytest.raises(ValueError):
        c.dependent.check(x)
