"""Autograd semantics: accumulation, retain_graph, grad mode, detach, hooks, grad()."""
import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_raises


def test_leaf_used_twice_accumulates():
    x = glia.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x + x * 3).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1, 2, 3]) + 3)


def test_backward_twice_accumulates_into_grad():
    x = glia.tensor([1.0, -2.0], requires_grad=True)
    (x * 2).sum().backward()
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 7.0])


def test_second_backward_needs_retain_graph():
    x = glia.tensor([0.5, 1.5], requires_grad=True)
    y = glia.tanh(x).sum()
    y.backward()
    check_raises(lambda: y.backward(), RuntimeError, "retain_graph")


def test_retain_graph_allows_second_backward():
    x = glia.tensor([0.5, 1.5], requires_grad=True)
    y = glia.exp(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([0.5, 1.5]), rtol=1e-6)


def test_non_scalar_backward_needs_gradient():
    x = glia.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    check_raises(lambda: y.backward(), RuntimeError, "one element", "(2,)")
    y.backward(glia.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 30.0])


def test_backward_on_tensor_without_grad_raises():
    check_raises(lambda: glia.ones(2).sum().backward(), RuntimeError, "does not require grad")


def test_no_grad_context_and_decorator():
    x = glia.ones(3, requires_grad=True)
    with glia.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @glia.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert glia.is_grad_enabled()
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad_and_set_grad_enabled():
    x = glia.ones(2, requires_grad=True)
    with glia.no_grad():
        with glia.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    with glia.set_grad_enabled(False):
        assert not (x + 1).requires_grad
    assert glia.is_grad_enabled()
    glia.set_grad_enabled(False)
    assert not glia.is_grad_enabled()
    glia.set_grad_enabled(True)
    assert glia.is_grad_enabled()


def test_detach_stops_gradient():
    x = glia.tensor([2.0, 3.0], requires_grad=True)
    y = (x * x.detach()).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 3.0])
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    with glia.no_grad():
        x.add_(glia.ones(2))
    np.testing.assert_allclose(d.numpy(), [3.0, 4.0])  # detach shares memory


def test_hooks_on_leaf_and_intermediate():
    x = glia.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: g * 10)
    h = x * 3
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    h.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])


@pytest.mark.parametrize("make", [
    lambda x: glia.nn.functional.conv1d(x, glia.randn(3, 2, 3)),
    lambda x: glia.nn.functional.max_pool1d(x, 2),
    lambda x: glia.nn.functional.avg_pool1d(x, 2),
    lambda x: x * 2,
])
def test_hook_may_not_change_gradient_dtype_or_shape(make):
    """Fused backwards read the gradient as the output's shape and dtype, so a hook that
    changes either is an error (as in PyTorch) rather than a misread buffer."""
    x = glia.randn(2, 2, 6, requires_grad=True)
    y = make(x)
    y.register_hook(lambda g: g.double())
    check_raises(lambda: y.sum().backward(retain_graph=True), TypeError, "hook", "float32",
                 "float64")
    y = make(x)
    y.register_hook(lambda g: g.sum())
    check_raises(lambda: y.sum().backward(), ValueError, "hook", "shape")


def test_leaf_hook_may_not_change_gradient_dtype():
    x = glia.randn(3, requires_grad=True)
    x.register_hook(lambda g: g.double())
    check_raises(lambda: (x * 2).sum().backward(), TypeError, "hook", "float64")


def test_hook_on_rnn_output_may_not_change_dtype():
    rnn = glia.nn.GRU(3, 4, bidirectional=True)
    y, _ = rnn(glia.randn(5, 2, 3))
    y.register_hook(lambda g: g.double())
    check_raises(lambda: y.sum().backward(), TypeError, "hook", "float64")


def test_set_data_keeps_graph_outputs_and_drops_stale_grad():
    x = glia.randn(3, requires_grad=True)
    y = x * 2
    check_raises(lambda: setattr(y, "data", glia.zeros(3, dtype=glia.float64)), RuntimeError,
                 "data", "grad_fn")
    check_raises(lambda: setattr(y, "data", glia.zeros(4)), RuntimeError, "data", "grad_fn")
    y.data = glia.ones(3)  # same shape and dtype: allowed
    np.testing.assert_allclose(y.detach().numpy(), [1.0, 1.0, 1.0])
    (x * 2).sum().backward()
    x.data = glia.zeros(3)  # same shape: .grad stays
    assert x.grad is not None
    x.data = glia.zeros(5)  # new shape: the old .grad no longer fits
    assert x.grad is None and x.shape == (5,)


def test_retain_grad_on_intermediate():
    x = glia.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    h.retain_grad()
    (h * 3).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [3.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_autograd_grad_leaves_dot_grad_alone():
    x = glia.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = glia.autograd.grad(y, x)
    np.testing.assert_allclose(g.numpy(), 3 * np.array([1.0, 4.0, 9.0]))
    assert x.grad is None


def test_second_derivative_with_create_graph():
    xs = np.array([0.3, -1.2, 2.0])
    x = glia.tensor(xs, requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    for f in (lambda t: (t ** 3).sum(), lambda t: t.tanh().sum(), lambda t: (t.sigmoid() * t).sum(),
              lambda t: t.exp().log1p().sum(), lambda t: (t * t).softmax(0)[0]):
        (g,) = glia.autograd.grad(f(x), x, create_graph=True)
        (tg,) = torch.autograd.grad(f(tx), tx, create_graph=True)
        assert_close(g, tg, rtol=1e-10, atol=1e-12)
        (gg,) = glia.autograd.grad(g.sum(), x)
        (tgg,) = torch.autograd.grad(tg.sum(), tx)
        assert_close(gg, tgg, rtol=1e-9, atol=1e-12)


def test_grad_of_unused_input():
    x = glia.ones(2, requires_grad=True)
    z = glia.ones(2, requires_grad=True)
    y = (x * 2).sum()
    check_raises(lambda: glia.autograd.grad(y, [x, z], retain_graph=True), RuntimeError, "allow_unused")
    gx, gz = glia.autograd.grad(y, [x, z], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0, 2.0])
    assert gz is None


def test_grad_with_respect_to_intermediate():
    x = glia.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    gh, gx = glia.autograd.grad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), [4.0, 8.0])
    np.testing.assert_allclose(gx.numpy(), [8.0, 16.0])


def test_inplace_change_of_saved_tensor_is_caught():
    w = glia.tensor([1.0, 2.0], requires_grad=True)
    x = glia.tensor([3.0, 4.0])
    y = (w * x).sum()
    with glia.no_grad():
        x.mul_(2)
    check_raises(lambda: y.backward(), RuntimeError, "modified by an in-place operation")


def test_inplace_on_leaf_requiring_grad_raises():
    w = glia.ones(2, requires_grad=True)
    check_raises(lambda: w.add_(glia.ones(2)), RuntimeError, "requires grad")
    check_raises(lambda: w.__iadd__(glia.ones(2)), RuntimeError, "leaf")


def test_requires_grad_only_for_floats():
    check_raises(lambda: glia.tensor([1, 2]).requires_grad_(), TypeError, "floating", "int64")


def test_deep_graph_does_not_overflow():
    x = glia.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 20000], rtol=1e-3)


def test_gradient_only_flows_to_inputs_that_need_it():
    a = glia.randn(3, 4)
    w = glia.randn(4, 2, requires_grad=True)
    (a @ w).sum().backward()
    assert a.grad is None
    np.testing.assert_allclose(w.grad.numpy(), np.repeat(a.numpy().sum(0)[:, None], 2, 1), rtol=1e-5)


def test_grad_dtype_follows_leaf_through_promotion():
    x = glia.tensor([1.0, 2.0], requires_grad=True)  # float32
    y = (x * glia.tensor([1.0, 2.0], dtype=glia.float64)).sum()
    assert y.dtype == glia.float64
    y.backward()
    assert x.grad.dtype == glia.float32
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 2.0])


def test_gradcheck_catches_a_wrong_gradient():
    x = glia.tensor(np.array([0.5, -0.7]), requires_grad=True)
    assert glia.autograd.gradcheck(lambda t: t * t, [x])
    # detach hides one factor from autograd, so its gradient is half the true one
    assert not glia.autograd.gradcheck(lambda t: t * t.detach(), [x], raise_exception=False)
    with pytest.raises(RuntimeError, match="differs from finite differences"):
        glia.autograd.gradcheck(lambda t: t * t.detach(), [x])


def test_grad_assignment_checks_shape():
    x = glia.ones(2, 3, requires_grad=True)
    check_raises(lambda: setattr(x, "grad", glia.ones(3)), ValueError, "(3,)", "(2, 3)")
    x.grad = glia.zeros(2, 3)
    assert x.grad.shape == (2, 3)
    x.grad = None
    assert x.grad is None


# Fused kernels compute their gradients outside the graph: create_graph=True must raise
# rather than return second derivatives that silently miss the op.
@pytest.mark.parametrize("name,make", [
    ("ConvolutionBackward", lambda x: glia.nn.functional.conv2d(x, glia.randn(2, 2, 3, 3))),
    ("ConvTransposeBackward",
     lambda x: glia.nn.functional.conv_transpose2d(x, glia.randn(2, 2, 3, 3))),
    ("BatchNormBackward", lambda x: glia.nn.functional.batch_norm(x, None, None, training=True)),
    ("LayerNormBackward", lambda x: glia.nn.functional.layer_norm(x, (4,))),
    ("CrossEntropyBackward", lambda x: glia.nn.functional.cross_entropy(
        x.reshape(8, 4), glia.zeros(8, dtype=glia.int64))),
    ("MaxPoolBackward", lambda x: glia.nn.functional.max_pool2d(x, 2)),
    ("LstmBackward", lambda x: glia.nn.LSTM(4, 3)(x.reshape(4, 2, 4))[0]),
])
def test_kernel_backwards_refuse_double_backward(name, make):
    x = glia.randn(1, 2, 4, 4, requires_grad=True)
    y = make(x)
    (g,) = glia.autograd.grad([(y * y).sum()], [x], retain_graph=True)  # first order works
    assert g.shape == x.shape
    check_raises(lambda: glia.autograd.grad([(y * y).sum()], [x], create_graph=True),
                 RuntimeError, name, "double backward")


def test_composed_backward_still_gives_second_derivatives():
    x = glia.tensor([0.5, -1.0, 2.0], requires_grad=True)
    (g,) = glia.autograd.grad([(x ** 3).sum()], [x], create_graph=True)
    (h,) = glia.autograd.grad([g.sum()], [x])
    assert_close(h, torch.tensor([3.0, -6.0, 12.0]))
