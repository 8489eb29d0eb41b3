"""nn.init: each initialiser's sample statistics against its formula (bounds, mean, std),
orthogonality, truncation, gains and fans vs torch.nn.init, reproducibility under
glia.manual_seed, in-place use on Parameters, and errors."""
import math

import numpy as np
import pytest
import torch

import glia
from glia import nn
from glia.nn import init
from helpers import check_raises

SHAPE = (256, 512)  # 131072 samples: the std of a sample std is ~0.2%


def values(t):
    return t.detach().numpy().astype(np.float64)


@pytest.mark.parametrize("name,param", [
    ("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
    ("leaky_relu", math.sqrt(5)), ("selu", None),
])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-12)


@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5, 5), (6, 2, 7), (1, 1)])
def test_fan_in_and_fan_out_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(glia.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_uniform_and_normal_statistics():
    u = values(init.uniform_(glia.empty(*SHAPE), -2.0, 3.0))
    assert u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 0.02 and abs(u.std() - 5 / math.sqrt(12)) < 0.01
    n = values(init.normal_(glia.empty(*SHAPE), mean=1.5, std=0.3))
    assert abs(n.mean() - 1.5) < 0.005 and abs(n.std() - 0.3) < 0.003


def test_constant_zeros_ones_eye():
    t = glia.empty(3, 4)
    np.testing.assert_array_equal(values(init.constant_(t, 2.5)), np.full((3, 4), 2.5))
    np.testing.assert_array_equal(values(init.zeros_(t)), np.zeros((3, 4)))
    np.testing.assert_array_equal(values(init.ones_(t)), np.ones((3, 4)))
    np.testing.assert_array_equal(values(init.eye_(t)), np.eye(3, 4))
    np.testing.assert_array_equal(values(init.eye_(glia.empty(4, 2))), np.eye(4, 2))


def test_xavier_uniform_bound_and_std():
    gain = 1.7
    fan_in, fan_out = SHAPE[1], SHAPE[0]
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    w = values(init.xavier_uniform_(glia.empty(*SHAPE), gain=gain))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound


def test_xavier_normal_std():
    w = values(init.xavier_normal_(glia.empty(64, 32, 3, 3), gain=2.0))
    std = 2.0 * math.sqrt(2 / (32 * 9 + 64 * 9))
    # 18432 samples: 3% is ~6 standard errors of the sample std, 4% ~5 of the mean
    assert abs(w.std() - std) < 0.03 * std and abs(w.mean()) < 0.04 * std


@pytest.mark.parametrize("a,mode,nonlinearity", [
    (0.0, "fan_in", "leaky_relu"), (math.sqrt(5), "fan_in", "leaky_relu"),
    (0.0, "fan_out", "relu"), (0.0, "fan_in", "tanh"), (0.1, "fan_out", "leaky_relu"),
])
def test_kaiming_uniform_and_normal_std(a, mode, nonlinearity):
    fan = SHAPE[1] if mode == "fan_in" else SHAPE[0]
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    u = values(init.kaiming_uniform_(glia.empty(*SHAPE), a, mode, nonlinearity))
    bound = math.sqrt(3) * std
    assert np.abs(u).max() <= bound * (1 + 1e-6) and np.abs(u).max() > 0.999 * bound
    assert abs(u.std() - std) < 0.01 * std
    n = values(init.kaiming_normal_(glia.empty(*SHAPE), a, mode, nonlinearity))
    assert abs(n.std() - std) < 0.01 * std and abs(n.mean()) < 0.01 * std


def test_kaiming_on_conv_weight_uses_receptive_field():
    w = values(init.kaiming_normal_(glia.empty(32, 16, 5, 5), nonlinearity="relu"))
    std = math.sqrt(2) / math.sqrt(16 * 25)
    assert abs(w.std() - std) < 0.03 * std


@pytest.mark.parametrize("shape", [(20, 20), (10, 30), (30, 10), (6, 3, 2, 2)])
def test_orthogonal(shape):
    gain = 1.5
    w = values(init.orthogonal_(glia.empty(*shape), gain=gain)).reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(rows, cols)), atol=1e-5)


def _truncnorm_moments(mean, std, a, b):
    """Mean and standard deviation of N(mean, std^2) truncated to [a, b]."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2
    z = cdf(beta) - cdf(alpha)
    m = (pdf(alpha) - pdf(beta)) / z
    var = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - m * m
    return mean + std * m, std * math.sqrt(var)


@pytest.mark.parametrize("mean,std,a,b", [
    (0.0, 1.0, -2.0, 2.0), (1.0, 2.0, 0.0, 3.0), (0.0, 1.0, 2.5, 4.0), (0.0, 0.02, -0.04, 0.04),
])
def test_trunc_normal(mean, std, a, b):
    w = values(init.trunc_normal_(glia.empty(*SHAPE), mean, std, a, b))
    assert w.min() >= a and w.max() <= b
    want_mean, want_std = _truncnorm_moments(mean, std, a, b)
    assert abs(w.mean() - want_mean) < 0.01 * want_std
    assert abs(w.std() - want_std) < 0.01 * want_std
    # the samples fill the whole interval, not just its middle
    assert w.min() < a + 0.01 * (b - a) and w.max() > b - 0.01 * (b - a)


def test_trunc_normal_default_matches_torch_distribution():
    g = np.sort(values(init.trunc_normal_(glia.empty(*SHAPE))).ravel())
    torch.manual_seed(0)
    t = np.sort(torch.nn.init.trunc_normal_(torch.empty(*SHAPE)).numpy().ravel())
    # same quantiles to within sampling noise
    q = np.linspace(0.01, 0.99, 25)
    np.testing.assert_allclose(np.quantile(g, q), np.quantile(t, q), atol=0.02)


def test_reproducible_under_manual_seed_and_float64():
    fns = [init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
           init.orthogonal_, init.trunc_normal_]
    for fn in fns:
        glia.manual_seed(3)
        first = values(fn(glia.empty(5, 4, dtype=glia.float64)))
        glia.manual_seed(3)
        second = values(fn(glia.empty(5, 4, dtype=glia.float64)))
        np.testing.assert_array_equal(first, second)
        assert np.abs(first).sum() > 0


def test_in_place_on_parameter_keeps_leaf():
    p = nn.Parameter(glia.zeros(8, 4))
    out = init.kaiming_uniform_(p)
    assert out is p and p.requires_grad and p.is_leaf and p.grad_fn is None
    assert np.abs(values(p)).max() > 0
    (p * 2).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), np.full((8, 4), 2.0))


def test_aliases():
    assert init.glorot_uniform_ is init.xavier_uniform_
    assert init.glorot_normal_ is init.xavier_normal_
    assert init.he_uniform_ is init.kaiming_uniform_
    assert init.he_normal_ is init.kaiming_normal_


def test_empty_tensor_is_left_alone():
    t = glia.empty(0, 3)
    assert init.kaiming_uniform_(t).shape == (0, 3)
    assert init.orthogonal_(t).shape == (0, 3)


def test_errors():
    one_d = glia.empty(5)
    for fn in (init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
               init.kaiming_normal_):
        check_raises(lambda fn=fn: fn(one_d), ValueError, "fewer than 2 dimensions", "(5,)")
    check_raises(lambda: init.orthogonal_(one_d), ValueError, "orthogonal_", "(5,)")
    check_raises(lambda: init.eye_(glia.empty(2, 2, 2)), ValueError, "eye_", "(2, 2, 2)")
    check_raises(lambda: init.kaiming_uniform_(glia.empty(2, 2), mode="fan"), ValueError, "fan")
    check_raises(lambda: init.calculate_gain("swish"), ValueError, "swish")
    check_raises(lambda: init.trunc_normal_(glia.empty(2), a=1.0, b=0.0), ValueError, "a < b")
