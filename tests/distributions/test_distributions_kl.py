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
