"""nn.Module vs torch.nn.Module on twin models: parameter/buffer/module names and order,
state_dict and load_state_dict (strict errors, shape errors), train/eval, zero_grad,
requires_grad_ freezing, apply, repr, to(dtype), tied weights and registration rules."""
import numpy as np
import pytest
import torch

import glia
from glia import nn
from glia.nn import init
from helpers import assert_close, check_raises, load_from_torch, randn


def build(lib):
    """Net = fc1 -> block(Linear, Linear without bias) scaled by a buffer, in glia or torch."""
    tnn = torch.nn if lib is torch else nn

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = tnn.Linear(4, 6)
            self.block = tnn.Sequential(tnn.Linear(6, 6), tnn.Flatten(),
                                        tnn.Linear(6, 3, bias=False))
            self.register_buffer("steps", lib.zeros(1, dtype=lib.int64))
            self.register_buffer("scale", lib.ones(3) * 2)
            self.register_buffer("cache", lib.zeros(2), persistent=False)

        def forward(self, x):
            return self.block(self.fc1(x)) * self.scale

    return Net()


@pytest.fixture
def twins():
    """(glia net, torch net) with the same weights."""
    torch.manual_seed(0)
    t, g = build(torch), build(glia)
    load_from_torch(g, t)
    return g, t


def test_parameter_names_and_order_match_torch(twins):
    g, t = twins
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()] == \
        ["fc1.weight", "fc1.bias", "block.0.weight", "block.0.bias", "block.2.weight"]
    assert [tuple(p.shape) for p in g.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in g.parameters())
    assert [n for n, _ in g.named_parameters(recurse=False)] == []
    assert [n for n, _ in g.fc1.named_parameters(prefix="x")] == ["x.weight", "x.bias"]


def test_buffers_children_and_modules_match_torch(twins):
    g, t = twins
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()] == \
        ["steps", "scale", "cache"]
    assert [n for n, _ in g.named_children()] == [n for n, _ in t.named_children()]
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()] == \
        ["", "fc1", "block", "block.0", "block.1", "block.2"]
    assert [type(m).__name__ for m in g.modules()] == [type(m).__name__ for m in t.modules()]
    assert list(g.children())[1] is g.block


def test_state_dict_matches_torch(twins):
    g, t = twins
    gs, ts = g.state_dict(), t.state_dict()
    # own parameters and buffers first, then each child's; non-persistent "cache" left out
    assert list(gs) == list(ts) == ["steps", "scale", "fc1.weight", "fc1.bias", "block.0.weight",
                                    "block.0.bias", "block.2.weight"]
    for k in ts:
        assert_close(gs[k], ts[k])
        assert not gs[k].requires_grad
    assert gs["steps"].dtype == glia.int64
    assert list(g.block.state_dict(prefix="block.")) == [k for k in ts if k.startswith("block.")]


def test_loaded_torch_weights_give_torch_outputs_and_gradients(twins):
    g, t = twins
    x = randn(5, 4, dtype=np.float32)
    gx, tx = glia.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    go, to = g(gx), t(tx)
    assert_close(go, to, atol=1e-6)
    go.sum().backward()
    to.sum().backward()
    assert_close(gx.grad, tx.grad, atol=1e-6)
    for (gn, gp), (tn, tp) in zip(g.named_parameters(), t.named_parameters()):
        assert gn == tn
        assert_close(gp.grad, tp.grad, atol=1e-5)


def test_load_state_dict_strict_errors(twins):
    g, _ = twins
    state = {k: v.clone() for k, v in g.state_dict().items()}
    del state["block.0.bias"]
    state["extra.weight"] = glia.zeros(2)
    check_raises(lambda: g.load_state_dict(state), KeyError, "missing keys", "'block.0.bias'",
                 "unexpected keys", "'extra.weight'")
    only_missing = {k: v for k, v in state.items() if k != "extra.weight"}
    check_raises(lambda: g.load_state_dict(only_missing), KeyError, "block.0.bias")
    # non-strict loads what matches and reports the rest
    state["fc1.bias"] = glia.full((6,), 7.0)
    missing, unexpected = g.load_state_dict(state, strict=False)
    assert missing == ["block.0.bias"] and unexpected == ["extra.weight"]
    np.testing.assert_array_equal(g.fc1.bias.detach().numpy(), np.full(6, 7.0, np.float32))


def test_load_state_dict_shape_error_names_key_and_shapes(twins):
    g, _ = twins
    state = dict(g.state_dict())
    state["block.0.weight"] = glia.zeros(6, 5)
    check_raises(lambda: g.load_state_dict(state), ValueError, "'block.0.weight'", "(6, 5)",
                 "(6, 6)")


def test_load_state_dict_copies_values_and_casts_dtype(twins):
    g, _ = twins
    state = {k: v.to(glia.float64) if v.dtype == glia.float32 else v
             for k, v in g.state_dict().items()}
    state["scale"] = glia.tensor([1.0, 2.0, 3.0], dtype=glia.float64)
    g.load_state_dict(state)
    assert g.scale.dtype == glia.float32 and g.scale.tolist() == [1.0, 2.0, 3.0]
    # parameters stay the same leaf objects, still trainable
    assert g.fc1.weight.is_leaf and g.fc1.weight.requires_grad


def test_train_eval_propagate(twins):
    g, t = twins
    assert g.training and all(m.training for m in g.modules())
    assert g.eval() is g
    assert not any(m.training for m in g.modules())
    g.block.train()
    assert [m.training for m in g.modules()] == [False, False, True, True, True, True]
    t.eval()
    t.block.train()
    assert [m.training for m in g.modules()] == [m.training for m in t.modules()]


def test_zero_grad(twins):
    g, _ = twins
    g(glia.randn(3, 4)).sum().backward()
    assert all(p.grad is not None for p in g.parameters())
    g.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in g.parameters())
    g(glia.randn(3, 4)).sum().backward()
    g.zero_grad()
    assert all(p.grad is None for p in g.parameters())


def test_requires_grad_freezes_like_torch(twins):
    g, t = twins
    assert g.fc1.requires_grad_(False) is g.fc1
    t.fc1.requires_grad_(False)
    x = randn(2, 4, dtype=np.float32)
    g(glia.tensor(x)).sum().backward()
    t(torch.from_numpy(x)).sum().backward()
    assert g.fc1.weight.grad is None and g.fc1.bias.grad is None
    assert_close(g.block[0].weight.grad, t.block[0].weight.grad, atol=1e-6)
    g.requires_grad_()
    assert all(p.requires_grad for p in g.parameters())


def test_apply_visits_children_first_like_torch(twins):
    g, t = twins
    g_order, t_order = [], []
    assert g.apply(lambda m: g_order.append(type(m).__name__)) is g
    t.apply(lambda m: t_order.append(type(m).__name__))
    assert g_order == t_order == ["Linear", "Linear", "Flatten", "Linear", "Sequential", "Net"]

    def fill(m):
        if isinstance(m, nn.Linear):
            init.constant_(m.weight, 0.5)

    g.apply(fill)
    assert all(np.all(m.weight.detach().numpy() == 0.5) for m in g.modules()
               if isinstance(m, nn.Linear))


def test_repr_matches_torch(twins):
    g, t = twins
    assert repr(g) == repr(t)


def test_to_float64(twins):
    g, t = twins
    g.fc1.bias.requires_grad_(False)
    assert g.to(glia.float64) is g
    assert all(p.dtype == glia.float64 and isinstance(p, nn.Parameter) for p in g.parameters())
    assert not g.fc1.bias.requires_grad and g.fc1.weight.requires_grad
    assert g.steps.dtype == glia.int64 and g.scale.dtype == glia.float64
    x = randn(3, 4)
    assert_close(g(glia.tensor(x)), t.double()(torch.from_numpy(x)), atol=1e-12)
    assert g.float().fc1.weight.dtype == glia.float32
    check_raises(lambda: g.to("cuda"), RuntimeError, "cuda")


def test_tied_parameters_counted_once():
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    s = nn.Sequential(a, b)
    assert [n for n, _ in s.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    # state_dict keeps both names (the order of b's keys is checked nowhere: glia moves a
    # re-assigned parameter to the end, torch keeps its slot)
    assert sorted(s.state_dict()) == ["0.bias", "0.weight", "1.bias", "1.weight"]
    # both uses add into one gradient
    ta, tb = torch.nn.Linear(3, 3), torch.nn.Linear(3, 3)
    tb.weight = ta.weight
    ts = torch.nn.Sequential(ta, tb)
    load_from_torch(s, ts)
    s.zero_grad()
    s(glia.ones(1, 3)).sum().backward()
    ts(torch.ones(1, 3)).sum().backward()
    assert_close(a.weight.grad, ta.weight.grad, atol=1e-6)


def test_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(glia.ones(2))
    m.sub = nn.Identity()
    m.plain = 3
    assert [n for n, _ in m.named_parameters()] == ["w"] and list(m._modules) == ["sub"]
    assert m.plain == 3 and m.w.tolist() == [1.0, 1.0]
    m.register_parameter("b", None)
    assert m.b is None and list(m.state_dict()) == ["w"]
    del m.w
    assert list(m.named_parameters()) == []
    check_raises(lambda: m.missing, AttributeError, "Module", "missing")
    check_raises(lambda: m.register_buffer("x", [1.0]), TypeError, "register_buffer", "'x'")
    check_raises(lambda: m.register_parameter("p", glia.ones(1)), TypeError, "Parameter")
    check_raises(lambda: nn.Module()(1), NotImplementedError, "forward")

    class NoInit(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    check_raises(NoInit, AttributeError, "__init__")
