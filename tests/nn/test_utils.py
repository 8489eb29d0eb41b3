"""glia.nn.utils against torch.nn.utils and numpy: gradient clipping by norm (incl. inf)
and by value, L1/L2/elastic-net penalties and their gradients, spectral_norm over several
train/eval forward passes, its state dict, convergence of sigma, and remove_spectral_norm."""
import math

import numpy as np
import pytest
import torch

import glia
from glia import nn
from glia.nn.utils import (clip_grad_norm_, clip_grad_value_, elastic_net_penalty, l1_penalty,
                           l2_penalty, remove_spectral_norm, spectral_norm)
from helpers import assert_close, check_raises, load_from_torch, randn, to_glia, to_torch

SHAPES = [(3, 4), (4,), (2, 2, 3)]


def params_with_grads(grads, dtype=np.float64):
    """glia and torch parameters of the given shapes whose .grad are the same arrays
    (None leaves that parameter without a gradient)."""
    gs, ts = [], []
    for g in grads:
        shape = (2,) if g is None else g.shape
        zeros = np.zeros(shape, dtype)
        gp, tp = nn.Parameter(glia.tensor(zeros)), torch.nn.Parameter(torch.from_numpy(zeros))
        if g is not None:
            gp.grad = glia.tensor(g.astype(dtype))
            tp.grad = torch.from_numpy(g.astype(dtype))
        gs.append(gp)
        ts.append(tp)
    return gs, ts


# ---------------------------------------------------------------- gradient clipping

@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])  # clipping, and left alone
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    grads = [randn(*s) for s in SHAPES] + [None]
    gs, ts = params_with_grads(grads, dtype)
    total = clip_grad_norm_(gs, max_norm, norm_type)
    ref = torch.nn.utils.clip_grad_norm_(ts, max_norm, norm_type)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert_close(total, ref, rtol=rtol)
    for gp, tp in zip(gs, ts):
        if tp.grad is None:
            assert gp.grad is None
        else:
            assert_close(gp.grad, tp.grad, rtol=rtol)
    p_norm = total.item()
    if max_norm < p_norm:
        # the joint norm after clipping is max_norm (up to the 1e-6 guard)
        flat = np.concatenate([p.grad.numpy().ravel() for p in gs if p.grad is not None])
        after = np.linalg.norm(flat, ord=float(norm_type))
        np.testing.assert_allclose(after, max_norm, rtol=1e-5)


def test_clip_grad_norm_accepts_a_tensor_a_generator_and_no_grads():
    g = randn(3, 4)
    (gp,), (tp,) = params_with_grads([g])
    assert_close(clip_grad_norm_(gp, 1.0), torch.nn.utils.clip_grad_norm_(tp, 1.0))
    assert_close(gp.grad, tp.grad)
    gs, ts = params_with_grads([randn(5), randn(2, 2)])
    assert_close(clip_grad_norm_((p for p in gs), 0.1, 2),
                 torch.nn.utils.clip_grad_norm_((p for p in ts), 0.1, 2))
    gs, _ = params_with_grads([None, None])
    assert clip_grad_norm_(gs, 1.0).item() == 0.0
    assert clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    grads = [randn(3), np.array([1.0, np.nan])]
    gs, ts = params_with_grads(grads)
    check_raises(lambda: clip_grad_norm_(gs, 1.0, error_if_nonfinite=True), RuntimeError,
                 "clip_grad_norm_", "nan")
    np.testing.assert_array_equal(gs[0].grad.numpy(), grads[0])  # untouched on error
    total = clip_grad_norm_(gs, 1.0)
    ref = torch.nn.utils.clip_grad_norm_(ts, 1.0)
    assert math.isnan(total.item()) and math.isnan(ref.item())
    for gp, tp in zip(gs, ts):
        assert_close(gp.grad, tp.grad)
    gs, _ = params_with_grads([np.array([1.0, np.inf])])
    check_raises(lambda: clip_grad_norm_(gs, 1.0, 2.0, True), RuntimeError, "inf")


@pytest.mark.parametrize("clip_value", [0.3, 1.0, 5])
def test_clip_grad_value_matches_torch(clip_value):
    grads = [randn(*s) * 2 for s in SHAPES] + [None]
    gs, ts = params_with_grads(grads)
    assert clip_grad_value_(gs, clip_value) is None
    torch.nn.utils.clip_grad_value_(ts, clip_value)
    for gp, tp in zip(gs, ts):
        if tp.grad is not None:
            assert_close(gp.grad, tp.grad, rtol=0, atol=0)
    assert max(np.abs(p.grad.numpy()).max() for p in gs if p.grad is not None) <= clip_value


# ---------------------------------------------------------------- penalties

class TwoParams(nn.Module):
    def __init__(self, w, b):
        super().__init__()
        self.weight = nn.Parameter(glia.tensor(w))
        self.bias = nn.Parameter(glia.tensor(b))


def test_penalties_match_numpy_with_gradients():
    w, b = randn(3, 4), randn(4)
    m = TwoParams(w, b)
    l1 = np.abs(w).sum() + np.abs(b).sum()
    l2 = (w ** 2).sum() + (b ** 2).sum()
    np.testing.assert_allclose(l1_penalty(m).item(), l1, rtol=1e-12)
    np.testing.assert_allclose(l2_penalty(m).item(), l2, rtol=1e-12)
    np.testing.assert_allclose(elastic_net_penalty(m, 0.3, 0.1).item(),
                               0.1 * 0.3 * l1 + 0.5 * 0.1 * 0.7 * l2, rtol=1e-12)
    cases = [
        (l1_penalty, lambda p: np.sign(p)),
        (l2_penalty, lambda p: 2 * p),
        (lambda ps: elastic_net_penalty(ps, l1_ratio=0.3, alpha=0.1),
         lambda p: 0.1 * 0.3 * np.sign(p) + 0.1 * 0.7 * p),
    ]
    for fn, dfn in cases:
        m.zero_grad()
        out = fn(m)
        assert out.shape == () and out.requires_grad
        out.backward()
        np.testing.assert_allclose(m.weight.grad.numpy(), dfn(w), rtol=1e-12)
        np.testing.assert_allclose(m.bias.grad.numpy(), dfn(b), rtol=1e-12)


def test_penalties_accept_lists_tensors_and_nothing():
    w, b = randn(2, 3), randn(3)
    m = TwoParams(w, b)
    np.testing.assert_allclose(l1_penalty([m.weight]).item(), np.abs(w).sum(), rtol=1e-12)
    np.testing.assert_allclose(l2_penalty(m.bias).item(), (b ** 2).sum(), rtol=1e-12)
    np.testing.assert_allclose(l2_penalty(p for p in m.parameters()).item(),
                               (w ** 2).sum() + (b ** 2).sum(), rtol=1e-12)
    np.testing.assert_allclose(elastic_net_penalty([m.weight], 1.0, 2.0).item(),
                               2 * np.abs(w).sum(), rtol=1e-12)
    np.testing.assert_allclose(elastic_net_penalty([m.weight], 0.0, 2.0).item(),
                               (w ** 2).sum(), rtol=1e-12)
    assert l1_penalty([]).item() == 0.0 and l2_penalty(nn.Module()).item() == 0.0
    check_raises(lambda: elastic_net_penalty(m, l1_ratio=1.5), ValueError,
                 "elastic_net_penalty", "1.5")


# ---------------------------------------------------------------- spectral_norm

class Affine(nn.Module):
    """Reads self.weight in forward, like any linear layer (independent of nn.Linear)."""

    def __init__(self, w, b):
        super().__init__()
        self.weight = nn.Parameter(glia.tensor(w))
        self.bias = nn.Parameter(glia.tensor(b))

    def forward(self, x):
        return glia.matmul(x, self.weight.t()) + self.bias


class TorchScale(torch.nn.Module):
    """A torch module with an N-d weight: out = sum(weight * x)."""

    def __init__(self, w):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.from_numpy(w))

    def forward(self, x):
        return (self.weight * x).sum()


class Scale(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.weight = nn.Parameter(glia.tensor(w))

    def forward(self, x):
        return (self.weight * x).sum()


def copy_uv(g, t, name="weight"):
    """Starts glia's power iteration from torch's random u and v."""
    with glia.no_grad():
        getattr(g, name + "_u").copy_(to_glia(getattr(t, name + "_u").numpy()))
        getattr(g, name + "_v").copy_(to_glia(getattr(t, name + "_v").numpy()))


def test_spectral_norm_linear_matches_torch_over_train_and_eval_passes():
    w, b = randn(3, 5), randn(3)
    tm = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        tm.weight.copy_(torch.from_numpy(w))
        tm.bias.copy_(torch.from_numpy(b))
    torch.nn.utils.spectral_norm(tm)
    gm = spectral_norm(Affine(w, b))
    copy_uv(gm, tm)
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert list(gm.state_dict()) == list(tm.state_dict())
    for step in range(4):
        if step == 3:
            gm.eval()
            tm.eval()
        x, cot = randn(2, 5), randn(2, 3)
        gout, tout = gm(to_glia(x)), tm(to_torch(x))
        assert_close(gout, tout, rtol=1e-10)
        assert_close(gm.weight, tm.weight, rtol=1e-10)
        assert_close(gm.weight_u, tm.weight_u, rtol=1e-10)
        assert_close(gm.weight_v, tm.weight_v, rtol=1e-10)
        (gout * to_glia(cot)).sum().backward()
        (tout * to_torch(cot)).sum().backward()
        assert_close(gm.weight_orig.grad, tm.weight_orig.grad, rtol=1e-10)
        assert_close(gm.bias.grad, tm.bias.grad, rtol=1e-10)
        gm.zero_grad()
        tm.zero_grad()
    u = gm.weight_u.numpy().copy()
    gm(to_glia(randn(2, 5)))  # eval: no power iteration
    np.testing.assert_array_equal(gm.weight_u.numpy(), u)


@pytest.mark.parametrize("dim,iters", [(1, 2), (0, 1), (-1, 3)])
def test_spectral_norm_nd_weight_matches_torch(dim, iters):
    w = randn(2, 3, 2, 2)
    tm = torch.nn.utils.spectral_norm(TorchScale(w), n_power_iterations=iters, dim=dim % 4)
    gm = spectral_norm(Scale(w), n_power_iterations=iters, dim=dim)
    assert tuple(gm.weight_u.shape) == tuple(tm.weight_u.shape)
    assert tuple(gm.weight_v.shape) == tuple(tm.weight_v.shape)
    copy_uv(gm, tm)
    for _ in range(3):
        x = randn(2, 3, 2, 2)
        gout, tout = gm(to_glia(x)), tm(to_torch(x))
        assert_close(gout, tout, rtol=1e-10)
        gout.backward()
        tout.backward()
        assert_close(gm.weight_orig.grad, tm.weight_orig.grad, rtol=1e-10)
        assert_close(gm.weight_u, tm.weight_u, rtol=1e-10)


def test_spectral_norm_sigma_converges_to_one():
    # known singular values 3, 1.5, 1, 0.5: power iteration converges like (1.5/3)^(2k)
    rng = np.random.default_rng(7)
    q1, _ = np.linalg.qr(rng.standard_normal((6, 4)))
    q2, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    w = (q1 * np.array([3.0, 1.5, 1.0, 0.5])) @ q2.T
    m = spectral_norm(Affine(w.astype(np.float32), np.zeros(6, np.float32)))
    x = glia.randn(2, 4)
    for _ in range(25):
        m(x)
    s = np.linalg.svd(m.weight.detach().numpy().astype(np.float64), compute_uv=False)
    np.testing.assert_allclose(s, [1.0, 0.5, 1 / 3, 1 / 6], rtol=1e-4)
    assert m.weight_orig.dtype == glia.float32


def test_spectral_norm_loads_torch_state_dict_and_removes():
    w, b = randn(4, 3), randn(4)
    tm = torch.nn.utils.spectral_norm(torch.nn.Linear(3, 4).double())
    for _ in range(3):
        tm(torch.randn(2, 3, dtype=torch.float64))
    gm = spectral_norm(Affine(w, b))
    load_from_torch(gm, tm)
    gm.eval()
    tm.eval()
    x = randn(5, 3)
    assert_close(gm(to_glia(x)), tm(to_torch(x)), rtol=1e-10)
    torch.nn.utils.remove_spectral_norm(tm)
    remove_spectral_norm(gm)
    assert list(gm.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
    assert isinstance(gm.weight, nn.Parameter) and "forward" not in gm.__dict__
    assert_close(gm.weight, tm.weight, rtol=1e-10)
    assert_close(gm(to_glia(x)), tm(to_torch(x)), rtol=1e-10)


def test_spectral_norm_errors():
    m = spectral_norm(Affine(randn(2, 2), randn(2)))
    check_raises(lambda: spectral_norm(m), RuntimeError, "spectral_norm", "weight")
    check_raises(lambda: spectral_norm(Affine(randn(2, 2), randn(2)), "kernel"), ValueError,
                 "spectral_norm", "'kernel'")
    check_raises(lambda: spectral_norm(Affine(randn(2, 2), randn(2)), n_power_iterations=0),
                 ValueError, "n_power_iterations")
    check_raises(lambda: spectral_norm(Affine(randn(2, 2), randn(2)), dim=2), ValueError,
                 "dim 2", "(2, 2)")
    check_raises(lambda: remove_spectral_norm(Affine(randn(2, 2), randn(2))), ValueError,
                 "remove_spectral_norm", "weight")
