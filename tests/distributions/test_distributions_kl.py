"""kl_divergence against torch for every pair registered among glia's families: values and
gradients w.r.t. both distributions' parameters, with batch broadcasting between p and q,
the infinite cases, the dispatch, and register_kl."""
import math

import numpy as np
import pytest
import torch
import torch.distributions as TD

import glia
import glia.distributions as GD
from helpers import RNG, assert_close


def _pos(*shape):
    return np.exp(0.5 * RNG.standard_normal(shape))


def _n(*shape):
    return RNG.standard_normal(shape)


def _tril(*shape):
    m = np.tril(RNG.standard_normal(shape))
    idx = np.arange(shape[-1])
    m[..., idx, idx] = _pos(*shape[:-1])
    return m


def _spd(*shape):
    a = RNG.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def normal(d, p, k):
    return d.Normal(p[k + "loc"], p[k + "scale"])


def laplace(d, p, k):
    return d.Laplace(p[k + "loc"], p[k + "scale"])


def exponential(d, p, k):
    return d.Exponential(p[k + "rate"])


def uniform(d, p, k):
    return d.Uniform(p[k + "low"], p[k + "low"] + p[k + "width"])


def lognormal(d, p, k):
    return d.LogNormal(p[k + "loc"], p[k + "scale"])


def bernoulli_probs(d, p, k):
    return d.Bernoulli(probs=p[k + "probs"])


def bernoulli_logits(d, p, k):
    return d.Bernoulli(logits=p[k + "logits"])


def categorical(d, p, k):
    return d.Categorical(logits=p[k + "logits"])


def onehot(d, p, k):
    return d.OneHotCategorical(probs=p[k + "probs"])


def mvn_tril(d, p, k):
    return d.MultivariateNormal(p[k + "loc"], scale_tril=p[k + "tril"])


def mvn_cov(d, p, k):
    return d.MultivariateNormal(p[k + "loc"], covariance_matrix=p[k + "cov"])


def independent_normal(d, p, k):
    return d.Independent(normal(d, p, k), 1)


def gamma(d, p, k):
    return d.Gamma(p[k + "concentration"], p[k + "rate"])


def chi2(d, p, k):
    return d.Chi2(p[k + "df"])


def beta(d, p, k):
    return d.Beta(p[k + "c1"], p[k + "c0"])


def dirichlet(d, p, k):
    return d.Dirichlet(p[k + "concentration"])


def poisson(d, p, k):
    return d.Poisson(p[k + "rate"])


def binomial(d, p, k):
    return d.Binomial(p[k + "total_count"], probs=p[k + "probs"])


def geometric(d, p, k):
    return d.Geometric(probs=p[k + "probs"])


def gumbel(d, p, k):
    return d.Gumbel(p[k + "loc"], p[k + "scale"])


def halfnormal(d, p, k):
    return d.HalfNormal(p[k + "scale"])


def halfcauchy(d, p, k):
    return d.HalfCauchy(p[k + "scale"])


def cauchy(d, p, k):
    return d.Cauchy(p[k + "loc"], p[k + "scale"])


def lowrank(d, p, k):
    return d.LowRankMultivariateNormal(p[k + "loc"], p[k + "W"], p[k + "D"])


def uniform01(d, p, k):
    """A uniform inside [0, 1] (Beta's support)."""
    return d.Uniform(p[k + "low"], p[k + "low"] + p[k + "width"])


def uniform_positive(d, p, k):
    """A uniform on the positive reals (the Gamma's support)."""
    return d.Uniform(p[k + "low"], p[k + "low"] + p[k + "width"])


def _params(kind, shape):
    """numpy parameters of one family with batch shape `shape`."""
    if kind in (normal, laplace, lognormal, independent_normal):
        return {"loc": _n(*shape), "scale": _pos(*shape)}
    if kind is exponential:
        return {"rate": _pos(*shape)}
    if kind is uniform:
        return {"low": _n(*shape), "width": _pos(*shape)}
    if kind is bernoulli_probs:
        return {"probs": RNG.uniform(0.05, 0.95, shape)}
    if kind in (bernoulli_logits, categorical):
        return {"logits": 2 * _n(*shape)}
    if kind is onehot:
        e = np.exp(_n(*shape))
        return {"probs": e / e.sum(-1, keepdims=True)}
    if kind is mvn_tril:
        return {"loc": _n(*shape), "tril": _tril(*shape[-1:], shape[-1])}
    if kind is mvn_cov:
        return {"loc": _n(*shape[-1:]), "cov": _spd(*shape, shape[-1])}
    if kind is gamma:
        return {"concentration": 2 * _pos(*shape), "rate": _pos(*shape)}
    if kind is chi2:
        return {"df": 3 * _pos(*shape)}
    if kind is beta:
        return {"c1": 2 * _pos(*shape), "c0": 2 * _pos(*shape)}
    if kind is dirichlet:
        return {"concentration": 2 * _pos(*shape)}
    if kind is poisson:
        return {"rate": 3 * _pos(*shape)}
    if kind is binomial:
        return {"total_count": np.full(shape, 6.0), "probs": RNG.uniform(0.05, 0.95, shape)}
    if kind is geometric:
        return {"probs": RNG.uniform(0.05, 0.95, shape)}
    if kind in (gumbel, cauchy):
        return {"loc": _n(*shape), "scale": _pos(*shape)}
    if kind in (halfnormal, halfcauchy):
        return {"scale": _pos(*shape)}
    if kind is lowrank:
        return {"loc": _n(*shape), "W": _n(*shape, 2), "D": _pos(*shape)}
    if kind is uniform01:
        return {"low": RNG.uniform(0.05, 0.45, shape), "width": RNG.uniform(0.1, 0.5, shape)}
    if kind is uniform_positive:
        return {"low": RNG.uniform(0.1, 2.0, shape), "width": _pos(*shape)}
    raise AssertionError(kind)


# (p family, q family, p batch shape, q batch shape): broadcasting between p and q
PAIRS = [
    (normal, normal, (3,), (3,)), (normal, normal, (2, 1), (4,)),
    (bernoulli_probs, bernoulli_logits, (2, 3), (2, 3)),
    (bernoulli_logits, bernoulli_logits, (4,), (4,)),
    (categorical, categorical, (2, 5), (5,)), (onehot, onehot, (3, 4), (3, 4)),
    (exponential, exponential, (3,), (2, 1)), (laplace, laplace, (2, 3), (3,)),
    (uniform, uniform, (3,), (3,)), (mvn_tril, mvn_tril, (3,), (3,)),
    (mvn_tril, mvn_cov, (2, 3), (4, 1, 3)), (mvn_cov, mvn_tril, (2, 2), (2,)),
    (independent_normal, independent_normal, (2, 3), (2, 3)),
    (lognormal, lognormal, (3,), (3,)),
    (exponential, normal, (3,), (3,)), (laplace, normal, (2, 3), (3,)),
    (normal, laplace, (3,), (2, 3)), (uniform, normal, (3,), (3,)),
    (uniform, exponential, (4,), (4,)),
    (normal, uniform, (3,), (3,)), (normal, exponential, (3,), (3,)),
    (laplace, uniform, (3,), (3,)), (laplace, exponential, (3,), (3,)),
    (exponential, uniform, (3,), (3,)),
    # families that need lgamma/digamma
    (gamma, gamma, (3,), (2, 1)), (chi2, gamma, (3,), (3,)), (chi2, chi2, (2,), (2,)),
    (beta, beta, (2, 3), (3,)), (dirichlet, dirichlet, (2, 4), (4,)),
    (poisson, poisson, (3,), (2, 3)), (binomial, binomial, (2, 3), (3,)),
    (geometric, geometric, (3,), (3,)), (gumbel, gumbel, (2, 3), (3,)),
    (halfnormal, halfnormal, (3,), (3,)), (halfcauchy, halfcauchy, (3,), (3,)),
    (cauchy, cauchy, (3,), (2, 3)), (lowrank, lowrank, (2, 3), (3,)),
    (mvn_tril, lowrank, (2, 3), (2, 3)), (lowrank, mvn_cov, (2, 3), (4, 1, 3)),
    (bernoulli_probs, poisson, (3,), (3,)), (beta, exponential, (3,), (3,)),
    (beta, gamma, (3,), (3,)), (beta, normal, (3,), (2, 3)), (exponential, gamma, (3,), (3,)),
    (exponential, gumbel, (3,), (3,)), (gamma, exponential, (3,), (3,)),
    (gamma, gumbel, (3,), (3,)), (gamma, normal, (2, 3), (3,)), (gumbel, normal, (3,), (3,)),
    (normal, gumbel, (3,), (3,)), (uniform01, beta, (3,), (3,)),
    (uniform_positive, gamma, (3,), (3,)), (uniform, gumbel, (3,), (3,)),
    (exponential, beta, (3,), (3,)), (gamma, beta, (3,), (3,)), (gamma, uniform, (3,), (3,)),
    (gumbel, beta, (3,), (3,)), (gumbel, exponential, (3,), (3,)), (gumbel, gamma, (3,), (3,)),
    (gumbel, uniform, (3,), (3,)), (laplace, beta, (3,), (3,)), (laplace, gamma, (3,), (3,)),
    (normal, beta, (3,), (3,)), (normal, gamma, (3,), (3,)), (poisson, bernoulli_probs, (3,), (3,)),
    (poisson, binomial, (3,), (3,)),
]


def _pair_id(pair):
    return f"{pair[0].__name__}-{pair[1].__name__}-{pair[2]}-{pair[3]}"


def _check_kl(fp, fq, pp, qp):
    params = {"p_" + k: v for k, v in pp.items()} | {"q_" + k: v for k, v in qp.items()}
    gp = {k: glia.tensor(v, requires_grad=True) for k, v in params.items()}
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    go = GD.kl_divergence(fp(GD, gp, "p_"), fq(GD, gp, "q_"))
    to = TD.kl_divergence(fp(TD, tp, "p_"), fq(TD, tp, "q_"))
    assert_close(go, to, rtol=1e-9, atol=1e-10)
    if not to.requires_grad:
        return
    finite = np.isfinite(to.detach().numpy())
    cot = np.where(finite, RNG.standard_normal(tuple(to.shape)), 0.0)
    (go * glia.tensor(cot)).sum().backward()
    (to * torch.tensor(cot)).sum().backward()
    for k in params:
        if tp[k].grad is None:
            assert gp[k].grad is None or not np.any(gp[k].grad.numpy()), k
        else:
            assert gp[k].grad is not None, f"no gradient reached {k}"
            assert_close(gp[k].grad, tp[k].grad, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("pair", PAIRS, ids=[_pair_id(p) for p in PAIRS])
def test_kl_matches_torch(pair):
    fp, fq, sp, sq = pair
    _check_kl(fp, fq, _params(fp, sp), _params(fq, sq))


def test_kl_infinite_and_zero_cases():
    # q's support does not cover p's: inf; p == q: 0
    _check_kl(uniform, uniform, {"low": np.array([0.0, 0.0, -1.0]), "width": np.array([1.0] * 3)},
              {"low": np.array([0.5, -1.0, -1.0]), "width": np.array([1.0, 1.5, 1.0])})
    _check_kl(uniform, exponential, {"low": np.array([-1.0, 0.5]), "width": np.array([2.0, 1.0])},
              {"rate": np.array([1.0, 2.0])})
    probs = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    qprobs = np.array([[0.5, 0.0, 0.5], [0.2, 0.3, 0.5]])
    g = GD.kl_divergence(GD.Categorical(probs=glia.tensor(probs)),
                         GD.Categorical(probs=glia.tensor(qprobs)))
    t = TD.kl_divergence(TD.Categorical(probs=torch.tensor(probs)),
                         TD.Categorical(probs=torch.tensor(qprobs)))
    assert_close(g, t)
    assert g.tolist() == [math.inf, 0.0]
    b = GD.kl_divergence(GD.Bernoulli(glia.tensor([0.0, 1.0, 0.3], dtype=glia.float64)),
                         GD.Bernoulli(glia.tensor([0.5, 0.0, 1.0], dtype=glia.float64)))
    tb = TD.kl_divergence(TD.Bernoulli(torch.tensor([0.0, 1.0, 0.3], dtype=torch.float64)),
                          TD.Bernoulli(torch.tensor([0.5, 0.0, 1.0], dtype=torch.float64)))
    assert_close(b, tb)


def test_kl_bernoulli_broadcasts():
    """torch's in-place masking raises IndexError when p and q batch shapes differ; glia
    broadcasts, giving torch's values on the expanded p."""
    p, q = RNG.uniform(0.1, 0.9, 3), _n(2, 3)
    g = GD.kl_divergence(GD.Bernoulli(glia.tensor(p)), GD.Bernoulli(logits=glia.tensor(q)))
    t = TD.kl_divergence(TD.Bernoulli(torch.tensor(p).expand(2, 3)),
                         TD.Bernoulli(logits=torch.tensor(q)))
    assert_close(g, t, rtol=1e-9, atol=1e-10)


def test_kl_mvn_event_shape_mismatch():
    p = GD.MultivariateNormal(glia.zeros(2), glia.eye(2))
    q = GD.MultivariateNormal(glia.zeros(3), glia.eye(3))
    with pytest.raises(ValueError, match="different event shapes"):
        GD.kl_divergence(p, q)


def test_kl_not_implemented():
    p = GD.Categorical(logits=glia.zeros(3))
    q = GD.Normal(glia.zeros(()), glia.ones(()))
    with pytest.raises(NotImplementedError, match="Categorical and q type Normal"):
        GD.kl_divergence(p, q)
    with pytest.raises(NotImplementedError):  # different reinterpreted dims
        GD.kl_divergence(GD.Independent(GD.Normal(glia.zeros(2, 3), glia.ones(2, 3)), 1),
                         GD.Independent(GD.Normal(glia.zeros(2, 3), glia.ones(2, 3)), 2))
    tanh = GD.transforms.TanhTransform()
    with pytest.raises(NotImplementedError):  # different transforms
        GD.kl_divergence(GD.LogNormal(glia.zeros(2), glia.ones(2)),
                         GD.TransformedDistribution(GD.Normal(glia.zeros(2), glia.ones(2)), tanh))


def test_register_kl_most_specific():
    class MyNormal(GD.Normal):
        pass

    p, q = MyNormal(glia.zeros(2), glia.ones(2)), GD.Normal(glia.ones(2), glia.ones(2))
    assert GD.kl_divergence(p, q).tolist() == [0.5, 0.5]  # falls back to Normal-Normal

    @GD.register_kl(MyNormal, GD.Normal)
    def _kl_mine(p, q):
        return glia.full(p.batch_shape, 7.0)

    try:
        assert GD.kl_divergence(p, q).tolist() == [7.0, 7.0]
        assert GD.kl_divergence(q, q).tolist() == [0.0, 0.0]
    finally:
        from glia.distributions import kl
        del kl._KL_REGISTRY[MyNormal, GD.Normal]
        kl._KL_MEMOIZE.clear()
    with pytest.raises(TypeError):
        GD.register_kl(int, GD.Normal)


def test_kl_gamma_family_infinite_cases():
    """Support mismatches give inf exactly where torch's do."""
    _check_kl(beta, uniform, {"c1": np.array([2.0, 1.5, 0.5]), "c0": np.array([1.0, 3.0, 0.7])},
              {"low": np.array([0.0, 0.1, -1.0]), "width": np.array([1.0, 1.0, 3.0])})
    _check_kl(uniform01, beta, {"low": np.array([0.2, -0.1, 0.5]),
                                "width": np.array([0.5, 0.5, 0.7])},
              {"c1": np.array([2.0, 1.5, 0.5]), "c0": np.array([1.0, 3.0, 0.7])})
    _check_kl(uniform_positive, gamma,
              {"low": np.array([0.5, -0.5]), "width": np.array([1.0, 1.0])},
              {"concentration": np.array([2.0, 3.0]), "rate": np.array([1.0, 0.5])})
    _check_kl(binomial, binomial,
              {"total_count": np.array([5.0, 7.0]), "probs": np.array([0.3, 0.6])},
              {"total_count": np.array([5.0, 4.0]), "probs": np.array([0.4, 0.5])})


def test_kl_binomial_larger_q_count():
    p = GD.Binomial(glia.tensor([3.0, 5.0]), glia.tensor([0.5, 0.5]))
    q = GD.Binomial(glia.tensor([4.0, 5.0]), glia.tensor([0.5, 0.5]))
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        GD.kl_divergence(p, q)


FAMILY_PARAMS = [
    (normal, (2, 3)), (exponential, (3,)), (bernoulli_probs, (3,)), (gamma, (2, 3)),
    (beta, (3,)), (dirichlet, (2, 4)), (poisson, (3,)),
]


@pytest.mark.parametrize("fam,shape", FAMILY_PARAMS, ids=[f[0].__name__ for f in FAMILY_PARAMS])
def test_bregman_kl_and_entropy(fam, shape):
    """The exponential-family fallback (Bregman divergence of the log normalizer) and the
    generic entropy give the closed forms, as torch's fallbacks do."""
    from glia.distributions import kl
    pp, qp = _params(fam, shape), _params(fam, shape)
    params = {"p_" + k: v for k, v in pp.items()} | {"q_" + k: v for k, v in qp.items()}
    gp = {k: glia.tensor(v, requires_grad=True) for k, v in params.items()}
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    p, q = fam(GD, gp, "p_"), fam(GD, gp, "q_")
    tpd, tqd = fam(TD, tp, "p_"), fam(TD, tp, "q_")
    go = kl._kl_expfamily_expfamily(p, q)
    assert_close(go, TD.kl._kl_expfamily_expfamily(tpd, tqd), rtol=1e-9, atol=1e-10)
    assert_close(go, GD.kl_divergence(p, q), rtol=1e-9, atol=1e-10)
    if fam in (normal, exponential, bernoulli_probs, gamma):  # with a carrier measure
        assert_close(GD.ExponentialFamily.entropy(p), p.entropy(), rtol=1e-9, atol=1e-10)
    else:
        with pytest.raises(NotImplementedError):
            GD.ExponentialFamily.entropy(p)
    go.sum().backward()
    TD.kl._kl_expfamily_expfamily(tpd, tqd).sum().backward()
    for k in params:
        if tp[k].grad is None:  # p's natural parameters are detached, in both
            assert gp[k].grad is None, k
        else:
            assert_close(gp[k].grad, tp[k].grad, rtol=1e-7, atol=1e-9)


def test_kl_cross_family_and_transforms_not_implemented():
    b = GD.Beta(glia.tensor([2.0]), glia.tensor([3.0]))
    g = GD.Gamma(glia.tensor([2.0]), glia.tensor([3.0]))
    with pytest.raises(NotImplementedError, match="different exponential families"):
        GD.kl_divergence(g, GD.Poisson(glia.tensor([1.0])))
    with pytest.raises(NotImplementedError):
        GD.kl_divergence(b, GD.Dirichlet(glia.tensor([[2.0, 3.0]])))
    w1 = GD.Weibull(glia.tensor([1.0]), glia.tensor([2.0]))
    w2 = GD.Weibull(glia.tensor([1.5]), glia.tensor([2.0]))
    assert GD.kl_divergence(w1, w1).tolist() == [0.0]  # same transforms: KL of the bases
    with pytest.raises(NotImplementedError):
        GD.kl_divergence(w1, w2)
    with pytest.raises(ValueError, match="different event shapes"):
        GD.kl_divergence(GD.LowRankMultivariateNormal(glia.zeros(2), glia.ones(2, 1), glia.ones(2)),
                         GD.MultivariateNormal(glia.zeros(3), glia.eye(3)))
