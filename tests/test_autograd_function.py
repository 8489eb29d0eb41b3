"""glia.autograd.Function: custom ops with a hand-written backward, checked against the
built-in ops, finite differences and the same Function written for torch (values and
gradients), with several outputs, non-differentiable outputs, non-tensor arguments,
double backward, saved-tensor checks and the errors for a backward that returns nonsense."""
import numpy as np
import pytest
import torch

import glia
from glia.autograd import Function, once_differentiable
from helpers import assert_close, check_raises, gradcheck


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Cube(Function):
    """Its backward is made of glia ops, so it is differentiable (double backward works)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


def _sign_ste(lib):
    """A straight-through sign estimator, written the same way for glia and torch."""
    base = glia.autograd.Function if lib is glia else torch.autograd.Function

    class SignSTE(base):
        @staticmethod
        def forward(ctx, x, clip):
            ctx.save_for_backward(x)
            ctx.clip = clip
            return x.sign()

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (x.abs() <= ctx.clip).to(grad.dtype), None

    return SignSTE


def test_custom_exp_matches_the_builtin_and_finite_differences():
    x = np.random.default_rng(0).standard_normal((3, 4))
    a = glia.tensor(x, requires_grad=True)
    b = glia.tensor(x, requires_grad=True)
    ya, yb = Exp.apply(a), glia.exp(b)
    assert_close(ya, yb.detach().numpy(), rtol=0, atol=0)
    assert ya.requires_grad and "ExpBackward" in repr(ya)
    cot = glia.tensor(np.random.default_rng(1).standard_normal((3, 4)))
    (ya * cot).sum().backward()
    (yb * cot).sum().backward()
    assert_close(a.grad, b.grad.numpy(), rtol=1e-15, atol=0)
    gradcheck(Exp.apply, x)
    gradcheck(Cube.apply, x)


def test_straight_through_estimator_matches_torch_function():
    x = np.array([[-2.0, -0.5, 0.0, 0.3], [0.9, 1.5, -1.0, 0.2]])
    g, t = glia.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yg, yt = _sign_ste(glia).apply(g, 1.0), _sign_ste(torch).apply(t, 1.0)
    assert_close(yg, yt)
    cot = np.arange(8.0).reshape(2, 4)
    (yg * glia.tensor(cot)).sum().backward()
    (yt * torch.tensor(cot)).sum().backward()
    assert_close(g.grad, t.grad)


def test_several_outputs_mixed_dtypes_and_a_non_differentiable_one():
    class Stats(Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            idx = x.argmax(1)
            ctx.mark_non_differentiable(idx)
            return (x * w).sum(1), (x * x).to(glia.float32), idx

        @staticmethod
        def backward(ctx, g_sum, g_sq, g_idx):
            x, w = ctx.saved_tensors
            assert g_idx is None and g_sq.dtype == glia.float32 and g_sum.dtype == glia.float64
            gx = g_sum.unsqueeze(1) * w + 2 * x * g_sq.to(glia.float64)
            gw = (g_sum.unsqueeze(1) * x).sum(0)  # w broadcast over rows
            return gx, gw

    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal(4)
    gx, gw = glia.tensor(x, requires_grad=True), glia.tensor(w, requires_grad=True)
    s, sq, idx = Stats.apply(gx, gw)
    assert s.dtype == glia.float64 and sq.dtype == glia.float32 and idx.dtype == glia.int64
    assert not idx.requires_grad and s.requires_grad and sq.requires_grad
    np.testing.assert_array_equal(idx.numpy(), x.argmax(1))
    (s * 2).sum().backward()  # sq unused: its gradient arrives as zeros
    np.testing.assert_allclose(gx.grad.numpy(), np.tile(2 * w, (3, 1)), rtol=1e-12)
    np.testing.assert_allclose(gw.grad.numpy(), 2 * x.sum(0), rtol=1e-12)
    # both outputs used: one call of backward gets both gradients
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    gx.grad = gw.grad = None
    s, sq, _ = Stats.apply(gx, gw)
    (s.sum() + sq.sum()).backward()
    ((tx * tw).sum(1).sum() + (tx * tx).float().sum()).backward()
    assert_close(gx.grad, tx.grad, rtol=1e-6)
    assert_close(gw.grad, tw.grad, rtol=1e-12)


def test_needs_input_grad_non_tensor_arguments_and_broadcast_gradients():
    seen = {}

    class Scale(Function):
        @staticmethod
        def forward(ctx, x, b, k):
            seen["needs"] = ctx.needs_input_grad
            ctx.k = k
            return x * k + b

        @staticmethod
        def backward(ctx, grad):
            # b's gradient is returned at the output's shape: glia sums it down, as torch
            return grad * ctx.k, grad, None

    x = glia.tensor(np.ones((2, 3)), requires_grad=True)
    b = glia.tensor(np.zeros(3), requires_grad=True)
    Scale.apply(x, b, 2.5).sum().backward()
    assert seen["needs"] == (True, True, False)
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.5))
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0, 2.0])
    frozen = glia.tensor(np.zeros(3))
    out = Scale.apply(x, frozen, 1.0)
    assert seen["needs"] == (True, False, False) and out.requires_grad


def test_no_graph_without_grad_and_under_no_grad():
    x = glia.tensor([1.0, 2.0])
    assert not Exp.apply(x).requires_grad
    w = glia.tensor([1.0, 2.0], requires_grad=True)
    with glia.no_grad():
        assert not Exp.apply(w).requires_grad


def test_double_backward_through_a_differentiable_backward():
    x = glia.tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)
    (g,) = glia.autograd.grad(Cube.apply(x).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * np.array([0.5, -1.5, 2.0]) ** 2)
    (gg,) = glia.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), 6 * np.array([0.5, -1.5, 2.0]))


def test_once_differentiable_backward_has_no_graph():
    class CubeOnce(Cube):
        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    x = glia.tensor(np.array([0.5, 2.0]), requires_grad=True)
    (g,) = glia.autograd.grad(CubeOnce.apply(x).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.numpy(), [0.75, 12.0])
    assert not g.requires_grad


def test_setup_context_style_matches_torch():
    class Mul(Function):
        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            return grad * y, grad * x

    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    ga, gb = glia.tensor(a, requires_grad=True), glia.tensor(b, requires_grad=True)
    Mul.apply(ga, gb).sum().backward()
    np.testing.assert_allclose(ga.grad.numpy(), b)
    np.testing.assert_allclose(gb.grad.numpy(), a)
    gradcheck(Mul.apply, a, b)


def test_in_place_change_of_a_saved_tensor_is_caught():
    z = Exp.apply(glia.tensor([1.0, 2.0], requires_grad=True))

    class SaveInput(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            (a,) = ctx.saved_tensors
            return grad * 2

    w = glia.tensor([1.0, 2.0], requires_grad=True)
    out = SaveInput.apply(w)
    with glia.no_grad():
        w.mul_(3.0)
    check_raises(lambda: out.sum().backward(), RuntimeError, "SaveInputBackward",
                 "modified by an in-place operation")
    z.sum().backward()
    check_raises(lambda: z.sum().backward(), RuntimeError, "ExpBackward", "retain_graph")


@pytest.mark.parametrize("bad,exc,fragments", [
    (lambda g: (g,), RuntimeError, ("Bad.backward returned 1 gradients", "2 arguments")),
    (lambda g: (g, None, g), RuntimeError, ("returned 3 gradients",)),
    (lambda g: (g.sum(1), None), ValueError, ("argument 0", "(2,)", "(2, 3)")),
    (lambda g: ("grad", None), TypeError, ("argument 0", "str")),
    (lambda g: (g, g), RuntimeError, ("argument 1", "not a tensor", "float")),
])
def test_backward_that_returns_nonsense_raises_naming_the_function(bad, exc, fragments):
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, grad):
            return bad(grad)

    out = Bad.apply(glia.ones(2, 3, requires_grad=True), 2.0)
    check_raises(lambda: out.sum().backward(), exc, *fragments)


def test_save_for_backward_takes_only_tensors():
    class SaveNumber(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    check_raises(lambda: SaveNumber.apply(glia.ones(2, requires_grad=True)), TypeError,
                 "save_for_backward", "int")


def test_function_inside_a_trained_model():
    # a model whose nonlinearity is a custom Function learns as with the built-in op
    class Relu(Function):
        @staticmethod
        def forward(ctx, x):
            mask = x > 0
            ctx.save_for_backward(mask.to(x.dtype))
            return x * mask.to(x.dtype)

        @staticmethod
        def backward(ctx, grad):
            (mask,) = ctx.saved_tensors
            return grad * mask

    def train(act):
        glia.manual_seed(0)
        lin1, lin2 = glia.nn.Linear(2, 16), glia.nn.Linear(16, 1)
        opt = glia.optim.SGD(list(lin1.parameters()) + list(lin2.parameters()), lr=0.1)
        rng = np.random.default_rng(5)
        x = rng.standard_normal((64, 2)).astype(np.float32)
        y = (x[:, :1] * x[:, 1:] > 0).astype(np.float32)  # XOR of signs
        for _ in range(200):
            opt.zero_grad()
            loss = ((lin2(act(lin1(glia.tensor(x)))) - glia.tensor(y)) ** 2).mean()
            loss.backward()
            opt.step()
        return loss.item()

    custom, builtin = train(Relu.apply), train(glia.relu)
    assert custom == pytest.approx(builtin, rel=1e-5) and custom < 0.15
