"""Small problems and helpers shared by the glia.train tests (a plain module, not a conftest,
so its name cannot clash with tests/conftest.py)."""
import glia
import numpy as np
from glia import nn
from glia.train import Callback


def xor_batches(n=256, batch=32, seed=0):
    """A 2-D 'same sign' problem no linear model solves, as a list of batches."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return [(glia.tensor(x[i:i + batch]), glia.tensor(y[i:i + batch])) for i in range(0, n, batch)]


def mlp(hidden=16, dropout=0.0):
    layers = [nn.Linear(2, hidden), nn.Tanh()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(hidden, 2))


class Script(Callback):
    """Overwrites logged values with a scripted sequence, and snapshots the model's state at
    every epoch end; put it before the callbacks under test."""

    def __init__(self, **sequences):
        self.sequences = sequences
        self.snapshots = []

    def on_epoch_end(self, epoch, logs=None):
        for key, values in self.sequences.items():
            logs[key] = values[epoch]
        self.snapshots.append({k: v.numpy().copy() for k, v in self.model.state_dict().items()})


def state_numpy(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}
