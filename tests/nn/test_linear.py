"""nn.Linear and nn.Bilinear vs torch.nn with the same weights: outputs, input and parameter
gradients, float64 gradchecks, default initialisation, repr and errors; and a PyTorch
state_dict loaded into a glia Sequential."""
import math

import numpy as np
import pytest
import torch

import glia
from glia import nn
from helpers import assert_close, check_raises, compare_module, gradcheck, load_from_torch, randn


def as_functional(module):
    """fn(*inputs, *params) that runs `module` with the given tensors as its parameters, so
    gradcheck can perturb the parameters too."""
    names = [n for n, _ in module.named_parameters()]

    def fn(*args):
        n_in = len(args) - len(names)
        for name, p in zip(names, args[n_in:]):
            module._parameters[name] = p
        return module(*args[:n_in])

    return fn, [p.detach().numpy() for _, p in module.named_parameters()]


# ---- Linear ----

@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (0, 4), (1, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    t = torch.nn.Linear(4, 3, bias=bias).double()
    g = nn.Linear(4, 3, bias=bias, dtype=glia.float64)
    load_from_torch(g, t)
    compare_module(g, t, randn(*shape))


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
@pytest.mark.parametrize("shape,n_in,n_out", [((2, 0), 0, 4), ((3, 2, 0), 0, 2), ((2, 5), 5, 0)])
def test_linear_with_zero_features_matches_torch(shape, n_in, n_out):
    # zero input features: the output is the bias; zero outputs: an empty last dim
    t = torch.nn.Linear(n_in, n_out).double()
    with torch.no_grad():
        t.bias.copy_(torch.arange(float(n_out)))
    g = nn.Linear(n_in, n_out, dtype=glia.float64)
    load_from_torch(g, t)
    compare_module(g, t, randn(*shape))


def test_linear_float32_and_noncontiguous_input():
    t = torch.nn.Linear(6, 5)
    g = nn.Linear(6, 5)
    load_from_torch(g, t)
    x = randn(6, 7, dtype=np.float32).T  # a transposed (non-contiguous) view
    assert_close(g(glia.from_numpy(x)), t(torch.from_numpy(x)), rtol=1e-5, atol=1e-6)
    compare_module(g, t, randn(3, 6, dtype=np.float32), rtol=1e-5, atol=1e-5)


def test_linear_gradcheck():
    fn, params = as_functional(nn.Linear(3, 2, dtype=glia.float64))
    gradcheck(fn, randn(4, 3), *params)


def test_linear_default_init():
    glia.manual_seed(1)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.shape == (300, 400) and b.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound
    # U(-b, b) has standard deviation b / sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert abs(w.mean()) < 0.01 * bound
    glia.manual_seed(1)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.detach().numpy(), w)


def test_linear_attributes_repr_and_dtype():
    m = nn.Linear(4, 3, bias=False, dtype=glia.float64)
    assert m.bias is None and m.weight.dtype == glia.float64
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert repr(m) == repr(torch.nn.Linear(4, 3, bias=False))
    assert repr(nn.Linear(7, 2)) == "Linear(in_features=7, out_features=2, bias=True)"
    assert (m.in_features, m.out_features) == (4, 3)


def test_linear_errors():
    m = nn.Linear(4, 3)
    check_raises(lambda: m(glia.randn(2, 5)), ValueError, "linear", "(2, 5)", "(3, 4)")
    check_raises(lambda: m(glia.randn(2, 4, dtype=glia.float64)), TypeError, "linear")
    check_raises(lambda: nn.Linear(-1, 3), ValueError, "Linear", "-1")


# ---- Bilinear ----

@pytest.mark.parametrize("lead", [(5,), (2, 3), (1,), (0,)])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(lead, bias):
    t = torch.nn.Bilinear(3, 4, 2, bias=bias).double()
    g = nn.Bilinear(3, 4, 2, bias=bias, dtype=glia.float64)
    load_from_torch(g, t)
    compare_module(g, t, randn(*lead, 3), randn(*lead, 4))


def test_bilinear_float32():
    t = torch.nn.Bilinear(5, 3, 4)
    g = nn.Bilinear(5, 3, 4)
    load_from_torch(g, t)
    compare_module(g, t, randn(6, 5, dtype=np.float32), randn(6, 3, dtype=np.float32),
                  rtol=1e-5, atol=1e-5)


def test_bilinear_gradcheck():
    fn, params = as_functional(nn.Bilinear(2, 3, 2, dtype=glia.float64))
    gradcheck(fn, randn(3, 2), randn(3, 3), *params)


def test_bilinear_default_init_and_repr():
    m = nn.Bilinear(25, 10, 40)
    bound = 1 / math.sqrt(25)  # PyTorch bounds both weight and bias by 1/sqrt(in1_features)
    w = m.weight.detach().numpy()
    assert w.shape == (40, 25, 10) and tuple(m.bias.shape) == (40,)
    assert bound * 0.99 < np.abs(w).max() <= bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.03 * bound
    assert repr(m) == repr(torch.nn.Bilinear(25, 10, 40))


def test_bilinear_errors():
    m = nn.Bilinear(3, 4, 2)
    check_raises(lambda: m(glia.randn(5, 3), glia.randn(4, 4)), ValueError, "Bilinear",
                 "(5, 3)", "(4, 4)")
    check_raises(lambda: m(glia.randn(5, 4), glia.randn(5, 4)), ValueError, "Bilinear")


# ---- a PyTorch model's weights in glia ----

def test_torch_state_dict_loads_into_sequential():
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Linear(16, 16, bias=False),
                            torch.nn.Linear(16, 3))
    g = nn.Sequential(nn.Linear(8, 16), nn.Linear(16, 16, bias=False), nn.Linear(16, 3))
    state = {k: glia.tensor(v.numpy()) for k, v in t.state_dict().items()}
    missing, unexpected = g.load_state_dict(state)
    assert missing == [] and unexpected == []
    assert list(g.state_dict()) == list(t.state_dict())
    x = randn(10, 8, dtype=np.float32)
    assert_close(g(glia.tensor(x)), t(torch.from_numpy(x)), rtol=1e-5, atol=1e-5)
    # the loaded weights are copies: changing the state dict afterwards changes nothing
    state["0.weight"].fill_(0.0)
    assert np.abs(g[0].weight.detach().numpy()).sum() > 0
