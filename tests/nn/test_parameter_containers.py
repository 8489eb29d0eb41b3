"""ParameterList and ParameterDict vs torch.nn: registration (parameters, named_parameters and
state_dict keys), loading torch weights, forward/gradients through a model that uses them,
list and dict operations, dtype conversion, reprs and errors."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import glia
from glia import nn
from glia.nn.parameter import Parameter
from helpers import check_raises, compare_module, load_from_torch, randn, to_glia


def _model(lib):
    """y = sum_i x @ W_i + b[key] with W_i in a ParameterList and b in a ParameterDict."""

    class Model(lib.Module):
        def __init__(self):
            super().__init__()
            self.ws = lib.ParameterList([lib.Parameter(lib_zeros(lib, 3, 2)) for _ in range(3)])
            self.bs = lib.ParameterDict({"pos": lib_zeros(lib, 2), "neg": lib_zeros(lib, 2)})

        def forward(self, x):
            out = self.bs["pos"] - self.bs["neg"]
            for w in self.ws:
                out = out + x @ w
            return out

    return Model()


def lib_zeros(lib, *shape):
    return (torch if lib is torch.nn else glia).zeros(*shape)


def test_model_with_containers_matches_torch():
    t, g = _model(torch.nn).double(), _model(nn).double()
    with torch.no_grad():
        for p in t.parameters():
            p.copy_(torch.randn(p.shape, dtype=torch.float64))
    assert list(g.state_dict()) == list(t.state_dict()) == [
        "ws.0", "ws.1", "ws.2", "bs.neg", "bs.pos"]  # a plain dict is added in key order
    load_from_torch(g, t)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    compare_module(g, t, randn(4, 3))
    g.float()
    assert all(p.dtype == glia.float32 for p in g.parameters())


def test_parameter_list_operations():
    a, b, c = glia.ones(2), glia.zeros(3), Parameter(glia.full((1,), 5.0))
    pl = nn.ParameterList([a, b])
    assert len(pl) == 2 and all(isinstance(p, Parameter) for p in pl)
    np.testing.assert_array_equal(pl[0].detach().numpy(), [1.0, 1.0])  # wrapped, shared
    a.fill_(3.0)
    np.testing.assert_array_equal(pl[0].detach().numpy(), [3.0, 3.0])
    assert pl.append(c) is pl and pl[-1] is c and pl[2] is c
    pl.extend([glia.ones(4)])
    pl += [glia.ones(5)]
    assert [tuple(p.shape) for p in pl] == [(2,), (3,), (1,), (4,), (5,)]
    assert list(pl.state_dict()) == ["0", "1", "2", "3", "4"]
    sub = pl[1:4:2]
    assert isinstance(sub, nn.ParameterList) and list(sub) == [pl[1], pl[3]]
    assert list(sub.state_dict()) == ["0", "1"]  # a slice renumbers, as torch
    pl[0] = glia.zeros(7)
    assert tuple(pl[0].shape) == (7,) and list(pl.state_dict())[0] == "0"
    assert len(list(pl.parameters())) == 5
    assert all(p.requires_grad for p in pl.parameters())
    # non-tensor entries are kept, not registered, as torch
    mixed = nn.ParameterList([glia.ones(1), 3])
    assert mixed[1] == 3 and len(list(mixed.parameters())) == 1


def test_parameter_list_matches_torch_and_errors():
    t = torch.nn.ParameterList([torch.nn.Parameter(torch.randn(3)), torch.randn(2, 2)])
    g = nn.ParameterList([glia.zeros(3), glia.zeros(2, 2)])
    load_from_torch(g, t)
    for gp, tp in zip(g, t):
        np.testing.assert_array_equal(gp.detach().numpy(), tp.detach().numpy())
    assert repr(g) == repr(t).replace("torch.", "glia.")
    one_g, one_t = nn.ParameterList([glia.ones(3)]), torch.nn.ParameterList([torch.ones(3)])
    assert repr(one_g) == repr(one_t).replace("torch.", "glia.")
    assert repr(nn.ParameterList()) == repr(torch.nn.ParameterList()) == "ParameterList()"
    check_raises(lambda: g[2], IndexError, "ParameterList", "2")
    check_raises(lambda: g[-3], IndexError, "-3")
    check_raises(lambda: g.extend(glia.ones(3)), TypeError, "ParameterList.extend", "Tensor")
    check_raises(lambda: g.extend(5), TypeError, "ParameterList.extend", "int")
    check_raises(lambda: g(glia.ones(1)), RuntimeError, "ParameterList")
    with pytest.raises(TypeError):
        g[0] = "not a parameter"  # replacing a registered parameter, as torch


def test_parameter_dict_operations():
    pd = nn.ParameterDict(OrderedDict([("z", glia.ones(1)), ("a", glia.ones(2))]))
    assert list(pd) == list(pd.keys()) == ["z", "a"]  # an OrderedDict keeps its order
    assert list(nn.ParameterDict({"z": glia.ones(1), "a": glia.ones(2)})) == ["a", "z"]
    pd.update([("m", glia.zeros(3))])
    pd["b"] = Parameter(glia.zeros(4))
    assert list(pd.state_dict()) == ["z", "a", "m", "b"]
    assert "m" in pd and "q" not in pd and len(pd) == 4
    assert [k for k, _ in pd.items()] == list(pd) and len(list(pd.values())) == 4
    assert list(reversed(pd)) == ["b", "m", "a", "z"]
    assert pd.get("q") is None and pd.get("a") is pd["a"]
    assert pd.setdefault("a") is pd["a"]
    m = pd.pop("m")
    assert tuple(m.shape) == (3,) and "m" not in pd and "m" not in pd.state_dict()
    key, value = pd.popitem()
    assert key == "b" and tuple(value.shape) == (4,)
    del pd["z"]
    assert list(pd.state_dict()) == ["a"]
    merged = pd | nn.ParameterDict({"c": glia.ones(5)})
    assert list(merged) == ["a", "c"] and list(pd) == ["a"]
    pd |= {"d": glia.ones(1)}
    assert list(pd) == ["a", "d"]
    copy = pd.copy()
    assert copy["a"] is pd["a"] and copy is not pd
    assert list(pd.fromkeys(["x", "y"], glia.zeros(1))) == ["x", "y"]
    pd.clear()
    assert len(pd) == 0 and not list(pd.parameters())
    pd["none"] = None  # kept, not a parameter, as torch
    assert pd["none"] is None and not list(pd.parameters())


def test_parameter_dict_matches_torch_and_errors():
    t = torch.nn.ParameterDict({"w": torch.randn(2, 3), "b": torch.randn(3)})
    g = nn.ParameterDict({"w": glia.zeros(2, 3), "b": glia.zeros(3)})
    load_from_torch(g, t)
    assert list(g.state_dict()) == list(t.state_dict())
    np.testing.assert_array_equal(g["w"].detach().numpy(), t["w"].detach().numpy())
    # torch names the tensor type (torch.FloatTensor); glia names the dtype
    assert repr(g) == repr(t).replace("torch.FloatTensor", "glia.float32")
    check_raises(lambda: g[0], TypeError, "ParameterDict", "int")
    check_raises(lambda: g.__setitem__(1, glia.ones(1)), TypeError, "ParameterDict", "int")
    check_raises(lambda: g["missing"], KeyError, "missing")
    check_raises(lambda: g.__setitem__("training", glia.ones(1)), KeyError, "training")
    check_raises(lambda: g.__setitem__("update", glia.ones(1)), KeyError, "update")
    check_raises(lambda: g.update(5), TypeError, "ParameterDict.update", "int")
    check_raises(lambda: g.update([("a", glia.ones(1), 3)]), ValueError, "ParameterDict.update",
                 "#0")
    check_raises(lambda: g(glia.ones(1)), RuntimeError, "ParameterDict")
    assert g.training  # the attribute was not overwritten by the refused key


def test_containers_train_with_an_optimizer():
    g = _model(nn)
    opt = glia.optim.SGD(g.parameters(), lr=0.1)
    rng = np.random.default_rng(0)  # its own data: a fit that reaches the target exactly
    xn = rng.standard_normal((16, 3)).astype(np.float32)
    yn = xn @ rng.standard_normal((3, 2)).astype(np.float32) + np.float32([0.5, -1.0])
    x, y = to_glia(xn), to_glia(yn)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = ((g(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]
