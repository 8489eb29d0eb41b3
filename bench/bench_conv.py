"""Convolution and pooling, glia vs PyTorch, 2 threads, one run: forward and
forward+backward milliseconds (median after warm-up) for the cases of issue 4.

    python bench/bench_conv.py
"""
import os
import sys

import numpy as np
import torch

import glia
import glia.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import forward_and_backward_tables, print_tables, time_pair  # noqa: E402

THREADS = 2
TF = torch.nn.functional

# name, input shape, out channels, kernel, stride, padding, groups
CONVS = [
    ("conv (64,1,28,28)->32 k3 p1", (64, 1, 28, 28), 32, 3, 1, 1, 1),
    ("conv (64,32,14,14)->64 k3 p1", (64, 32, 14, 14), 64, 3, 1, 1, 1),
    ("conv (32,64,32,32)->64 k3 p1", (32, 64, 32, 32), 64, 3, 1, 1, 1),
    ("conv (8,3,224,224)->64 k7 s2 p3", (8, 3, 224, 224), 64, 7, 2, 3, 1),
    ("depthwise (32,64,56,56) k3 p1 g64", (32, 64, 56, 56), 64, 3, 1, 1, 64),
    ("pointwise (32,64,56,56)->128 1x1", (32, 64, 56, 56), 128, 1, 1, 0, 1),
]


def inputs(shape, out_c, k, groups, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    w = (rng.standard_normal((out_c, shape[1] // groups, k, k)) * 0.1).astype(np.float32)
    b = rng.standard_normal(out_c).astype(np.float32)
    return x, w, b


def main():
    fwd, both = forward_and_backward_tables(glia, torch, THREADS)
    rng = np.random.default_rng(0)
    for name, shape, out_c, k, s, p, groups in CONVS:
        x, w, b = inputs(shape, out_c, k, groups, rng)
        gx, gw, gb = (glia.tensor(a, requires_grad=True) for a in (x, w, b))
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        repeat = 5 if shape[-1] >= 56 or shape[-1] >= 224 else 15

        def g_fwd():
            with glia.no_grad():
                return F.conv2d(gx, gw, gb, s, p, 1, groups)

        def t_fwd():
            with torch.no_grad():
                return TF.conv2d(tx, tw, tb, s, p, 1, groups)

        def g_both():
            F.conv2d(gx, gw, gb, s, p, 1, groups).sum().backward()

        def t_both():
            TF.conv2d(tx, tw, tb, s, p, 1, groups).sum().backward()

        diff = np.abs(g_fwd().numpy() - t_fwd().numpy()).max()
        assert diff < 1e-3, f"{name}: outputs differ by {diff}"
        fwd.add(name, *(t * 1e3 for t in time_pair(g_fwd, t_fwd, repeat)))
        both.add(name, *(t * 1e3 for t in time_pair(g_both, t_both, repeat)))

    x = rng.standard_normal((64, 32, 28, 28)).astype(np.float32)
    gx, tx = glia.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    fwd.add("max-pool 2x2 (64,32,28,28)", *(t * 1e3 for t in time_pair(
        lambda: F.max_pool2d(gx.detach(), 2), lambda: TF.max_pool2d(tx.detach(), 2), 20)))
    both.add("max-pool 2x2 (64,32,28,28)", *(t * 1e3 for t in time_pair(
        lambda: F.max_pool2d(gx, 2).sum().backward(), lambda: TF.max_pool2d(tx, 2).sum().backward(), 20)))
    print_tables(glia, torch, THREADS, fwd, both)


if __name__ == "__main__":
    main()
