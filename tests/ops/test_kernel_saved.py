"""Fused-kernel backwards and the tensors they read again: an in-place change to one after
the forward makes backward raise (as in PyTorch) instead of reading stale or out-of-range
values; per-sequence RNN lengths are copied, so changing the caller's tensor is harmless."""
import numpy as np
import pytest

import glia
from glia import _C
from glia.nn import functional as F
from helpers import assert_close, check_raises, randn


@pytest.mark.parametrize("pool", [F.max_pool1d, F.max_pool2d])
def test_max_pool_indices_modified_in_place(pool):
    shape = (1, 2, 6) if pool is F.max_pool1d else (1, 2, 4, 4)
    x = glia.tensor(randn(*shape), requires_grad=True)
    y, idx = pool(x, 2, return_indices=True)
    idx.fill_(10 ** 9)  # would index far past the input gradient
    check_raises(lambda: y.sum().backward(), RuntimeError, "MaxPool", "in-place")


def test_max_pool_indices_untouched_backward_runs():
    x = glia.tensor(randn(1, 2, 6), requires_grad=True)
    y, idx = F.max_pool1d(x, 2, return_indices=True)
    y.sum().backward()
    want = np.zeros((1, 2, 6))  # 1 at each window's argmax
    np.put_along_axis(want, idx.numpy(), 1.0, axis=2)
    np.testing.assert_array_equal(x.grad.numpy(), want)
    np.testing.assert_array_equal(idx.numpy() // 2, np.arange(3)[None, None].repeat(2, 1))


def test_attention_output_modified_in_place():
    q = glia.tensor(randn(2, 3, 4), requires_grad=True)
    out = _C.scaled_dot_product_attention(q, q, q, None, False, None)
    with glia.no_grad():
        out.mul_(2.0)  # the backward reads the output
    check_raises(lambda: out.sum().backward(), RuntimeError, "ScaledDotProductAttention",
                 "in-place")


@pytest.mark.parametrize("mode", ["gru", "lstm", "rnn_tanh"])
def test_rnn_lengths_changed_after_forward(mode):
    T, B, I, H = 5, 3, 2, 4
    G = {"gru": 3, "lstm": 4, "rnn_tanh": 1}[mode]
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((T, B, I)).astype(np.float32)
    ws = [rng.standard_normal(s).astype(np.float32) * 0.5
          for s in [(G * H, I), (G * H, H), (G * H,), (G * H,)] * 2]

    def grads(change_lengths):
        x = glia.tensor(x_np, requires_grad=True)
        params = [glia.tensor(w, requires_grad=True) for w in ws]
        lengths = glia.tensor(np.array([5, 2, 3], dtype=np.int64))
        y = _C.rnn_layer(mode, x, None, None, [tuple(params[:4]), tuple(params[4:])], lengths)
        if change_lengths:
            lengths.fill_(1)
        y.sum().backward()
        return [x.grad] + [p.grad for p in params]

    for got, want in zip(grads(True), grads(False)):
        assert_close(got, want, rtol=1e-6, atol=1e-7)
