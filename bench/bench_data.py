"""One epoch of a DataLoader over the 1797 digits (batch 64, shuffled), glia vs PyTorch,
milliseconds per epoch: plain batches (glia gathers whole batches with index_select), and
a per-sample random horizontal flip (each sample goes through Python, in both).

    python bench/bench_data.py
"""
import os
import sys

import numpy as np
import torch
import torch.utils.data as tud

import glia
from glia.data import DataLoader, TensorDataset, transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import Table, median_time  # noqa: E402

BATCH = 64


class TorchFlip:
    """What RandomHorizontalFlip(0.5) does, in torch, for the per-sample row."""

    def __call__(self, x):
        return torch.flip(x, (-1,)) if torch.rand(()) < 0.5 else x


class TorchTransformed(tud.Dataset):
    def __init__(self, x, y, transform):
        self.x, self.y, self.transform = x, y, transform

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.transform(self.x[i]), self.y[i]


def epoch(loader):
    def run():
        for _ in loader:
            pass
    return run


def main():
    rng = np.random.default_rng(0)
    x = rng.random((1797, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, 1797)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    table = Table("DataLoader epoch, 1797 samples (1, 8, 8), batch 64, shuffled", "ms", False)
    cases = [
        ("batches", DataLoader(TensorDataset(x, y), BATCH, shuffle=True),
         tud.DataLoader(tud.TensorDataset(tx, ty), BATCH, shuffle=True)),
        ("batches, prefetch thread", DataLoader(TensorDataset(x, y), BATCH, shuffle=True,
                                                prefetch=True),
         tud.DataLoader(tud.TensorDataset(tx, ty), BATCH, shuffle=True)),
        ("per-sample horizontal flip",
         DataLoader(TensorDataset(x, y, transform=transforms.RandomHorizontalFlip()), BATCH,
                    shuffle=True),
         tud.DataLoader(TorchTransformed(tx, ty, TorchFlip()), BATCH, shuffle=True)),
    ]
    for name, g_loader, t_loader in cases:
        g = median_time(epoch(g_loader), warmup=2, repeat=15) * 1e3
        t = median_time(epoch(t_loader), warmup=2, repeat=15) * 1e3
        table.add(name, g, t)
    table.print()


if __name__ == "__main__":
    glia.manual_seed(0)
    torch.manual_seed(0)
    main()
