"""In-place writes under autograd (python/glia/_write_history.py): x[i] = v, copy_, fill_,
zero_, add_/sub_/mul_/div_ and the x.<op>_() methods record themselves in the graph, as in
torch. Each case runs the same code on glia and torch and compares the result and every
gradient."""
import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_raises, gradcheck, randn


def run_both(fn, *arrays, rtol=1e-10, atol=1e-12):
    """fn(lib, *leaves) -> a tensor, on glia and on torch with the same float64 leaves: the
    results and the leaves' gradients (of a weighted sum of the result) agree."""
    g_in = [glia.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    g_out, t_out = fn(glia, *g_in), fn(torch, *t_in)
    assert_close(g_out, t_out, rtol=rtol, atol=atol)
    weights = randn(*t_out.shape)
    (g_out * glia.tensor(weights)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    for g, t in zip(g_in, t_in):
        if t.grad is None:
            assert g.grad is None or not g.grad.numpy().any()
        else:
            assert_close(g.grad, t.grad, rtol=rtol, atol=atol)


def test_decoder_loop_fills_an_output_buffer_step_by_step():
    # the seq2seq pattern: outputs = zeros(...); outputs[t] = h
    def decode(lib, w, h0):
        outputs = lib.zeros((4, 2, 3), dtype=lib.float64)
        h = h0
        for t in range(4):
            h = lib.tanh(h @ w)
            outputs[t] = h
        return outputs * 1.5

    run_both(decode, randn(3, 3), randn(2, 3))


@pytest.mark.parametrize("key", [
    0, -1, slice(1, 3), (slice(None), 1), (Ellipsis, 0), (1, slice(None, None, 2)),
    (slice(None), [0, 2]), ([1, 0], [2, 0]), (None, 1),
])
def test_setitem_matches_torch(key):
    def f(lib, x, v):
        y = x * 2.0  # a non-leaf with history
        target = y[key]
        y[key] = v.reshape(target.shape) * 3.0 if v.numel() == target.numel() else v.sum()
        return y.sin()

    x = randn(3, 4)
    shape = np.empty((3, 4))[key].shape
    run_both(f, x, randn(*shape) if shape else randn(1))


def test_setitem_with_a_mask_a_number_and_a_broadcast_row():
    x, v = randn(3, 4), randn(4)
    mask = x > 0

    def f(lib, x, v):
        y = x.exp()
        y = y * 1.0  # exp saves its output: write into a copy
        y[lib.tensor(mask)] = 0.5
        y[1] = v  # a (4,) row into row 1
        y[:, 0] = v[:3]
        return y * y

    run_both(f, x, v)


def test_writes_through_views_update_the_base_and_the_view():
    def f(lib, x, v):
        y = x + 0.0
        view = y[1:]  # a view of y taken before the write
        t = y.t()
        view[0, 1:3] = v * 2.0  # into y[1, 1:3]
        t[3, 0] = v[0]  # into y[0, 3], through a transposed view
        return lib.cat([y.reshape(-1), view.reshape(-1) * 3.0])

    run_both(f, randn(3, 4), randn(2))


def test_views_taken_before_a_write_read_the_written_base():
    # torch rebuilds such a view's history from its base; so does glia (view_history.cpp)
    def f(lib, x, v):
        out = lib.zeros((3, 2), dtype=lib.float64)
        row, col = out[1], out[:, 1]  # views without history yet
        y = x * 1.0
        first = y[0]
        out[1] = v * 2.0
        y[0] = v.sum()
        out[2, 0] = v[1]
        return lib.cat([row * 3.0, col * 5.0, first, y.reshape(-1)])

    run_both(f, randn(2, 2), randn(2))


def test_chained_views_and_a_non_contiguous_target():
    def f(lib, x, v):
        y = x * 1.0
        y.view(4, 3).t()[1:, ::2] = v  # (2, 2) of a transposed reshape
        y[:, ::3].copy_(v.sum() * lib.ones((2, 2), dtype=lib.float64))
        return y

    run_both(f, randn(2, 6), randn(2, 2))


def test_copy_fill_and_zero_are_recorded():
    def f(lib, x, v):
        y = x * 1.0
        y[0].copy_(v)
        y[1].fill_(2.0)
        y[2, :2].zero_()
        out = lib.zeros((2, 3), dtype=lib.float64)
        out.copy_(v)  # a tensor without history takes v's
        return y.sum(0) + out.sum(0) * 2.0

    run_both(f, randn(3, 3), randn(3))


@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_"])
def test_arithmetic_in_place_methods_are_recorded(name):
    def f(lib, x, v):
        y = x * 1.0
        if name in ("add_", "sub_"):
            getattr(y, name)(v, alpha=2.0)
        else:
            getattr(y, name)(v + 3.0)
        getattr(y[0], name)(1.5)
        other = lib.ones((2, 3), dtype=lib.float64)
        getattr(other, name)(v + 3.0)  # no history of its own: takes v's
        return y * other

    run_both(f, randn(2, 3), randn(3))


@pytest.mark.parametrize("method", [
    lambda lib, row, v: row.exp_(),
    lambda lib, row, v: row.clamp_(-0.5, 0.5),
    lambda lib, row, v: row.relu_(),
    lambda lib, row, v: row.tanh_(),
    lambda lib, row, v: row.pow_(2.0),
    lambda lib, row, v: row.lerp_(v, 0.25),
    lambda lib, row, v: row.masked_fill_(lib.tensor([True, False, True]), 0.25),
    lambda lib, row, v: row.index_put_((lib.tensor([0, 2, 0]),), v[:3] * 2.0, accumulate=True),
])
def test_elementwise_in_place_methods_are_recorded(method):
    # through a view (a row of y), after a recorded write into all of y
    def f(lib, x, v):
        y = x * 1.0
        y.mul_(v)
        method(lib, y[1], v)
        return y

    run_both(f, randn(3, 3), randn(3))


def test_augmented_assignment_on_an_indexed_slice():
    # x[1:] += v is get, __iadd__, then __setitem__
    def f(lib, x, v):
        y = x * 1.0
        y[1:] += v
        y[0] *= v
        return y

    run_both(f, randn(3, 2), randn(2))


def test_gradcheck_through_setitem_and_views():
    def f(x, v):
        y = x * 1.5
        y[1:3] = v * v
        y.t()[0, 1:] = v[0].sin()
        return y.tanh()

    gradcheck(f, randn(4, 3), randn(2, 3))


def test_second_derivative_through_setitem_matches_torch():
    def f(lib, x):
        y = lib.zeros((2, 3), dtype=lib.float64)
        square = x * x
        y[0] = square
        y[1] = (x * square).sin()
        return (y * y).sum()

    a = randn(3)
    g = glia.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    (gg,) = glia.autograd.grad(f(glia, g), [g], create_graph=True)
    (tg,) = torch.autograd.grad(f(torch, t), [t], create_graph=True)
    assert_close(gg, tg, rtol=1e-10, atol=1e-12)
    gg.sum().backward()
    tg.sum().backward()
    assert_close(g.grad, t.grad, rtol=1e-10, atol=1e-12)


def test_size_zero_and_size_one_targets():
    def f(lib, x, v):
        y = x * 2.0
        y[1:1] = 5.0  # nothing written
        y[:, 0:1] = v  # a size-1 dim
        y[lib.tensor([], dtype=lib.int64)] = 1.0
        return y

    run_both(f, randn(3, 2), randn(3, 1))


def test_float32_write_of_a_float64_value_casts():
    x = glia.tensor(randn(3).astype(np.float32), requires_grad=True)
    v = glia.tensor(randn(1), requires_grad=True)
    y = x * 1.0
    y[1] = v[0]
    assert y.dtype == glia.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(v.grad.numpy(), [1.0])


def test_write_into_a_leaf_that_requires_grad_raises_and_changes_nothing():
    w = glia.tensor([1.0, 2.0, 3.0], requires_grad=True)
    check_raises(lambda: w.__setitem__(0, 5.0), RuntimeError, "index assignment", "in-place",
                 "leaf", "requires grad", "(3,)")
    check_raises(lambda: w[1:].copy_(glia.zeros(2)), RuntimeError, "copy_", "view")
    check_raises(lambda: w.exp_(), RuntimeError, "exp_", "leaf")
    assert w.tolist() == [1.0, 2.0, 3.0] and w.is_leaf
    with glia.no_grad():
        w[0] = 5.0  # as an optimizer or an initialiser writes
    assert w.tolist() == [5.0, 2.0, 3.0] and w.is_leaf and w.requires_grad


def test_a_write_into_a_saved_tensor_makes_its_backward_raise():
    x = glia.tensor(randn(3), requires_grad=True)
    y = x.exp()  # saves its output for the backward
    y[0] = 1.0
    check_raises(lambda: y.sum().backward(), RuntimeError, "modified by an in-place")


def test_writing_into_an_expanded_view_raises():
    x = glia.tensor(randn(1, 2), requires_grad=True) * 1.0
    wide = x.expand(3, 2)
    check_raises(lambda: wide.__setitem__(0, glia.ones(2)), RuntimeError, "index assignment",
                 "expanded", "(3, 2)")


def test_values_that_do_not_broadcast_raise():
    y = glia.tensor(randn(3, 4), requires_grad=True) * 1.0
    check_raises(lambda: y.__setitem__(0, glia.ones(3)), ValueError, "index assignment", "(3,)",
                 "(4,)")
    check_raises(lambda: y.copy_(glia.ones((2, 4))), ValueError, "copy_", "(2, 4)", "(3, 4)")


def test_without_grad_involved_the_write_is_plain():
    x = glia.zeros(3)
    x[0] = 1.0
    x.copy_(x + 1.0)
    assert x.tolist() == [2.0, 1.0, 1.0] and x.is_leaf and not x.requires_grad
    v = glia.tensor([4.0], requires_grad=True)
    with glia.no_grad():
        x[1] = v[0]
    assert x.tolist() == [2.0, 4.0, 1.0] and not x.requires_grad


def test_a_non_contiguous_base_from_numpy_is_written_at_the_right_places():
    memory = np.asfortranarray(np.zeros((3, 4)))
    out = glia.from_numpy(memory)  # shares the column-major memory
    h = glia.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    out[1] = h * 2.0
    out[:, 0] = h[:3]
    (out * glia.arange(12.0).reshape(3, 4)).sum().backward()
    np.testing.assert_array_equal(memory, [[1, 0, 0, 0], [2, 4, 6, 8], [3, 0, 0, 0]])
    np.testing.assert_array_equal(h.grad.numpy(), [0.0, 14.0, 20.0, 14.0])
