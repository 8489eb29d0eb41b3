"""Attention and transformers, glia vs PyTorch, 2 threads, one run: forward and
forward+backward milliseconds (median after warm-up) for the cases of issue 6, float32.

    python bench/bench_attention.py

MultiheadAttention and TransformerEncoderLayer run batch 16, sequence 128, batch_first,
self-attention, in training mode with dropout 0 (MHA with its default need_weights=True).
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

SDPA = [((16, 8, 128, 32), False), ((16, 8, 128, 32), True), ((4, 8, 512, 64), False),
        ((4, 8, 512, 64), True)]


def add_rows(fwd, both, name, g_fwd, t_fwd, g_both, t_both, repeat=15):
    fwd.add(name, *(t * 1e3 for t in time_pair(g_fwd, t_fwd, repeat)))
    both.add(name, *(t * 1e3 for t in time_pair(g_both, t_both, repeat)))


def bench_sdpa(fwd, both, rng):
    for shape, causal in SDPA:
        q, k, v = (rng.standard_normal(shape).astype(np.float32) for _ in range(3))
        g = [glia.tensor(a, requires_grad=True) for a in (q, k, v)]
        t = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]

        def g_fwd():
            with glia.no_grad():
                return F.scaled_dot_product_attention(*g, is_causal=causal)

        def t_fwd():
            with torch.no_grad():
                return TF.scaled_dot_product_attention(*t, is_causal=causal)

        diff = np.abs(g_fwd().numpy() - t_fwd().numpy()).max()
        assert diff < 1e-4, f"sdpa {shape}: outputs differ by {diff}"
        add_rows(fwd, both, f"sdpa {shape}{' causal' if causal else ''}", g_fwd, t_fwd,
                 lambda: F.scaled_dot_product_attention(*g, is_causal=causal).sum().backward(),
                 lambda: TF.scaled_dot_product_attention(*t, is_causal=causal).sum().backward())


def copy_weights(gm, tm):
    gm.load_state_dict({k: v.detach().numpy().copy() for k, v in tm.state_dict().items()})


def bench_layers(fwd, both, rng):
    x = rng.standard_normal((16, 128, 256)).astype(np.float32)
    gx, tx = glia.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    tm = torch.nn.MultiheadAttention(256, 8, batch_first=True)
    gm = glia.nn.MultiheadAttention(256, 8, batch_first=True)
    copy_weights(gm, tm)

    def g_mha():
        with glia.no_grad():
            return gm(gx, gx, gx)[0]

    def t_mha():
        with torch.no_grad():
            return tm(tx, tx, tx)[0]

    assert np.abs(g_mha().numpy() - t_mha().numpy()).max() < 1e-4
    add_rows(fwd, both, "MHA(256, 8) (16, 128)", g_mha, t_mha,
             lambda: gm(gx, gx, gx)[0].sum().backward(),
             lambda: tm(tx, tx, tx)[0].sum().backward(), repeat=10)

    tl = torch.nn.TransformerEncoderLayer(256, 8, 1024, dropout=0.0, batch_first=True)
    gl = glia.nn.TransformerEncoderLayer(256, 8, 1024, dropout=0.0, batch_first=True)
    copy_weights(gl, tl)

    def g_layer():
        with glia.no_grad():
            return gl(gx)

    def t_layer():
        with torch.no_grad():
            return tl(tx)

    assert np.abs(g_layer().numpy() - t_layer().numpy()).max() < 1e-3
    add_rows(fwd, both, "EncoderLayer(256,8,1024) (16,128)", g_layer, t_layer,
             lambda: gl(gx).sum().backward(), lambda: tl(tx).sum().backward(), repeat=10)


def main():
    fwd, both = forward_and_backward_tables(glia, torch, THREADS)
    rng = np.random.default_rng(0)
    bench_sdpa(fwd, both, rng)
    bench_layers(fwd, both, rng)
    print_tables(glia, torch, THREADS, fwd, both, note=', float32')


if __name__ == "__main__":
    main()
