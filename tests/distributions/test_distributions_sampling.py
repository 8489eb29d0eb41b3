"""Sampling: moments of 100k draws within a few standard errors of the analytic ones,
rsample gradients of a Monte-Carlo mean against the analytic gradient (within a few
standard errors of the per-draw gradients), and glia.manual_seed reproducing draws."""
import numpy as np
import pytest

import glia
import glia.distributions as GD

N = 100_000
K = 5.0  # standard errors allowed


def t64(a, grad=False):
    return glia.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def assert_mean(samples, mean, var, axis=0):
    """The sample mean of `samples` along axis lies within K standard errors of `mean`."""
    se = np.sqrt(np.asarray(var) / samples.shape[axis])
    err = np.abs(samples.mean(axis) - mean)
    assert np.all(err < K * se + 1e-12), (samples.mean(axis), mean, se)


def assert_var(samples, var, mu4):
    """The sample variance lies within K standard errors (from the 4th central moment)."""
    se = np.sqrt((np.asarray(mu4) - np.asarray(var) ** 2) / samples.shape[0])
    assert np.all(np.abs(samples.var(0) - var) < K * se), (samples.var(0), var, se)


@pytest.mark.parametrize("cls", [GD.Normal, GD.Laplace])
def test_location_scale_moments(cls):
    loc, scale = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    x = cls(t64(loc), t64(scale)).sample((N,)).numpy()
    var = scale ** 2 * (1 if cls is GD.Normal else 2)
    mu4 = var ** 2 * (3 if cls is GD.Normal else 6)
    assert_mean(x, loc, var)
    assert_var(x, var, mu4)


def test_exponential_uniform_lognormal_moments():
    rate = np.array([0.5, 3.0])
    x = GD.Exponential(t64(rate)).sample((N,)).numpy()
    assert x.min() >= 0
    assert_mean(x, 1 / rate, 1 / rate ** 2)
    assert_var(x, 1 / rate ** 2, 9 / rate ** 4)
    low, high = np.array([-1.0, 2.0]), np.array([1.0, 2.5])
    x = GD.Uniform(t64(low), t64(high)).sample((N,)).numpy()
    assert np.all((x >= low) & (x < high))
    var = (high - low) ** 2 / 12
    assert_mean(x, (low + high) / 2, var)
    assert_var(x, var, (high - low) ** 4 / 80)
    d = GD.LogNormal(t64([0.1]), t64([0.5]))
    assert_mean(d.sample((N,)).numpy(), d.mean.numpy(), d.variance.numpy())


def test_discrete_frequencies():
    p = np.array([0.1, 0.5, 0.95])
    x = GD.Bernoulli(t64(p)).sample((N,)).numpy()
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert_mean(x, p, p * (1 - p))
    probs = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.0, 0.1, 0.2]])
    for d in (GD.Categorical(t64(probs)), GD.Categorical(logits=glia.log(t64(probs)))):
        x = d.sample((N,)).numpy()
        assert x.shape == (N, 2) and x.dtype == np.int64
        freq = (x[..., None] == np.arange(4)).astype(float)
        assert_mean(freq, probs, probs * (1 - probs))
    x = GD.OneHotCategorical(t64(probs)).sample((N,)).numpy()
    assert np.all(x.sum(-1) == 1)
    assert_mean(x, probs, probs * (1 - probs))


def test_relaxed_draws():
    """P(RelaxedBernoulli > 1/2) = probs and the argmax of a RelaxedOneHotCategorical draw
    is Categorical(probs), whatever the temperature."""
    p = np.array([0.2, 0.7])
    x = GD.RelaxedBernoulli(t64(0.3), t64(p)).sample((N,)).numpy()
    assert np.all((x > 0) & (x < 1))
    assert_mean((x > 0.5).astype(float), p, p * (1 - p))
    probs = np.array([0.2, 0.3, 0.5])
    x = GD.RelaxedOneHotCategorical(t64(2.0), t64(probs)).sample((N,)).numpy()
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    freq = (x.argmax(-1)[:, None] == np.arange(3)).astype(float)
    assert_mean(freq, probs, probs * (1 - probs))


def test_mvn_moments():
    loc = np.array([1.0, -2.0, 0.5])
    a = np.array([[2.0, 0.0, 0.0], [0.5, 1.0, 0.0], [-1.0, 0.3, 0.7]])
    cov = a @ a.T
    for d in (GD.MultivariateNormal(t64(loc), scale_tril=t64(a)),
              GD.MultivariateNormal(t64(loc), covariance_matrix=t64(cov)),
              GD.MultivariateNormal(t64(loc), precision_matrix=t64(np.linalg.inv(cov)))):
        x = d.sample((N,)).numpy()
        assert_mean(x, loc, np.diag(cov))
        np.testing.assert_allclose(np.cov(x.T), cov, atol=0.05 * np.abs(cov).max())


def _mc_grad(d, f, params):
    """Gradients of the mean of f over N rsample draws, and the draws."""
    x = d.rsample((N,))
    f(x).mean().backward()
    return [p.grad.numpy() for p in params], x.detach().numpy()


def assert_grad(mc, exact, per_draw):
    se = per_draw.std(0) / np.sqrt(N)
    assert np.all(np.abs(mc - exact) < K * se + 1e-12), (mc, exact, se)


@pytest.mark.parametrize("cls", [GD.Normal, GD.Laplace])
def test_rsample_grad_location_scale(cls):
    """d/d(loc, scale) E[x^2] = (2 loc, 2 c scale) with Var = c scale^2."""
    loc, scale = t64([0.5, -1.0], True), t64([1.0, 2.0], True)
    c = 1 if cls is GD.Normal else 2
    (g_loc, g_scale), x = _mc_grad(cls(loc, scale), lambda x: (x ** 2).sum(-1), [loc, scale])
    lo, sc = loc.detach().numpy(), scale.detach().numpy()
    assert_grad(g_loc, 2 * lo, 2 * x)
    assert_grad(g_scale, 2 * c * sc, 2 * x * (x - lo) / sc)


def test_rsample_grad_exponential_uniform_lognormal():
    rate = t64([0.5, 2.0], True)
    (g,), x = _mc_grad(GD.Exponential(rate), lambda x: x.sum(-1), [rate])
    r = rate.detach().numpy()
    assert_grad(g, -1 / r ** 2, -x / r)
    low, high = t64([-1.0, 0.0], True), t64([1.0, 3.0], True)
    (g_low, g_high), x = _mc_grad(GD.Uniform(low, high), lambda x: x.sum(-1), [low, high])
    lo, hi = low.detach().numpy(), high.detach().numpy()
    assert_grad(g_low, [0.5, 0.5], (hi - x) / (hi - lo))
    assert_grad(g_high, [0.5, 0.5], (x - lo) / (hi - lo))
    loc, scale = t64([0.2], True), t64([0.4], True)
    (g_loc, g_scale), x = _mc_grad(GD.LogNormal(loc, scale), lambda x: x.sum(-1), [loc, scale])
    mean = np.exp(0.2 + 0.4 ** 2 / 2)
    assert_grad(g_loc, [mean], x)
    assert_grad(g_scale, [0.4 * mean], x * (np.log(x) - 0.2) / 0.4)


def test_rsample_grad_mvn():
    """d/d(loc, L) E|x|^2 = (2 loc, 2 L) for x = loc + L eps."""
    loc = t64([1.0, -0.5], True)
    L = t64([[1.5, 0.0], [0.4, 0.8]], True)
    (g_loc, g_L), x = _mc_grad(GD.MultivariateNormal(loc, scale_tril=L),
                               lambda x: (x ** 2).sum(-1), [loc, L])
    lo, Ln = loc.detach().numpy(), L.detach().numpy()
    eps = np.linalg.solve(Ln, (x - lo).T).T
    assert_grad(g_loc, 2 * lo, 2 * x)
    assert_grad(g_L, 2 * Ln, 2 * x[:, :, None] * eps[:, None, :])


def test_relaxed_rsample_has_gradient():
    logits = t64([0.3, -0.2, 0.1], True)
    x = GD.RelaxedOneHotCategorical(t64(0.5), logits=logits).rsample((4,))
    (x[..., 0]).sum().backward()
    g = logits.grad.numpy()
    assert np.all(np.isfinite(g)) and np.any(g != 0)


@pytest.mark.parametrize("make", [
    lambda: GD.Normal(t64([0.0, 1.0]), t64([1.0, 2.0])),
    lambda: GD.Laplace(t64([0.0]), t64([1.0])),
    lambda: GD.Exponential(t64([2.0])),
    lambda: GD.Uniform(t64([0.0]), t64([2.0])),
    lambda: GD.Bernoulli(t64([0.3, 0.6])),
    lambda: GD.Categorical(t64([0.2, 0.3, 0.5])),
    lambda: GD.MultivariateNormal(t64([0.0, 1.0]), t64([[2.0, 0.5], [0.5, 1.0]])),
    lambda: GD.RelaxedBernoulli(t64(0.5), t64([0.3])),
], ids=["normal", "laplace", "exponential", "uniform", "bernoulli", "categorical", "mvn",
        "relaxed-bernoulli"])
def test_manual_seed_reproduces(make):
    d = make()
    glia.manual_seed(7)
    a = d.sample((50,)).numpy()
    glia.manual_seed(7)
    b = d.sample((50,)).numpy()
    c = d.sample((50,)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)
