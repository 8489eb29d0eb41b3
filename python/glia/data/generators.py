"""Small synthetic datasets for examples and tests: spirals, XOR, moons and sine-wave
sequences. Seeded: an explicit `seed`/`generator`, else glia's global generator. Each
returns glia tensors: X float32 and y int64 (float32 for the sequences)."""
import math
import numbers

import numpy as np

import glia
from glia.data import _random
from glia.data._checks import count


def _noise(value, op):
    if not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"{op}: noise must be a number >= 0, got {value!r}")
    return float(value)


def _out(x, y):
    return (glia.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
            glia.from_numpy(np.ascontiguousarray(y, dtype=np.int64)))


def make_spirals(n_per_class=200, n_classes=2, noise=0.15, generator=None, seed=None):
    """Interleaved 2-D spirals, one arm per class (arm k is arm 0 rotated by 2*pi*k/K):
    a classic problem no linear model solves. Radius grows with the angle t in [0, 3*pi]
    (t ~ 3*pi*sqrt(U), so points spread evenly along the arm); `noise` is the standard
    deviation of the added normal noise, in units of 0.3.

    Returns (X (K*n, 2) float32, y (K*n,) int64), the classes in blocks of n.
    """
    op = "make_spirals"
    n, k = count(n_per_class, "n_per_class", op), count(n_classes, "n_classes", op, 2)
    rng = _random.resolve(generator, seed, op) or _random.current()
    t = np.sqrt(rng.uniform(0, 1, n)) * 3 * math.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], 1) / 10
    arms = []
    for c in range(k):
        a = 2 * math.pi * c / k
        rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
        arms.append(arm @ rot)
    x = np.concatenate(arms) + rng.normal(0, _noise(noise, op) / 10 * 3, (k * n, 2))
    return _out(x, np.repeat(np.arange(k), n))


def make_xor(n_samples=200, noise=0.0, generator=None, seed=None):
    """Points uniform in [-1, 1]^2 labelled 1 where exactly one coordinate is positive (the
    XOR of the signs); `noise`: std of normal noise added to X after labelling.

    Returns (X (n, 2) float32, y (n,) int64)."""
    op = "make_xor"
    n = count(n_samples, "n_samples", op)
    rng = _random.resolve(generator, seed, op) or _random.current()
    x = rng.uniform(-1, 1, (n, 2))
    y = (x[:, 0] > 0) ^ (x[:, 1] > 0)
    return _out(x + rng.normal(0, _noise(noise, op), x.shape), y)


def make_moons(n_samples=100, noise=0.0, shuffle=True, generator=None, seed=None):
    """Two interleaving half circles, as sklearn.datasets.make_moons (same points for the
    same sizes with shuffle=False and no noise).

    Returns (X (n, 2) float32, y (n,) int64)."""
    op = "make_moons"
    n = count(n_samples, "n_samples", op, 2)
    rng = _random.resolve(generator, seed, op) or _random.current()
    n_out, n_in = n // 2, n - n // 2
    outer, inner = np.linspace(0, math.pi, n_out), np.linspace(0, math.pi, n_in)
    x = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], 1),
                        np.stack([1 - np.cos(inner), 1 - np.sin(inner) - 0.5], 1)])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    if shuffle:
        perm = rng.permutation(n)
        x, y = x[perm], y[perm]
    return _out(x + rng.normal(0, _noise(noise, op), x.shape), y)


def make_sine_sequences(n_sequences=100, seq_len=50, freq_range=(0.05, 0.2),
                        amplitude_range=(0.5, 1.5), noise=0.0, generator=None, seed=None):
    """Windows of sine waves for sequence models: x[i, t] = A_i sin(2 pi f_i t + phi_i) +
    noise, with f (cycles per step), A and phi drawn per sequence. The target is the next
    value at every step, y[i, t] = the clean wave at t + 1, so y[:, -1] is the value just
    after the window.

    Returns (x (N, T, 1) float32, y (N, T, 1) float32)."""
    op = "make_sine_sequences"
    n, length = count(n_sequences, "n_sequences", op), count(seq_len, "seq_len", op)
    (f0, f1), (a0, a1) = freq_range, amplitude_range
    if not 0 <= f0 <= f1 or not 0 <= a0 <= a1:
        raise ValueError(f"{op}: ranges must be (min, max) with 0 <= min <= max, got "
                         f"freq_range={freq_range!r}, amplitude_range={amplitude_range!r}")
    rng = _random.resolve(generator, seed, op) or _random.current()
    freq = rng.uniform(f0, f1, (n, 1))
    amp = rng.uniform(a0, a1, (n, 1))
    phase = rng.uniform(0, 2 * math.pi, (n, 1))
    wave = amp * np.sin(2 * math.pi * freq * np.arange(length + 1) + phase)
    x = wave[:, :-1] + rng.normal(0, _noise(noise, op), (n, length))
    y = wave[:, 1:]
    return (glia.from_numpy(np.ascontiguousarray(x[..., None], dtype=np.float32)),
            glia.from_numpy(np.ascontiguousarray(y[..., None], dtype=np.float32)))
