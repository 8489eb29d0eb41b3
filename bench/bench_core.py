"""Core speed, glia vs PyTorch (and NumPy for matmul), 2 threads, one run:
matmul GFLOP/s, the cost of one small op, and a tiny forward+backward graph.

    python bench/bench_core.py
"""
import os
import sys

import numpy as np
import torch

import glia

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import Table, median_time, median_time_batched, time_pair  # noqa: E402

THREADS = 2


def bench_matmul():
    table = Table("float32 matmul (GFLOP/s, higher is better)", "GF/s", True, extra_col="numpy GF/s")
    # the last three have too few rows to split: batch-1 and few-row Linear layers
    shapes = [(n, n, n) for n in (64, 80, 128, 256, 512, 1024, 2048)] + [(64, 784, 256)] + \
        [(1, 1024, 1024), (2, 4096, 4096), (3, 512, 2048)]
    # a first pass untimed: the first cases timed on a cold process read up to 2x slow
    for m, k, n in shapes:
        a, b = np.ones((m, k), np.float32), np.ones((k, n), np.float32)
        for _ in range(3):
            glia.tensor(a) @ glia.tensor(b), torch.from_numpy(a) @ torch.from_numpy(b)
    for m, k, n in shapes:
        a_np = np.random.randn(m, k).astype(np.float32)
        b_np = np.random.randn(k, n).astype(np.float32)
        ga, gb = glia.tensor(a_np), glia.tensor(b_np)
        ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)
        repeat = 5 if m >= 1024 else 30
        flop = 2.0 * m * n * k
        tg, tt = time_pair(lambda: ga @ gb, lambda: ta @ tb, repeat)
        tn = median_time(lambda: a_np @ b_np, repeat=repeat)
        name = f"{m}x{k} @ {k}x{n}"
        table.add(name, flop / tg / 1e9, flop / tt / 1e9, flop / tn / 1e9)
    table.print()


def bench_small_ops():
    table = Table("small-op overhead (microseconds, lower is better)", "us", False)
    for n in (1, 1000):
        ga, gb = glia.ones(n), glia.ones(n)
        ta, tb = torch.ones(n), torch.ones(n)
        table.add(f"a + b, {n} elements", median_time_batched(lambda: ga + gb) * 1e6,
                  median_time_batched(lambda: ta + tb) * 1e6)

    def graph(lib, x, w):
        # ten ops on 16-element tensors, then backward
        y = lib.tanh(x * w + 1.0)
        y = lib.sigmoid(y * y - x)
        y = lib.exp(-y) + y / 2.0
        y.sum().backward()

    gx, gw = glia.randn(16), glia.randn(16, requires_grad=True)
    tx, tw = torch.randn(16), torch.randn(16, requires_grad=True)
    table.add("10-op graph fwd+bwd, 16 elements", median_time_batched(lambda: graph(glia, gx, gw), 200) * 1e6,
              median_time_batched(lambda: graph(torch, tx, tw), 200) * 1e6)

    def backward_only(lib, x, w):
        y = lib.tanh(x * w + 1.0)
        y = lib.sigmoid(y * y - x)
        y = (lib.exp(-y) + y / 2.0).sum()
        return y

    def timed_backward(lib, x, w, inner=200):
        import time
        total = 0.0
        for _ in range(inner):
            y = backward_only(lib, x, w)
            t0 = time.perf_counter()
            y.backward()
            total += time.perf_counter() - t0
        return total / inner

    for _ in range(3):
        timed_backward(glia, gx, gw), timed_backward(torch, tx, tw)
    gb_ = sorted(timed_backward(glia, gx, gw) for _ in range(7))[3]
    tb_ = sorted(timed_backward(torch, tx, tw) for _ in range(7))[3]
    table.add("  of which backward() alone", gb_ * 1e6, tb_ * 1e6)

    def linear(lib, x, w, b):
        (x @ w.t() + b).sum().backward()

    lx, lw, lb = glia.randn(1, 16), glia.randn(16, 16, requires_grad=True), glia.randn(16, requires_grad=True)
    tlx, tlw, tlb = torch.randn(1, 16), torch.randn(16, 16, requires_grad=True), torch.randn(16, requires_grad=True)
    table.add("Linear(16,16) fwd+bwd, batch 1", median_time_batched(lambda: linear(glia, lx, lw, lb), 200) * 1e6,
              median_time_batched(lambda: linear(torch, tlx, tlw, tlb), 200) * 1e6)

    def decoder(lib, w, h0):  # in-place writes under autograd: outputs[t] = h
        outputs, h = lib.zeros(20, 8, 32), h0
        for t in range(20):
            h = lib.tanh(h @ w)
            outputs[t] = h
        outputs.sum().backward()

    dw, dh = glia.randn(32, 32, requires_grad=True), glia.randn(8, 32)
    tdw, tdh = torch.randn(32, 32, requires_grad=True), torch.randn(8, 32)
    table.add("outputs[t] = h, 20 steps of 8x32, fwd+bwd",
              median_time_batched(lambda: decoder(glia, dw, dh), 20) * 1e6,
              median_time_batched(lambda: decoder(torch, tdw, tdh), 20) * 1e6)
    table.print()


def main():
    torch.set_num_threads(THREADS)
    glia.set_num_threads(THREADS)
    print(f"glia {glia.__version__} (BLAS: {os.path.basename(glia._blas.blas_name())}), "
          f"torch {torch.__version__}, numpy {np.__version__}, {THREADS} threads\n")
    bench_matmul()
    bench_small_ops()


if __name__ == "__main__":
    main()
