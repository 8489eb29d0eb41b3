"""Shared test tools: compare a glia op or module with its PyTorch twin, load a torch
module's weights into glia, gradient-check, check the errors raised, import the examples."""
import importlib
import os
import sys

import numpy as np
import pytest
import torch

import glia

RNG = np.random.default_rng(1234)


def randn(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def to_torch(a, requires_grad=False):
    t = torch.from_numpy(np.array(a))
    return t.requires_grad_(requires_grad) if requires_grad else t


def to_glia(a, requires_grad=False):
    return glia.tensor(np.array(a), requires_grad=requires_grad)


def noncontiguous(a):
    """The same values as `a`, seen through a non-contiguous numpy view: transposed, or
    for 1-D every other element of a buffer twice as long."""
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        wide = np.zeros(2 * a.shape[0], a.dtype)
        wide[::2] = a
        return wide[::2]
    return np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2)


def assert_close(g, t, rtol=1e-5, atol=1e-6):
    """glia tensor (or tuple) vs torch tensor (or tuple): same shape, dtype kind and values."""
    if isinstance(t, (tuple, list)):
        assert len(g) == len(t)
        for a, b in zip(g, t):
            assert_close(a, b, rtol, atol)
        return
    gn = g.detach().numpy() if isinstance(g, glia.Tensor) else np.asarray(g)
    tn = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    assert gn.shape == tn.shape, f"shape {gn.shape} != {tn.shape}"
    assert gn.dtype == tn.dtype, f"dtype {gn.dtype} != {tn.dtype}"
    np.testing.assert_allclose(gn, tn, rtol=rtol, atol=atol, equal_nan=True)


def check_op(glia_fn, torch_fn, *arrays, grad=True, rtol=1e-5, atol=1e-6, noncontig=True):
    """Runs both functions on the same inputs (plain and, if asked, non-contiguous views),
    compares outputs, and compares the input gradients under a random cotangent."""
    variants = [arrays]
    if noncontig:
        variants.append(tuple(noncontiguous(a) for a in arrays))
    for inputs in variants:
        differentiable = grad and all(np.asarray(a).dtype.kind == "f" for a in inputs)
        gi = [glia.from_numpy(a) if isinstance(a, np.ndarray) else a for a in inputs]
        ti = [to_torch(a) for a in inputs]
        if differentiable:
            # from_numpy keeps the (possibly non-contiguous) strides of the view
            gi = [glia.from_numpy(a).requires_grad_(True) if isinstance(a, np.ndarray) else a
                  for a in inputs]
            ti = [to_torch(a, True) for a in inputs]
        go, to = glia_fn(*gi), torch_fn(*ti)
        assert_close(go, to, rtol, atol)
        if differentiable and to.numel() > 0 and to.requires_grad:
            cot = RNG.standard_normal(tuple(to.shape)).astype(to.detach().numpy().dtype)
            (go * glia.tensor(cot)).sum().backward()
            (to * torch.from_numpy(cot)).sum().backward()
            for a, b in zip(gi, ti):
                if b.grad is None:
                    assert a.grad is None or np.allclose(a.grad.numpy(), 0)
                else:
                    assert_close(a.grad, b.grad, rtol, atol)


def load_from_torch(glia_module, torch_module):
    """Copies the torch module's state dict (parameters and persistent buffers) into the glia
    module through numpy; strict, so every key must match. Returns load_state_dict's result."""
    return glia_module.load_state_dict(
        {k: glia.tensor(v.detach().numpy()) for k, v in torch_module.state_dict().items()})


def compare_module(g, t, *arrays, rtol=1e-5, atol=1e-6, **kw):
    """Runs g(*inputs, **kw) and t(*inputs, **kw) on the numpy arrays as inputs that need
    grad, compares the outputs, then backpropagates one random cotangent through both and
    compares every input gradient and, when both are modules, every parameter gradient (the
    same parameter names in the same order). Returns (glia output, torch output)."""
    gx = [glia.tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    go, to = g(*gx, **kw), t(*tx, **kw)
    assert_close(go, to, rtol, atol)
    cot = RNG.standard_normal(tuple(to.shape)).astype(to.detach().numpy().dtype)
    (go * glia.tensor(cot)).sum().backward()
    (to * torch.from_numpy(cot)).sum().backward()
    for a, b in zip(gx, tx):
        assert a.grad is not None, "no gradient reached a glia input"
        assert_close(a.grad, b.grad, rtol, atol)
    if hasattr(g, "named_parameters") and hasattr(t, "named_parameters"):
        g_params, t_params = list(g.named_parameters()), dict(t.named_parameters())
        assert [n for n, _ in g_params] == list(t_params)
        for name, p in g_params:
            if t_params[name].grad is None:
                assert p.grad is None or not np.any(p.grad.numpy()), name
            else:
                assert p.grad is not None, f"no gradient reached parameter {name}"
                assert_close(p.grad, t_params[name].grad, rtol, atol)
    return go, to


def gradcheck(fn, *arrays, **kw):
    """float64 finite-difference check of fn's gradients at the given numpy inputs."""
    inputs = [glia.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    assert glia.autograd.gradcheck(fn, inputs, **kw)


def check_raises(fn, exc, *fragments):
    """fn() raises `exc` and the message contains every fragment."""
    with pytest.raises(exc) as info:
        fn()
    msg = str(info.value)
    for f in fragments:
        assert f in msg, f"{f!r} not in error message {msg!r}"


EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def import_example(name):
    """Imports examples/<name>.py (the examples import each other, so examples/ goes on
    sys.path)."""
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    return importlib.import_module(name)
