"""glia.distributions against torch.distributions built from the same float64 parameters:
shapes, log_prob (and its parameter gradients), entropy, moments, mode, cdf/icdf,
enumerate_support, sample shapes and expand, for every family and several batch shapes."""
import math

import numpy as np
import pytest
import torch
import torch.distributions as TD

import glia
import glia.distributions as GD
from helpers import RNG, assert_close

RTOL, ATOL = 1e-9, 1e-10


def _pos(*shape):
    return np.exp(0.5 * RNG.standard_normal(shape))


def _unit(*shape):
    return RNG.uniform(0.05, 0.95, shape)


def _simplex(*shape):
    e = np.exp(RNG.standard_normal(shape))
    return e / e.sum(-1, keepdims=True)


def _spd(*shape):
    n = shape[-1]
    a = RNG.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _tril(*shape):
    m = np.tril(RNG.standard_normal(shape))
    idx = np.arange(shape[-1])
    m[..., idx, idx] = _pos(*shape[:-1])
    return m


def _low_high(low_shape, width_shape):
    low = RNG.standard_normal(low_shape)
    return {"low": low, "high": low + _pos(*width_shape)}


# (id, builder(lib, params), numpy params). Python floats stay numbers in both libraries.
CASES = [
    ("normal", lambda d, p: d.Normal(p["loc"], p["scale"]),
     {"loc": RNG.standard_normal(3), "scale": _pos(3)}),
    ("normal-broadcast", lambda d, p: d.Normal(p["loc"], p["scale"]),
     {"loc": RNG.standard_normal((2, 1)), "scale": _pos(4)}),
    ("normal-number-loc", lambda d, p: d.Normal(p["loc"], p["scale"]),
     {"loc": 0.3, "scale": _pos(4, 1)}),
    ("normal-0d", lambda d, p: d.Normal(p["loc"], p["scale"]),
     {"loc": np.array(0.2), "scale": np.array(1.7)}),
    ("lognormal", lambda d, p: d.LogNormal(p["loc"], p["scale"]),
     {"loc": RNG.standard_normal((2, 1)), "scale": _pos(1, 3)}),
    ("laplace", lambda d, p: d.Laplace(p["loc"], p["scale"]),
     {"loc": RNG.standard_normal((2, 3)), "scale": _pos(3)}),
    ("exponential", lambda d, p: d.Exponential(p["rate"]), {"rate": _pos(2, 3)}),
    ("exponential-0d", lambda d, p: d.Exponential(p["rate"]), {"rate": np.array(2.5)}),
    ("uniform", lambda d, p: d.Uniform(p["low"], p["high"]), _low_high((2, 3), (2, 3))),
    ("uniform-broadcast", lambda d, p: d.Uniform(p["low"], p["high"]), _low_high((3, 1), (3, 2))),
    ("bernoulli-probs", lambda d, p: d.Bernoulli(probs=p["probs"]),
     {"probs": np.array([0.1, 0.5, 0.9, 0.3])}),
    ("bernoulli-logits", lambda d, p: d.Bernoulli(logits=p["logits"]),
     {"logits": RNG.standard_normal((2, 3))}),
    ("categorical-probs", lambda d, p: d.Categorical(probs=p["probs"]),
     {"probs": _simplex(5) * 3.0}),  # unnormalized: both divide by the sum
    ("categorical-logits", lambda d, p: d.Categorical(logits=p["logits"]),
     {"logits": RNG.standard_normal((2, 3, 4))}),
    ("onehot-probs", lambda d, p: d.OneHotCategorical(probs=p["probs"]),
     {"probs": _simplex(2, 4)}),
    ("onehot-logits", lambda d, p: d.OneHotCategorical(logits=p["logits"]),
     {"logits": RNG.standard_normal(3)}),
    ("mvn-cov", lambda d, p: d.MultivariateNormal(p["loc"], covariance_matrix=p["cov"]),
     {"loc": RNG.standard_normal(3), "cov": _spd(3, 3)}),
    ("mvn-tril-broadcast", lambda d, p: d.MultivariateNormal(p["loc"], scale_tril=p["tril"]),
     {"loc": RNG.standard_normal((4, 1, 3)), "tril": _tril(2, 3, 3)}),
    ("mvn-precision", lambda d, p: d.MultivariateNormal(p["loc"], precision_matrix=p["prec"]),
     {"loc": RNG.standard_normal((2, 2)), "prec": _spd(2, 2)}),
    ("independent-normal", lambda d, p: d.Independent(d.Normal(p["loc"], p["scale"]), 1),
     {"loc": RNG.standard_normal((2, 3)), "scale": _pos(2, 3)}),
    ("independent-bernoulli", lambda d, p: d.Independent(d.Bernoulli(logits=p["logits"]), 2),
     {"logits": RNG.standard_normal((2, 3, 4))}),
    ("independent-mvn", lambda d, p: d.Independent(
        d.MultivariateNormal(p["loc"], scale_tril=p["tril"]), 1),
     {"loc": RNG.standard_normal((2, 3)), "tril": _tril(3, 3)}),
    ("relaxed-bernoulli", lambda d, p: d.RelaxedBernoulli(p["temperature"], probs=p["probs"]),
     {"temperature": np.array(0.7), "probs": _unit(3)}),
    ("relaxed-onehot", lambda d, p: d.RelaxedOneHotCategorical(p["temperature"],
                                                               logits=p["logits"]),
     {"temperature": np.array(0.5), "logits": RNG.standard_normal((2, 4))}),
    ("tanh-normal", lambda d, p: d.TransformedDistribution(
        d.Normal(p["loc"], p["scale"]), [d.transforms.TanhTransform()]),
     {"loc": RNG.standard_normal(3), "scale": _pos(3)}),
    ("affine-exp-normal", lambda d, p: d.TransformedDistribution(
        d.Normal(p["loc"], p["scale"]),
        [d.transforms.ExpTransform(), d.transforms.AffineTransform(1.5, p["a"])]),
     {"loc": RNG.standard_normal(3), "scale": _pos(3), "a": -_pos(3)}),
]


def _dirichlet_rows():
    c = _pos(2, 3)
    c[0] = [0.5, 0.7, 0.3]  # all below 1: torch's mode is the first vertex
    return c


def _mixture(d, p, component):
    return d.MixtureSameFamily(d.Categorical(logits=p["logits"]), component)


# families that need lgamma/digamma
CASES += [
    ("gamma", lambda d, p: d.Gamma(p["concentration"], p["rate"]),
     {"concentration": _pos(2, 3), "rate": _pos(3)}),
    ("gamma-number-concentration", lambda d, p: d.Gamma(p["concentration"], p["rate"]),
     {"concentration": 2.5, "rate": _pos(2)}),
    ("chi2", lambda d, p: d.Chi2(p["df"]), {"df": 3 * _pos(3)}),
    ("beta", lambda d, p: d.Beta(p["c1"], p["c0"]), {"c1": 2 * _pos(2, 3), "c0": 2 * _pos(3)}),
    ("beta-below-one", lambda d, p: d.Beta(p["c1"], p["c0"]),
     {"c1": np.array([0.4, 2.0, 0.7]), "c0": np.array([0.6, 0.5, 3.0])}),
    ("dirichlet", lambda d, p: d.Dirichlet(p["concentration"]),
     {"concentration": 2 * _pos(3, 4)}),
    ("dirichlet-below-one", lambda d, p: d.Dirichlet(p["concentration"]),
     {"concentration": _dirichlet_rows()}),
    ("poisson", lambda d, p: d.Poisson(p["rate"]), {"rate": 4 * _pos(2, 3)}),
    ("poisson-large", lambda d, p: d.Poisson(p["rate"]), {"rate": np.array([12.0, 150.0])}),
    ("binomial-probs", lambda d, p: d.Binomial(p["total_count"], probs=p["probs"]),
     {"total_count": np.full(3, 7.0), "probs": _unit(2, 3)}),
    ("binomial-logits-inhomogeneous", lambda d, p: d.Binomial(p["total_count"],
                                                              logits=p["logits"]),
     {"total_count": np.array([[3.0], [20.0]]), "logits": RNG.standard_normal((2, 3))}),
    ("multinomial-probs", lambda d, p: d.Multinomial(6, probs=p["probs"]),
     {"probs": _simplex(2, 3)}),
    ("multinomial-logits", lambda d, p: d.Multinomial(4, logits=p["logits"]),
     {"logits": RNG.standard_normal(4)}),
    ("geometric-probs", lambda d, p: d.Geometric(probs=p["probs"]), {"probs": _unit(2, 3)}),
    ("geometric-logits", lambda d, p: d.Geometric(logits=p["logits"]),
     {"logits": RNG.standard_normal(3)}),
    ("negbinomial-probs", lambda d, p: d.NegativeBinomial(p["total_count"], probs=p["probs"]),
     {"total_count": 3 * _pos(3), "probs": _unit(2, 3)}),
    ("negbinomial-logits", lambda d, p: d.NegativeBinomial(p["total_count"],
                                                           logits=p["logits"]),
     {"total_count": np.array(2.5), "logits": RNG.standard_normal(3)}),
    ("studentt", lambda d, p: d.StudentT(p["df"], p["loc"], p["scale"]),
     {"df": np.array([0.7, 1.5, 2.5, 9.0]), "loc": RNG.standard_normal(4), "scale": _pos(4)}),
    ("studentt-df-only", lambda d, p: d.StudentT(p["df"]), {"df": 4 * _pos(2, 1)}),
    ("cauchy", lambda d, p: d.Cauchy(p["loc"], p["scale"]),
     {"loc": RNG.standard_normal((2, 3)), "scale": _pos(3)}),
    ("gumbel", lambda d, p: d.Gumbel(p["loc"], p["scale"]),
     {"loc": RNG.standard_normal((2, 3)), "scale": _pos(2, 3)}),
    ("halfnormal", lambda d, p: d.HalfNormal(p["scale"]), {"scale": _pos(3)}),
    ("halfcauchy", lambda d, p: d.HalfCauchy(p["scale"]), {"scale": _pos(2, 3)}),
    ("weibull", lambda d, p: d.Weibull(p["scale"], p["concentration"]),
     {"scale": _pos(3), "concentration": np.array([0.7, 1.5, 3.0])}),
    ("kumaraswamy", lambda d, p: d.Kumaraswamy(p["c1"], p["c0"]),
     {"c1": 2 * _pos(3), "c0": 2 * _pos(3)}),
    ("lowrank-mvn", lambda d, p: d.LowRankMultivariateNormal(p["loc"], p["W"], p["D"]),
     {"loc": RNG.standard_normal((2, 3)), "W": RNG.standard_normal((3, 2)), "D": _pos(2, 3)}),
    ("lowrank-mvn-broadcast", lambda d, p: d.LowRankMultivariateNormal(p["loc"], p["W"], p["D"]),
     {"loc": RNG.standard_normal(4), "W": RNG.standard_normal((2, 4, 1)), "D": _pos(4)}),
    ("mixture-normal", lambda d, p: _mixture(d, p, d.Normal(p["loc"], p["scale"])),
     {"logits": RNG.standard_normal((2, 3)), "loc": RNG.standard_normal((2, 3)),
      "scale": _pos(2, 3)}),
    ("mixture-diag-gaussian", lambda d, p: _mixture(
        d, p, d.Independent(d.Normal(p["loc"], p["scale"]), 1)),
     {"logits": RNG.standard_normal(3), "loc": RNG.standard_normal((3, 2)),
      "scale": _pos(3, 2)}),
    ("mixture-mvn", lambda d, p: _mixture(
        d, p, d.MultivariateNormal(p["loc"], scale_tril=p["tril"])),
     {"logits": RNG.standard_normal((4, 2)), "loc": RNG.standard_normal((4, 2, 3)),
      "tril": _tril(2, 3, 3)}),
    ("mixture-gamma", lambda d, p: _mixture(d, p, d.Gamma(p["concentration"], p["rate"])),
     {"logits": RNG.standard_normal((4, 3)), "concentration": _pos(4, 3), "rate": _pos(3)}),
]
IDS = [c[0] for c in CASES]


def build(case, grad=True):
    """(glia dist, torch dist, glia params, torch params) from one case."""
    _, builder, params = case
    gp, tp = {}, {}
    for k, v in params.items():
        if isinstance(v, float):
            gp[k] = tp[k] = v
        else:
            gp[k] = glia.tensor(v, requires_grad=grad)
            tp[k] = torch.tensor(v, requires_grad=grad)
    return builder(GD, gp), builder(TD, tp), gp, tp


def torch_values(td, sample_shape=(2,)):
    torch.manual_seed(0)
    return td.sample(sample_shape)


def to_glia(t):
    return glia.tensor(t.detach().numpy())


def compare(case, fn, rtol=RTOL, atol=ATOL, grad=True):
    """fn(dist) in glia and torch: values, then parameter gradients under one random
    cotangent. Returns False when torch does not implement it (glia must not either)."""
    g, t, gp, tp = build(case)
    try:
        to = fn(t, torch)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            fn(g, glia)
        return False
    go = fn(g, glia)
    assert_close(go, to, rtol, atol)
    if grad and to.requires_grad and to.numel():
        cot = RNG.standard_normal(tuple(to.shape))
        try:
            (to * torch.tensor(cot)).sum().backward()
        except NotImplementedError:  # a derivative torch lacks (gammainc's in concentration)
            with pytest.raises(NotImplementedError):
                (go * glia.tensor(cot)).sum().backward()
            return True
        (go * glia.tensor(cot)).sum().backward()
        for k in tp:
            if isinstance(tp[k], float):
                continue
            tg = tp[k].grad
            gg = gp[k].grad
            if tg is None:
                assert gg is None or not np.any(gg.numpy()), k
            else:
                assert gg is not None, f"no gradient reached {k}"
                assert_close(gg, tg, rtol=1e-7, atol=1e-9)
    return True


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shapes(case):
    g, t, _, _ = build(case, grad=False)
    assert g.batch_shape == tuple(t.batch_shape)
    assert g.event_shape == tuple(t.event_shape)
    assert g.has_rsample == t.has_rsample
    assert g.has_enumerate_support == t.has_enumerate_support
    for shape in [(), (5,), (3, 1)]:
        gs, ts = g.sample(shape), t.sample(shape)
        assert gs.shape == tuple(ts.shape) and gs.dtype.name == str(ts.dtype)[6:]
        assert not gs.requires_grad
        if t.has_rsample:
            assert g.rsample(shape).shape == tuple(ts.shape)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_log_prob(case):
    _, t, _, _ = build(case, grad=False)
    value = torch_values(t)
    assert compare(case, lambda d, lib: d.log_prob(to_glia(value) if lib is glia else value))


# cases with batch dims whose support is the same for every row (not Uniform's, nor a
# Binomial's with several total_counts)
BROADCAST_CASES = [c for c in CASES
                   if not c[0].startswith("uniform") and "inhomogeneous" not in c[0]
                   and build(c, grad=False)[1].batch_shape]


@pytest.mark.parametrize("case", BROADCAST_CASES, ids=[c[0] for c in BROADCAST_CASES])
def test_log_prob_broadcasts_values(case):
    """One value per batch row (a size-1 dim) scored against the whole batch."""
    _, t, _, _ = build(case, grad=False)
    value = torch_values(t, (3,))
    value = value[(slice(None),) * (value.dim() - len(t.event_shape) - 1) + (slice(0, 1),)]
    assert compare(case, lambda d, lib: d.log_prob(to_glia(value) if lib is glia else value))


# torch 2.13's Kumaraswamy.mode is NaN for every valid parameter (glia's is the true mode,
# tested in test_distributions_gamma_family.py)
MOMENT_CASES = [(case, prop) for case in CASES for prop in ["mean", "variance", "stddev", "mode"]
                if (case[0], prop) != ("kumaraswamy", "mode")]


@pytest.mark.parametrize("case,prop", MOMENT_CASES,
                         ids=[f"{prop}-{case[0]}" for case, prop in MOMENT_CASES])
def test_moments(case, prop):
    compare(case, lambda d, lib: getattr(d, prop))


# torch's Multinomial.entropy takes lgamma(total_count + 1) in float32 (of an int64 tensor);
# glia's, exact in float64, is checked against enumeration in test_distributions_gamma_family.py
ENTROPY_CASES = [c for c in CASES if not c[0].startswith("multinomial")]


@pytest.mark.parametrize("case", ENTROPY_CASES, ids=[c[0] for c in ENTROPY_CASES])
def test_entropy(case):
    compare(case, lambda d, lib: d.entropy())


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cdf_icdf(case):
    _, t, _, _ = build(case, grad=False)
    value = torch_values(t)
    compare(case, lambda d, lib: d.cdf(to_glia(value) if lib is glia else value))
    q = torch.tensor(RNG.uniform(0.02, 0.98, (2,) + tuple(t.batch_shape)))
    compare(case, lambda d, lib: d.icdf(to_glia(q) if lib is glia else q), rtol=1e-8)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_enumerate_support(case):
    for expand in (True, False):
        compare(case, lambda d, lib: d.enumerate_support(expand=expand))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_expand(case):
    g, t, _, _ = build(case, grad=False)
    new_batch = (2,) + tuple(t.batch_shape)
    ge, te = g.expand(new_batch), t.expand(new_batch)
    assert type(ge) is type(g)
    assert ge.batch_shape == tuple(te.batch_shape) and ge.event_shape == tuple(te.event_shape)
    assert ge.sample((3,)).shape == tuple(te.sample((3,)).shape)
    value = torch_values(te)
    assert_close(ge.log_prob(to_glia(value)), te.log_prob(value), RTOL, ATOL)


def test_icdf_inverts_cdf():
    """Normal.icdf runs on a Newton-refined erfinv (glia has none): check it inverts cdf in
    the tails too and matches torch's erfinv-based icdf."""
    loc, scale = torch.tensor([0.5]), torch.tensor([2.0])
    q = np.array([1e-12, 1e-6, 0.01, 0.5, 0.99, 1 - 1e-6, 1 - 1e-12])
    g = GD.Normal(glia.tensor(loc.double().numpy()), glia.tensor(scale.double().numpy()))
    t = TD.Normal(loc.double(), scale.double())
    x = g.icdf(glia.tensor(q))
    assert_close(x, t.icdf(torch.tensor(q)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g.cdf(x).numpy(), q, rtol=1e-9, atol=1e-16)
    assert g.icdf(glia.tensor([0.0, 1.0], dtype=glia.float64)).tolist() == [-math.inf, math.inf]


def test_float32_parameters():
    """float32 parameters give float32 results close to torch's."""
    loc, scale = RNG.standard_normal(3).astype(np.float32), _pos(3).astype(np.float32)
    g = GD.Normal(glia.tensor(loc), glia.tensor(scale))
    t = TD.Normal(torch.tensor(loc), torch.tensor(scale))
    v = t.sample((4,))
    assert_close(g.log_prob(to_glia(v)), t.log_prob(v), rtol=1e-5, atol=1e-6)
    assert g.sample((2,)).dtype == glia.float32
    c = GD.Categorical(logits=glia.tensor(loc))
    assert c.sample((2,)).dtype == glia.int64
    assert_close(c.entropy(), TD.Categorical(logits=torch.tensor(loc)).entropy(), 1e-5, 1e-6)


def test_numbers_make_float32_scalars():
    g, t = GD.Normal(0.0, 1.0), TD.Normal(0.0, 1.0)
    assert g.batch_shape == () and g.loc.dtype == glia.float32
    assert_close(g.log_prob(glia.tensor(0.5)), t.log_prob(torch.tensor(0.5)))
    assert_close(GD.Bernoulli(0.3).entropy(), TD.Bernoulli(0.3).entropy())


def test_lazy_probs_logits():
    """probs and logits follow from each other (only when asked), as torch."""
    logits = RNG.standard_normal((2, 3))
    g, t = GD.Categorical(logits=glia.tensor(logits)), TD.Categorical(logits=torch.tensor(logits))
    assert "probs" not in g.__dict__
    assert_close(g.probs, t.probs, RTOL, ATOL)
    assert_close(g.logits, t.logits, RTOL, ATOL)
    p = np.array([0.0, 0.25, 1.0])
    gb, tb = GD.Bernoulli(probs=glia.tensor(p)), TD.Bernoulli(probs=torch.tensor(p))
    assert_close(gb.logits, tb.logits, RTOL, ATOL)  # clamped, so finite at 0 and 1
    v = np.array([0.0, 1.0, 1.0])
    assert_close(gb.log_prob(glia.tensor(v)), tb.log_prob(torch.tensor(v)), RTOL, ATOL)


def test_categorical_zero_probability():
    probs = np.array([[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]])
    g, t = GD.Categorical(probs=glia.tensor(probs)), TD.Categorical(probs=torch.tensor(probs))
    assert_close(g.entropy(), t.entropy(), RTOL, ATOL)
    s = g.sample((2000,)).numpy()
    assert not np.any(s[:, 0] == 1) and np.all(s[:, 1] == 1)


def test_perplexity_and_repr():
    g = GD.Normal(glia.tensor([0.0, 1.0]), glia.tensor([1.0, 2.0]))
    t = TD.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
    assert_close(g.perplexity(), t.perplexity())
    assert repr(g) == "Normal(loc: (2,), scale: (2,))"
    assert "Independent(Normal" in repr(GD.Independent(g, 1))


def test_tanh_transform_cache():
    """With cache_size=1, log_prob of a fresh sample inverts through the cache: finite even
    where tanh rounds to +-1 (the SAC policy pattern)."""
    loc = glia.tensor([30.0, 0.0], dtype=glia.float64, requires_grad=True)
    scale = glia.tensor([1.0, 1.0], dtype=glia.float64)
    d = GD.TransformedDistribution(GD.Normal(loc, scale),
                                   [GD.transforms.TanhTransform(cache_size=1)])
    y = d.rsample()
    lp = d.log_prob(y)
    assert y.detach().numpy()[0] == 1.0 and np.all(np.isfinite(lp.detach().numpy()))
    lp.sum().backward()
    assert np.all(np.isfinite(loc.grad.numpy()))
