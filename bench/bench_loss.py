"""Sequence and classification losses, glia vs PyTorch, 2 threads, one run: forward and
forward+backward milliseconds (median after warm-up, alternating blocks) of CTC loss on
log_softmax outputs, of cross-entropy and of mse_loss, on the same inputs.

    python bench/bench_loss.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import forward_and_backward_tables, print_tables, time_pair  # noqa: E402

THREADS = 2

# name, frames T, batch N, classes C, target length S
CTC_CASES = [
    ("CTC T50 N16 C20 S10", 50, 16, 20, 10),
    ("CTC T200 N32 C40 S40", 200, 32, 40, 40),
    ("CTC T400 N8 C80 S100", 400, 8, 80, 100),
]
# name, rows, classes
CE_CASES = [("cross_entropy 256x1000", 256, 1000), ("cross_entropy 4096x32", 4096, 32)]
# name, elements
MSE_CASES = [("mse_loss 1M", 1 << 20), ("mse_loss 64x10", 640)]


def ctc_functions(T, N, C, S, rng):
    x = rng.standard_normal((T, N, C)).astype(np.float32)
    targets = rng.integers(1, C, (N, S))
    il, tl = np.full(N, T), rng.integers(S // 2, S + 1, N)
    gx, tx = glia.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g_args = [glia.tensor(a) for a in (targets, il, tl)]
    t_args = [torch.tensor(a) for a in (targets, il, tl)]

    def g_loss():
        return F.ctc_loss(gx.log_softmax(2), *g_args)

    def t_loss():
        return TF.ctc_loss(tx.log_softmax(2), *t_args)

    return g_loss, t_loss


def ce_functions(R, C, rng):
    x = rng.standard_normal((R, C)).astype(np.float32)
    y = rng.integers(0, C, R)
    gx, tx = glia.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = glia.tensor(y), torch.tensor(y)
    return (lambda: F.cross_entropy(gx, gy)), (lambda: TF.cross_entropy(tx, ty))


def mse_functions(n, rng):
    x, y = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    gx, tx = glia.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = glia.tensor(y), torch.tensor(y)
    return (lambda: F.mse_loss(gx, gy)), (lambda: TF.mse_loss(tx, ty))


def main():
    fwd, both = forward_and_backward_tables(glia, torch, THREADS)
    rng = np.random.default_rng(0)
    runs = [(name, *ctc_functions(T, N, C, S, rng)) for name, T, N, C, S in CTC_CASES]
    runs += [(name, *ce_functions(R, C, rng)) for name, R, C in CE_CASES]
    runs += [(name, *mse_functions(n, rng)) for name, n in MSE_CASES]
    for name, g_loss, t_loss in runs:
        diff = abs(g_loss().item() - t_loss().item())
        assert diff < 1e-3 * abs(t_loss().item()), f"{name}: losses differ by {diff}"

        def g_fwd(g_loss=g_loss):
            with glia.no_grad():
                g_loss()

        def t_fwd(t_loss=t_loss):
            with torch.no_grad():
                t_loss()

        fwd.add(name, *(s * 1e3 for s in time_pair(g_fwd, t_fwd, repeat=21)))
        both.add(name, *(s * 1e3 for s in time_pair(lambda: g_loss().backward(),
                                                     lambda: t_loss().backward(), repeat=21)))
    print_tables(glia, torch, THREADS, fwd, both)


if __name__ == "__main__":
    main()
