"""Sequential, ModuleList, ModuleDict, Identity, Flatten and Unflatten vs torch.nn: names and
state_dict keys, indexing/slicing/mutation, reprs, and forward/gradients with shared weights."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import glia
from glia import nn
from helpers import (assert_close, check_op, check_raises, compare_module, gradcheck,
                     load_from_torch, randn)


def mlp(lib):
    """The same small model built from glia.nn or torch.nn."""
    return lib.Sequential(lib.Linear(12, 8), lib.Unflatten(1, (2, 4)), lib.Flatten(),
                          lib.Identity(), lib.Linear(8, 3))


# ---- Sequential ----

def test_sequential_matches_torch_forward_and_gradients():
    t = mlp(torch.nn).double()
    g = mlp(nn).double()
    load_from_torch(g, t)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    # outputs, input gradient and every parameter gradient under a random cotangent
    compare_module(g, t, randn(5, 12))


def test_sequential_gradcheck():
    g = nn.Sequential(nn.Linear(3, 4), nn.Flatten(0), nn.Unflatten(0, (2, -1))).double()
    gradcheck(g, randn(2, 3))


def test_sequential_indexing_slicing_and_len():
    layers = [nn.Linear(2, 2), nn.Identity(), nn.Flatten(), nn.Linear(2, 1)]
    s = nn.Sequential(*layers)
    assert len(s) == 4
    assert s[0] is layers[0] and s[-1] is layers[3] and s[-4] is layers[0]
    assert list(s) == layers
    sub = s[1:3]
    assert isinstance(sub, nn.Sequential) and list(sub) == layers[1:3]
    assert list(sub._modules) == ["1", "2"]  # slices keep the original names, as torch
    assert list(s[::2]) == [layers[0], layers[2]]
    check_raises(lambda: s[4], IndexError, "Sequential", "4")
    check_raises(lambda: s[-5], IndexError, "-5")


def test_sequential_append_set_delete():
    s = nn.Sequential(nn.Linear(2, 3))
    assert s.append(nn.Linear(3, 4)) is s
    assert len(s) == 2 and list(s.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    s[0] = nn.Linear(2, 3, bias=False)
    assert list(s.state_dict()) == ["0.weight", "1.weight", "1.bias"]
    del s[0]
    # renumbered, as torch does
    assert len(s) == 1 and list(s.state_dict()) == ["0.weight", "0.bias"]
    assert s(glia.randn(5, 3)).shape == (5, 4)
    check_raises(lambda: s.append(lambda x: x), TypeError, "Sequential", "function")


def test_sequential_ordered_dict_names_match_torch():
    def build(lib):
        return lib.Sequential(OrderedDict([("fc", lib.Linear(4, 3)), ("flat", lib.Flatten()),
                                           ("head", lib.Linear(3, 2))]))

    g, t = build(nn), build(torch.nn)
    assert list(g.state_dict()) == list(t.state_dict()) == \
        ["fc.weight", "fc.bias", "head.weight", "head.bias"]
    assert g.fc is g[0] and g.head is g[2]
    assert repr(g) == repr(t)
    load_from_torch(g, t)
    x = randn(3, 4, dtype=np.float32)
    assert_close(g(glia.tensor(x)), t(torch.from_numpy(x)))


def test_sequential_repr_matches_torch():
    assert repr(mlp(nn)) == repr(mlp(torch.nn))
    assert repr(nn.Sequential()) == repr(torch.nn.Sequential()) == "Sequential()"


# ---- ModuleList / ModuleDict ----

class Stack(nn.Module):
    def __init__(self, lib_nn, n):
        super().__init__()
        self.layers = lib_nn.ModuleList([lib_nn.Linear(3, 3) for _ in range(n)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def test_module_list_registers_and_runs():
    g = Stack(nn, 3)
    t = torch.nn.ModuleList([torch.nn.Linear(3, 3) for _ in range(3)])
    assert list(g.layers.state_dict()) == list(t.state_dict())
    assert len(list(g.parameters())) == 6
    load_from_torch(g.layers, t)
    x = randn(2, 3, dtype=np.float32)
    want = torch.from_numpy(x)
    for layer in t:
        want = layer(want)
    assert_close(g(glia.tensor(x)), want, atol=1e-6)
    assert repr(g.layers) == repr(t)  # "(0-2): 3 x Linear(...)"
    mixed = [nn.Linear(2, 2), nn.Linear(2, 2), nn.Flatten(), nn.Linear(2, 2)]
    tmixed = [torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.Flatten(),
              torch.nn.Linear(2, 2)]
    nested = [nn.Sequential(nn.Flatten(), nn.Identity()) for _ in range(2)]
    tnested = [torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Identity()) for _ in range(2)]
    assert repr(nn.ModuleList(mixed + nested)) == repr(torch.nn.ModuleList(tmixed + tnested))
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList()) == "ModuleList()"


def test_module_list_mutation():
    a, b, c, d = (nn.Linear(1, 1) for _ in range(4))
    ml = nn.ModuleList([a, b])
    ml.append(c)
    ml.extend([d])
    assert len(ml) == 4 and list(ml) == [a, b, c, d]
    assert ml[-1] is d and list(ml[1:3]) == [b, c]
    ml.insert(1, d)
    assert list(ml) == [a, d, b, c, d]
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"] and ml[0] is d
    ml[0] = a
    assert ml[0] is a
    # d appears twice but its parameters are counted once
    assert len(list(ml.parameters())) == 2 * 4
    check_raises(lambda: ml[7], IndexError, "ModuleList", "7")
    check_raises(lambda: ml.append(3), TypeError, "ModuleList", "int")
    check_raises(lambda: ml(glia.zeros(1)), NotImplementedError, "ModuleList")


def test_module_dict():
    g = nn.ModuleDict({"enc": nn.Linear(3, 2), "dec": nn.Linear(2, 3)})
    t = torch.nn.ModuleDict({"enc": torch.nn.Linear(3, 2), "dec": torch.nn.Linear(2, 3)})
    assert list(g) == list(g.keys()) == ["enc", "dec"]
    assert list(g.state_dict()) == list(t.state_dict())
    assert "enc" in g and "mid" not in g and len(g) == 2
    g["mid"] = nn.Identity()
    g.update([("out", nn.Linear(3, 1))])
    assert list(g.keys()) == ["enc", "dec", "mid", "out"]
    assert [type(m).__name__ for m in g.values()] == ["Linear", "Linear", "Identity", "Linear"]
    assert g.pop("mid").__class__ is nn.Identity and len(g) == 3
    del g["out"]
    assert [k for k, _ in g.items()] == ["enc", "dec"]
    assert repr(g) == repr(t)
    check_raises(lambda: g.__setitem__(1, nn.Identity()), TypeError, "ModuleDict", "int")
    check_raises(lambda: g.__setitem__("x", 1.0), TypeError, "ModuleDict", "float")


# ---- Identity / Flatten / Unflatten ----

def test_identity_returns_its_input():
    x = glia.randn(2, 3)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == repr(torch.nn.Identity()) == "Identity()"


@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (1, 2), (-2, -1), (2, 2)])
def test_flatten_matches_torch(start, end):
    check_op(nn.Flatten(start, end), torch.nn.Flatten(start, end), randn(2, 3, 4, 5))
    assert repr(nn.Flatten(start, end)) == repr(torch.nn.Flatten(start, end))


@pytest.mark.parametrize("shape,dim,sizes", [
    ((2, 12), 1, (3, 4)), ((2, 12), -1, (2, -1, 3)), ((6, 5), 0, (2, 3)), ((4, 3, 2), 1, (3,)),
    ((2, 6, 3), -2, [3, 2]),
])
def test_unflatten_matches_torch(shape, dim, sizes):
    check_op(nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), randn(*shape))
    assert repr(nn.Unflatten(dim, sizes)) == repr(torch.nn.Unflatten(dim, tuple(sizes)))


def test_unflatten_errors():
    check_raises(lambda: nn.Unflatten(1, (5, 2))(glia.zeros(2, 12)), ValueError, "Unflatten",
                 "(5, 2)", "12")
    check_raises(lambda: nn.Unflatten(1, (-1, -1))(glia.zeros(2, 12)), ValueError, "(-1, -1)")
    check_raises(lambda: nn.Unflatten(3, (2, 6))(glia.zeros(2, 12)), IndexError, "dim 3")
    check_raises(lambda: nn.Unflatten(1, 12), TypeError, "unflattened_size")
