"""Recurrent layers, glia vs PyTorch, 2 threads, one run: forward and forward+backward
milliseconds (median after warm-up, the two libraries timed in alternating blocks) of
whole-sequence nn.LSTM / nn.GRU with the same weights, for the cases of issue 5.

    python bench/bench_rnn.py
"""
import os
import sys

import numpy as np
import torch

import glia

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import forward_and_backward_tables, print_tables, time_pair  # noqa: E402

THREADS = 2

# name, layer, input size, hidden size, seq length, batch, num_layers, bidirectional
CASES = [
    ("LSTM in128 h256 seq50 b32", "LSTM", 128, 256, 50, 32, 1, False),
    ("GRU in128 h256 seq50 b32", "GRU", 128, 256, 50, 32, 1, False),
    ("LSTM in32 h64 seq100 b16", "LSTM", 32, 64, 100, 16, 1, False),
    ("GRU in32 h64 seq100 b16", "GRU", 32, 64, 100, 16, 1, False),
    ("LSTM 2-layer bidir in64 h128 s30 b16", "LSTM", 64, 128, 30, 16, 2, True),
]


def make_pair(layer, i, h, layers, bidir):
    tm = getattr(torch.nn, layer)(i, h, num_layers=layers, bidirectional=bidir)
    gm = getattr(glia.nn, layer)(i, h, num_layers=layers, bidirectional=bidir)
    gm.load_state_dict({k: glia.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return gm, tm


def main():
    fwd, both = forward_and_backward_tables(glia, torch, THREADS)
    rng = np.random.default_rng(0)
    runs = []
    for name, layer, i, h, seq, batch, layers, bidir in CASES:
        gm, tm = make_pair(layer, i, h, layers, bidir)
        x = rng.standard_normal((seq, batch, i)).astype(np.float32)
        runs.append((name, *case_functions(gm, tm, x)))
    # a first pass untimed over every case: the first case timed in a cold process reads up to
    # 15% slow for glia
    for _, g_fwd, t_fwd, g_both, t_both in runs:
        for fn in (g_fwd, t_fwd, g_both, t_both):
            fn()
    for name, g_fwd, t_fwd, g_both, t_both in runs:
        diff = np.abs(g_fwd().numpy() - t_fwd().numpy()).max()
        assert diff < 1e-4, f"{name}: outputs differ by {diff}"
        fwd.add(name, *(s * 1e3 for s in time_pair(g_fwd, t_fwd, repeat=21)))
        both.add(name, *(s * 1e3 for s in time_pair(g_both, t_both, repeat=21)))
    print_tables(glia, torch, THREADS, fwd, both)


def case_functions(gm, tm, x):
    """forward (no grad) and forward + backward of each library on the same input."""
    gx, tx = glia.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)

    def g_fwd():
        with glia.no_grad():
            return gm(gx)[0]

    def t_fwd():
        with torch.no_grad():
            return tm(tx)[0]

    def g_both():
        gm(gx)[0].sum().backward()

    def t_both():
        tm(tx)[0].sum().backward()

    return g_fwd, t_fwd, g_both, t_both


if __name__ == "__main__":
    main()
