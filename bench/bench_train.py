"""One training step of an MLP 784-256-128-10 (batch 64, Adam, cross-entropy), glia vs
PyTorch, milliseconds per step, 2 threads, one run.

    python bench/bench_train.py
"""
import os
import sys

import numpy as np
import torch

import glia

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import Table, median_time  # noqa: E402

THREADS = 2
BATCH = 64


def make_models():
    t_model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                  torch.nn.ReLU(), torch.nn.Linear(128, 10))
    g_model = glia.nn.Sequential(glia.nn.Linear(784, 256), glia.nn.ReLU(), glia.nn.Linear(256, 128),
                                 glia.nn.ReLU(), glia.nn.Linear(128, 10))
    g_model.load_state_dict({k: glia.tensor(v.detach().numpy()) for k, v in t_model.state_dict().items()})
    return g_model, t_model


def main():
    torch.set_num_threads(THREADS)
    glia.set_num_threads(THREADS)
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((BATCH, 784)).astype(np.float32)
    y_np = rng.integers(0, 10, BATCH)
    g_model, t_model = make_models()
    gx, gy = glia.tensor(x_np), glia.tensor(y_np)
    tx, ty = torch.from_numpy(x_np), torch.from_numpy(y_np)
    g_opt = glia.optim.Adam(g_model.parameters(), lr=1e-3)
    t_opt = torch.optim.Adam(t_model.parameters(), lr=1e-3)
    g_loss_fn, t_loss_fn = glia.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()

    def g_step():
        g_opt.zero_grad()
        loss = g_loss_fn(g_model(gx), gy)
        loss.backward()
        g_opt.step()
        return loss

    def t_step():
        t_opt.zero_grad()
        loss = t_loss_fn(t_model(tx), ty)
        loss.backward()
        t_opt.step()
        return loss

    # same weights, same data: the first losses agree
    first_g, first_t = g_step().item(), t_step().item()
    assert abs(first_g - first_t) < 1e-4, (first_g, first_t)
    table = Table("MLP 784-256-128-10 training step, batch 64, Adam (ms, lower is better)", "ms", False)
    tg = median_time(g_step, warmup=20, repeat=200)
    tt = median_time(t_step, warmup=20, repeat=200)
    table.add("forward + backward + Adam step", tg * 1e3, tt * 1e3)
    print(f"glia {glia.__version__}, torch {torch.__version__}, {THREADS} threads\n")
    table.print()


if __name__ == "__main__":
    main()
