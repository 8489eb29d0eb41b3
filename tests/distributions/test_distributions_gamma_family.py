"""The families that need lgamma/digamma, beyond the torch-comparison tables of the other
files: their samplers (moments and frequencies of 100k draws within a few standard errors),
rsample gradients (Monte-Carlo against analytic, and the implicit Gamma gradient against
torch's), gammainc, glia.manual_seed reproducibility, the edge parameters of the samplers,
and what glia does differently from torch (Kumaraswamy.mode, Multinomial.entropy, sampling a
MixtureSameFamily whose mixture has fewer batch dims than its components)."""
import itertools
import math

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats
import torch
import torch.distributions as TD

import glia
import glia.distributions as GD
from glia.distributions import _random
from helpers import assert_close, check_raises

N = 100_000
K = 5.0  # standard errors allowed


def t64(a, grad=False):
    return glia.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def assert_mean(samples, mean, var):
    """The sample mean lies within K standard errors of `mean`."""
    se = np.sqrt(np.asarray(var) / samples.shape[0])
    err = np.abs(samples.mean(0) - mean)
    assert np.all(err < K * se + 1e-12), (samples.mean(0), mean, se)


def assert_moments(samples, mean, var):
    """Mean within K standard errors, and variance within K standard errors estimated from
    the draws' own fourth central moment."""
    assert_mean(samples, mean, var)
    c = samples - samples.mean(0)
    mu4 = (c ** 4).mean(0)
    se = np.sqrt(np.maximum(mu4 - np.asarray(var) ** 2, 0) / samples.shape[0])
    assert np.all(np.abs(samples.var(0) - var) < K * se + 1e-12), (samples.var(0), var, se)


def assert_frequencies(samples, pmf_values, support):
    """The frequency of each value in `support` (per batch entry) within K binomial standard
    errors of its probability; values expected fewer than 10 times are pooled into one bin
    (with everything outside `support`), where the normal approximation still holds."""
    freqs = np.array([(samples == k).mean(0) for k in support])
    pmf = np.asarray(pmf_values)
    common = pmf * samples.shape[0] >= 10
    freq_rest = 1 - np.where(common, freqs, 0).sum(0)
    p_rest = 1 - np.where(common, pmf, 0).sum(0)
    freqs = np.concatenate([np.where(common, freqs, 0), freq_rest[None]])
    pmf = np.concatenate([np.where(common, pmf, 0), p_rest[None]])
    se = np.sqrt(pmf * (1 - pmf) / samples.shape[0])
    assert np.all(np.abs(freqs - pmf) < K * se + 1e-12), (freqs, pmf, se)


# Moments of draws


MOMENT_FAMILIES = [
    ("gamma", lambda: GD.Gamma(t64([0.3, 1.0, 4.5]), t64([2.0, 0.5, 1.0]))),
    ("gamma-tiny-and-huge", lambda: GD.Gamma(t64([0.05, 400.0]), t64([1.0, 3.0]))),
    ("chi2", lambda: GD.Chi2(t64([1.0, 7.0]))),
    ("beta", lambda: GD.Beta(t64([0.5, 2.0, 5.0]), t64([0.5, 3.0, 1.2]))),
    ("dirichlet", lambda: GD.Dirichlet(t64([[0.3, 1.0, 2.5], [4.0, 4.0, 0.8]]))),
    ("poisson", lambda: GD.Poisson(t64([0.2, 3.0, 9.9, 10.0, 45.0, 1e4]))),
    ("binomial", lambda: GD.Binomial(t64([5.0, 40.0, 100.0, 1000.0]),
                                     t64([0.3, 0.9, 0.15, 0.55]))),
    ("multinomial", lambda: GD.Multinomial(12, t64([[0.2, 0.5, 0.3], [0.0, 0.9, 0.1]]))),
    ("geometric", lambda: GD.Geometric(t64([0.1, 0.5, 0.95]))),
    ("negbinomial", lambda: GD.NegativeBinomial(t64([0.7, 5.0, 30.0]), t64([0.3, 0.6, 0.2]))),
    ("studentt", lambda: GD.StudentT(t64([9.0, 30.0]), t64([1.0, -2.0]), t64([2.0, 0.5]))),
    ("gumbel", lambda: GD.Gumbel(t64([0.5, -1.0]), t64([1.0, 3.0]))),
    ("halfnormal", lambda: GD.HalfNormal(t64([0.5, 2.0]))),
    ("weibull", lambda: GD.Weibull(t64([1.0, 2.0]), t64([0.8, 3.0]))),
    ("kumaraswamy", lambda: GD.Kumaraswamy(t64([0.5, 2.0]), t64([3.0, 0.7]))),
    ("lowrank-mvn", lambda: GD.LowRankMultivariateNormal(
        t64([1.0, -1.0, 0.0]), t64([[1.0, 0.0], [0.5, 1.0], [-1.0, 2.0]]), t64([0.5, 1.0, 2.0]))),
    ("mixture-normal", lambda: GD.MixtureSameFamily(
        GD.Categorical(t64([[0.2, 0.8], [0.5, 0.5]])),
        GD.Normal(t64([[-2.0, 3.0], [0.0, 1.0]]), t64([[1.0, 0.5], [2.0, 0.1]])))),
    ("mixture-broadcast", lambda: GD.MixtureSameFamily(
        GD.Categorical(t64([0.3, 0.7])),
        GD.Independent(GD.Gamma(t64([[[2.0], [5.0]], [[1.0], [3.0]]]), t64([1.0, 2.0])), 1))),
]


@pytest.mark.parametrize("make", [m[1] for m in MOMENT_FAMILIES],
                         ids=[m[0] for m in MOMENT_FAMILIES])
def test_sample_moments(make):
    glia.manual_seed(0)
    d = make()
    x = d.sample((N,))
    assert x.shape == (N,) + d.batch_shape + d.event_shape and x.dtype == glia.float64
    x = x.numpy()
    assert np.all(np.isfinite(x))
    assert d.support.check(glia.tensor(x)).all().item()
    assert_moments(x, d.mean.detach().numpy(), d.variance.detach().numpy())


def test_lowrank_and_dirichlet_covariance():
    glia.manual_seed(1)
    W, D = np.array([[1.0, 0.0], [0.5, 1.0], [-1.0, 2.0]]), np.array([0.5, 1.0, 2.0])
    x = GD.LowRankMultivariateNormal(t64(np.zeros(3)), t64(W), t64(D)).sample((N,)).numpy()
    cov = W @ W.T + np.diag(D)
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.05 * np.abs(cov).max())
    alpha = np.array([1.0, 2.0, 3.0])
    x = GD.Dirichlet(t64(alpha)).sample((N,)).numpy()
    a0 = alpha.sum()
    cov = (np.diag(alpha / a0) - np.outer(alpha, alpha) / a0 ** 2) / (a0 + 1)
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.05 * np.abs(cov).max())
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)


DISCRETE = [
    ("poisson", lambda: GD.Poisson(t64([0.7, 12.0])), 40),
    ("binomial", lambda: GD.Binomial(t64([9.0, 60.0]), t64([0.35, 0.7])), 60),
    ("geometric", lambda: GD.Geometric(t64([0.3, 0.6])), 30),
    ("negbinomial", lambda: GD.NegativeBinomial(t64([2.5, 0.5]), t64([0.4, 0.7])), 40),
]


@pytest.mark.parametrize("make,top", [d[1:] for d in DISCRETE], ids=[d[0] for d in DISCRETE])
def test_discrete_frequencies(make, top):
    """Each value's frequency against exp(log_prob) (the pmf checked against torch)."""
    glia.manual_seed(2)
    d = make()
    x = d.sample((N,)).numpy()
    assert np.all(x == np.round(x)) and x.min() >= 0
    support = np.arange(top, dtype=np.float64)
    d._validate_args = False  # values past a Binomial's total_count: probability 0
    pmf = d.log_prob(t64(support).reshape(-1, 1)).exp().numpy()
    assert_frequencies(x, pmf, support)


def test_multinomial_frequencies():
    glia.manual_seed(3)
    probs = np.array([0.2, 0.5, 0.3])
    d = GD.Multinomial(3, t64(probs))
    x = d.sample((N,)).numpy()
    assert np.all(x.sum(-1) == 3)
    vectors = [v for v in itertools.product(range(4), repeat=3) if sum(v) == 3]
    pmf = d.log_prob(t64(vectors)).exp().numpy()
    np.testing.assert_allclose(pmf.sum(), 1.0, rtol=1e-12)
    hits = np.array([(x == np.array(v)).all(-1) for v in vectors]).T.astype(float)
    assert_mean(hits, pmf, pmf * (1 - pmf))


def test_heavy_tailed_quantiles():
    """Cauchy, HalfCauchy (no moments) and StudentT with df <= 2: the fraction of draws below
    a few quantiles (icdf checked against torch) matches their levels."""
    glia.manual_seed(4)
    q = np.array([0.1, 0.25, 0.5, 0.9])
    for d in (GD.Cauchy(t64([1.0]), t64([2.0])), GD.HalfCauchy(t64([1.5]))):
        x = d.sample((N,)).numpy()
        levels = d.icdf(t64(q).reshape(-1, 1)).numpy()
        below = (x[:, None, :] <= levels[None]).astype(float)
        assert_mean(below, q[:, None], (q * (1 - q))[:, None])
    x = GD.StudentT(t64([1.5])).sample((N,)).numpy()
    below = (x <= 0).astype(float)
    assert_mean(below, 0.5, 0.25)
    assert_mean((x <= scipy.stats.t.ppf(0.9, 1.5)).astype(float), 0.9, 0.09)


def test_gamma_tiny_concentration():
    """alpha << 1: E[log X] = digamma(alpha) (Var = trigamma(alpha)) down to the float64
    floor, and draws below it are clamped at tiny (as torch) with probability
    P(alpha, tiny)."""
    glia.manual_seed(5)
    alpha = np.array([0.01, 0.03])
    x = GD.Gamma(t64(alpha), t64([1.0, 1.0])).sample((N,)).numpy()
    assert np.all(x > 0)
    assert_mean(np.log(x), sp.digamma(alpha), sp.polygamma(1, alpha))
    tiny = np.finfo(np.float64).tiny
    x = GD.Gamma(t64([0.002]), t64([1.0])).sample((N,)).numpy()
    p = sp.gammainc(0.002, tiny)  # about 0.24
    assert x.min() == tiny
    assert_mean((x == tiny).astype(float), p, p * (1 - p))


def test_sampler_edge_parameters():
    assert GD.Poisson(t64([0.0, 0.0])).sample((5,)).numpy().sum() == 0
    b = GD.Binomial(t64([0.0, 4.0, 4.0]), t64([0.5, 0.0, 1.0])).sample((5,)).numpy()
    assert np.all(b == [0.0, 0.0, 4.0])
    g = GD.Gamma(t64([0.0]), t64([1.0]), validate_args=False).sample((3,)).numpy()
    assert np.all(g == np.finfo(np.float64).tiny)  # torch: 0 clamped to tiny
    m = GD.Multinomial(5, t64([0.0, 1.0, 0.0])).sample((4,)).numpy()
    assert np.all(m == [0.0, 5.0, 0.0])
    # float32 parameters draw float32 values
    for d in (GD.Gamma(glia.tensor([2.0]), glia.tensor([1.0])), GD.Poisson(glia.tensor([3.0])),
              GD.Binomial(glia.tensor([5.0]), glia.tensor([0.3])),
              GD.Beta(glia.tensor([2.0]), glia.tensor([1.0]))):
        assert d.sample((3,)).dtype == glia.float32


# rsample gradients


def _per_draw(make, params):
    """rsample of N draws, each from its own copy of the parameters (shape (N,) + shape):
    the gradient of the sum is then each draw's own gradient."""
    leaves = [t64(np.broadcast_to(p, (N,) + np.shape(p)), True) for p in params]
    return make(*leaves), leaves


def _check_mc_grad(make, params, f, expectation):
    """d/dparams E[f(X)]: the mean of per-draw pathwise gradients against the autograd
    gradient of the analytic expectation(*params), within K standard errors."""
    d, leaves = _per_draw(make, params)
    f(d.rsample()).sum().backward()
    exact_leaves = [t64(p, True) for p in params]
    expectation(*exact_leaves).sum().backward()
    for leaf, exact in zip(leaves, exact_leaves):
        g = leaf.grad.numpy()
        assert np.all(np.isfinite(g))
        se = g.std(0) / np.sqrt(N)
        err = np.abs(g.mean(0) - exact.grad.numpy())
        assert np.all(err < K * se + 1e-9), (g.mean(0), exact.grad.numpy(), se)


RSAMPLE_GRADS = [
    ("gamma-mean", lambda a, b: GD.Gamma(a, b), [[0.4, 2.5, 12.0], [1.5, 0.5, 2.0]],
     lambda x: x, lambda a, b: a / b),
    ("gamma-log", lambda a, b: GD.Gamma(a, b), [[0.4, 2.5, 12.0], [1.5, 0.5, 2.0]],
     lambda x: x.log(), lambda a, b: glia.digamma(a) - b.log()),
    ("chi2-sqrt", lambda k: GD.Chi2(k), [[1.0, 6.0]], lambda x: x.sqrt(),
     lambda k: math.sqrt(2) * (glia.lgamma((k + 1) / 2) - glia.lgamma(k / 2)).exp()),
    ("beta-mean", lambda a, b: GD.Beta(a, b), [[0.5, 2.0, 9.0], [0.7, 3.0, 2.0]],
     lambda x: x, lambda a, b: a / (a + b)),
    ("beta-log", lambda a, b: GD.Beta(a, b), [[0.5, 2.0, 9.0], [0.7, 3.0, 2.0]],
     lambda x: x.log(), lambda a, b: glia.digamma(a) - glia.digamma(a + b)),
    ("dirichlet-mean", lambda a: GD.Dirichlet(a), [[0.6, 2.0, 4.0]],
     lambda x: x * glia.tensor([1.0, -2.0, 0.5], dtype=glia.float64),
     lambda a: a / a.sum(-1, keepdim=True) * glia.tensor([1.0, -2.0, 0.5], dtype=glia.float64)),
    ("studentt-square", lambda df, loc, s: GD.StudentT(df, loc, s),
     [[6.0, 12.0], [0.5, -1.0], [1.5, 0.7]], lambda x: x * x,
     lambda df, loc, s: loc ** 2 + s ** 2 * df / (df - 2)),
    ("weibull-mean", lambda s, k: GD.Weibull(s, k), [[1.5], [0.8]], lambda x: x,
     lambda s, k: s * glia.lgamma(1 + 1 / k).exp()),
    ("kumaraswamy-mean", lambda a, b: GD.Kumaraswamy(a, b), [[0.7, 3.0], [2.0, 0.6]],
     lambda x: x, lambda a, b: b * (glia.lgamma(1 + 1 / a) + glia.lgamma(b)
                                    - glia.lgamma(1 + 1 / a + b)).exp()),
    ("gumbel-mean", lambda m, s: GD.Gumbel(m, s), [[0.5], [2.0]], lambda x: x,
     lambda m, s: m + s * 0.5772156649015329),
    ("halfnormal-square", lambda s: GD.HalfNormal(s), [[1.5]], lambda x: x * x,
     lambda s: s * s),
    ("cauchy-atan", lambda m, s: GD.Cauchy(m, s), [[0.5], [2.0]], lambda x: glia.atan(x),
     # E[atan(X)] for X ~ Cauchy(m, s) is atan(m / (1 + s)) (the Poisson kernel)
     lambda m, s: glia.atan(m / (1 + s))),
]


@pytest.mark.parametrize("make,params,f,expectation", [r[1:] for r in RSAMPLE_GRADS],
                         ids=[r[0] for r in RSAMPLE_GRADS])
def test_rsample_gradients(make, params, f, expectation):
    glia.manual_seed(6)
    _check_mc_grad(make, [np.array(p, dtype=np.float64) for p in params], f, expectation)


def test_standard_gamma_grad_matches_torch():
    """The implicit gradient dx/dalpha against torch._standard_gamma_grad across its three
    regimes (x < 0.8; alpha > 8; the rational approximation)."""
    alpha = np.exp(np.linspace(-5, 6, 60))
    x = np.concatenate([np.exp(np.linspace(-8, 0, 30)), np.linspace(0.81, 900.0, 30)])
    a, xx = np.meshgrid(alpha, x)
    a = np.concatenate([a.ravel(), [50.0, 50.0, 50.0]])
    xx = np.concatenate([xx.ravel(), [45.0, 50.0, 55.0]])  # near the mean: the saddle's limit
    g = _random.standard_gamma_grad(t64(a), t64(xx)).numpy()
    t = torch._standard_gamma_grad(torch.tensor(a), torch.tensor(xx)).numpy()
    # torch's series evaluates x^alpha, which underflows (its result then 0, or inexact) for
    # small x and large alpha, draws of probability < 1e-300; glia's cancels it out
    normal_range = (xx >= 0.8) | (a * np.log(xx) > -600)
    np.testing.assert_allclose(g[normal_range], t[normal_range], rtol=1e-10, atol=1e-300)
    assert np.all(np.isfinite(g)) and np.all(g > 0)


def test_gamma_rsample_gradient_is_the_implicit_one():
    """Per draw, dX/dalpha = standard_gamma_grad(alpha, rate X) / rate and dX/drate = -X/rate
    (torch's formulas), and the clamp at tiny passes the gradient through."""
    glia.manual_seed(7)
    alpha, rate = t64([0.3, 3.0], True), t64([2.0, 0.5], True)
    x = GD.Gamma(alpha, rate).rsample()
    x.sum().backward()
    xs, r = x.detach().numpy(), np.array([2.0, 0.5])
    expect = torch._standard_gamma_grad(torch.tensor([0.3, 3.0], dtype=torch.float64),
                                        torch.tensor(xs * r)).numpy() / r
    np.testing.assert_allclose(alpha.grad.numpy(), expect, rtol=1e-10)
    np.testing.assert_allclose(rate.grad.numpy(), -xs / r, rtol=1e-12)


# gammainc and the Gamma cdf


def test_gammainc():
    rng = np.random.default_rng(0)
    a = np.exp(rng.uniform(-4, 7, 500))
    x = a * np.exp(rng.uniform(-2, 2, 500))
    x[:5] = [0.0, np.inf, 1e-300, 1e-5, 3000.0]
    g = _random.gammainc(t64(a), t64(x)).numpy()
    np.testing.assert_allclose(g, sp.gammainc(a, x), rtol=1e-11, atol=1e-300)
    # torch's own is good to ~1e-9 relative only (its large-a asymptotics)
    np.testing.assert_allclose(g, torch.special.gammainc(torch.tensor(a), torch.tensor(x)),
                               rtol=1e-8, atol=1e-14)
    assert np.isnan(_random.gammainc(t64([-1.0, 1.0]), t64([1.0, -1.0])).numpy()).all()


def test_gamma_cdf_gradients():
    """d cdf / d(value, rate) as torch; d cdf / d concentration raises in both."""
    conc, value = np.array([0.5, 2.0, 30.0]), np.array([0.3, 2.5, 25.0])
    gr, gv = t64([1.5, 0.5, 1.0], True), t64(value, True)
    tr = torch.tensor([1.5, 0.5, 1.0], dtype=torch.float64, requires_grad=True)
    tv = torch.tensor(value, requires_grad=True)
    gc = GD.Gamma(t64(conc), gr).cdf(gv)
    tc = TD.Gamma(torch.tensor(conc), tr).cdf(tv)
    assert_close(gc, tc, rtol=1e-8, atol=1e-12)
    gc.sum().backward()
    tc.sum().backward()
    assert_close(gr.grad, tr.grad, rtol=1e-8, atol=1e-12)
    assert_close(gv.grad, tv.grad, rtol=1e-8, atol=1e-12)
    c = t64(conc, True)
    with pytest.raises(NotImplementedError, match="not implemented"):
        GD.Gamma(c, 1.0).cdf(t64(value)).sum().backward()


# reproducibility


@pytest.mark.parametrize("make", [
    lambda: GD.Gamma(t64([0.5, 3.0]), t64([1.0, 2.0])),
    lambda: GD.Beta(t64([0.5]), t64([2.0])),
    lambda: GD.Dirichlet(t64([1.0, 2.0, 0.3])),
    lambda: GD.Poisson(t64([2.0, 50.0])),
    lambda: GD.Binomial(t64([5.0, 200.0]), t64([0.3, 0.6])),
    lambda: GD.Multinomial(10, t64([0.2, 0.3, 0.5])),
    lambda: GD.Geometric(t64([0.3])),
    lambda: GD.NegativeBinomial(t64([2.0]), t64([0.4])),
    lambda: GD.StudentT(t64([3.0])),
    lambda: GD.Cauchy(t64([0.0]), t64([1.0])),
    lambda: GD.Gumbel(t64([0.0]), t64([1.0])),
    lambda: GD.MixtureSameFamily(GD.Categorical(t64([0.3, 0.7])),
                                 GD.Normal(t64([0.0, 5.0]), t64([1.0, 1.0]))),
], ids=["gamma", "beta", "dirichlet", "poisson", "binomial", "multinomial", "geometric",
        "negbinomial", "studentt", "cauchy", "gumbel", "mixture"])
def test_manual_seed_reproduces(make):
    d = make()
    glia.manual_seed(11)
    a = d.sample((50,)).numpy()
    glia.manual_seed(11)
    b = d.sample((50,)).numpy()
    c = d.sample((50,)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


# where glia differs from torch


def test_kumaraswamy_mode():
    """((a - 1) / (a b - 1))^(1 / a) for a, b >= 1 (not both 1), NaN otherwise; torch 2.13's
    is NaN throughout."""
    a = np.array([2.0, 1.0, 3.0, 0.5, 2.0, 1.0])
    b = np.array([3.0, 2.0, 1.0, 2.0, 0.5, 1.0])
    mode = GD.Kumaraswamy(t64(a), t64(b)).mode.numpy()
    valid = (a >= 1) & (b >= 1) & ((a > 1) | (b > 1))
    expect = np.where(valid, (a - 1) / np.where(valid, a * b - 1, 1.0), np.nan) ** (1 / a)
    np.testing.assert_allclose(mode[valid], expect[valid], rtol=1e-14)
    assert np.isnan(mode[~valid]).all()
    # the mode maximizes the density (log_prob is checked against torch)
    d = GD.Kumaraswamy(t64([2.0]), t64([3.0]))
    grid = t64(np.linspace(0.01, 0.99, 981)).reshape(-1, 1)
    best = grid.numpy()[d.log_prob(grid).numpy().argmax()]
    assert abs(best[0] - d.mode.numpy()[0]) < 1e-3
    assert np.isnan(TD.Kumaraswamy(torch.tensor([2.0]), torch.tensor([3.0])).mode.numpy()).all()


def test_multinomial_entropy_by_enumeration():
    """glia's Multinomial entropy is exact in float64: it matches -sum p log p over every
    count vector; torch's rounds lgamma(n + 1) to float32."""
    probs = np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])
    n = 6
    d = GD.Multinomial(n, t64(probs))
    vectors = t64([v for v in itertools.product(range(n + 1), repeat=3) if sum(v) == n])
    lp = d.log_prob(vectors.reshape(-1, 1, 3)).numpy()
    exact = -(np.exp(lp) * lp).sum(0)
    np.testing.assert_allclose(d.entropy().numpy(), exact, rtol=1e-12)
    t = TD.Multinomial(n, torch.tensor(probs)).entropy().numpy()
    np.testing.assert_allclose(d.entropy().numpy(), t, rtol=1e-6)  # float32-close only


def test_mixture_broadcast_sampling_and_log_prob():
    """A mixture whose Categorical has fewer batch dims than its components: glia draws one
    component per batch entry (torch 2.13's sample fails: its gather index lacks the dims);
    log_prob matches torch's."""
    logits = np.array([0.3, -0.2])
    loc = np.array([[[-3.0, 0.0], [3.0, 1.0]], [[0.0, 2.0], [10.0, -5.0]]])  # (2, K=2, 2)
    make = lambda d, lib: d.MixtureSameFamily(  # noqa: E731
        d.Categorical(logits=lib.tensor(logits)),
        d.Independent(d.Normal(lib.tensor(loc), lib.tensor(np.full(loc.shape, 0.5))), 1))
    g, t = make(GD, glia), make(TD, torch)
    with pytest.raises(RuntimeError):
        t.sample((3,))
    glia.manual_seed(8)
    x = g.sample((N,))
    assert x.shape == (N, 2, 2)
    assert_mean(x.numpy(), g.mean.numpy(), g.variance.numpy())
    assert_close(g.log_prob(x[:5]), t.log_prob(torch.tensor(x[:5].numpy())), 1e-9, 1e-10)


def test_mixture_log_prob_far_from_every_component():
    """logsumexp keeps log_prob (and its gradients) finite where every component density
    underflows, as a mixture density network's loss needs."""
    logits = t64([0.2, -0.4, 1.0], True)
    loc, scale = t64([-1.0, 0.0, 2.0], True), t64([0.5, 1.0, 0.3], True)
    tl, tm, ts = (torch.tensor(v.detach().numpy(), requires_grad=True)
                  for v in (logits, loc, scale))
    x = np.array([60.0, -45.0, 0.5])
    g = GD.MixtureSameFamily(GD.Categorical(logits=logits), GD.Normal(loc, scale))
    t = TD.MixtureSameFamily(TD.Categorical(logits=tl), TD.Normal(tm, ts))
    gl, tlp = g.log_prob(t64(x).reshape(-1, 1)), t.log_prob(torch.tensor(x).reshape(-1, 1))
    assert np.all(np.isfinite(gl.detach().numpy()))
    assert_close(gl, tlp, rtol=1e-12, atol=1e-10)
    gl.sum().backward()
    tlp.sum().backward()
    for a, b in ((logits, tl), (loc, tm), (scale, ts)):
        assert_close(a.grad, b.grad, rtol=1e-10, atol=1e-10)


# transforms added for these families


def test_inverse_and_power_transforms():
    T = GD.transforms
    exp = T.ExpTransform()
    inv = exp.inv
    assert inv.inv is exp and exp.inv is inv and inv == T.ExpTransform().inv
    y = t64([0.5, 2.0])
    assert_close(inv(y), torch.tensor([0.5, 2.0], dtype=torch.float64).log())
    x = inv(y)
    assert_close(inv.log_abs_det_jacobian(y, x), -x)
    p = T.PowerTransform(t64([2.0, 0.5]))
    tp = TD.transforms.PowerTransform(torch.tensor([2.0, 0.5], dtype=torch.float64))
    xs = t64([1.5, 3.0])
    tx = torch.tensor([1.5, 3.0], dtype=torch.float64)
    assert_close(p(xs), tp(tx))
    assert_close(p.inv(p(xs)), tx)
    assert_close(p.log_abs_det_jacobian(xs, p(xs)), tp.log_abs_det_jacobian(tx, tp(tx)))
    assert p == T.PowerTransform(t64([2.0, 0.5])) and p != T.PowerTransform(t64([2.0, 1.0]))
    assert T.AbsTransform()(t64([-1.0, 2.0])).tolist() == [1.0, 2.0]
    assert T.AbsTransform() == T.AbsTransform() and T.AbsTransform() != exp


def test_construction_errors():
    check_raises(lambda: GD.Dirichlet(t64(1.0)), ValueError, "at least one-dimensional")
    check_raises(lambda: GD.Multinomial(t64(3.0), t64([0.5, 0.5])), NotImplementedError,
                 "inhomogeneous total_count")
    check_raises(lambda: GD.Binomial(5), ValueError, "Either `probs` or `logits`")
    check_raises(lambda: GD.Geometric(), ValueError, "Either `probs` or `logits`")
    check_raises(lambda: GD.NegativeBinomial(2.0, t64([0.5]), t64([0.0])), ValueError,
                 "Either `probs` or `logits`")
    check_raises(lambda: GD.LowRankMultivariateNormal(t64([0.0, 0.0]), t64([1.0, 1.0]),
                                                      t64([1.0, 1.0])),
                 ValueError, "cov_factor must be at least two-dimensional")
    check_raises(lambda: GD.LowRankMultivariateNormal(t64([0.0, 0.0]), t64([[1.0, 1.0]]),
                                                      t64([1.0, 1.0])),
                 ValueError, "cov_factor must be a batch of matrices with shape 2 x m")
    check_raises(lambda: GD.LowRankMultivariateNormal(t64([0.0, 0.0]), t64([[1.0], [1.0]]),
                                                      t64([1.0])),
                 ValueError, "cov_diag must be a batch of vectors with shape (2,)")
    check_raises(lambda: GD.LowRankMultivariateNormal(glia.zeros(3, 2), glia.ones(4, 2, 1),
                                                      glia.ones(2)),
                 ValueError, "Incompatible batch shapes")
    comps = GD.Normal(t64([[0.0, 1.0, 2.0]] * 2), t64([[1.0, 1.0, 1.0]] * 2))
    check_raises(lambda: GD.MixtureSameFamily(GD.Bernoulli(t64([0.5])), comps), ValueError,
                 "needs to be an  instance of")
    check_raises(lambda: GD.MixtureSameFamily(GD.Categorical(t64([0.5, 0.5])), comps),
                 ValueError, "does not equal `component_distribution.batch_shape[-1]`")
    check_raises(lambda: GD.MixtureSameFamily(GD.Categorical(t64([[0.3] * 3] * 3)), comps),
                 ValueError, "is not compatible with")
    for enumerate_bad in (GD.Binomial(t64([2.0, 3.0]), t64([0.5, 0.5])),):
        with pytest.raises(NotImplementedError, match="Inhomogeneous total count"):
            enumerate_bad.enumerate_support()
