"""Where glia.data's random draws come from, so that every shuffle, sampler, split and
augmentation is reproducible: an explicit generator or seed when given, otherwise a seed
drawn from glia's global generator (so `glia.manual_seed(s)` fixes the whole run).

A DataLoader draws one seed per epoch in the calling thread and runs the epoch (sampling,
loading, augmentation) under `scope(rng)`; the random objects inside use that generator.
The prefetch thread therefore sees the same draws as the main thread would, and the main
thread's own use of glia's generator (dropout, init) cannot interleave with the loader's.
"""
import contextlib
import numbers
import threading

import numpy as np

import glia

_local = threading.local()


def glia_seed():
    """One seed drawn from glia's global generator (advances it, like torch's loaders)."""
    return int(glia.randint(0, 2**31 - 1, (1,)).item())


def resolve(generator=None, seed=None, op="glia.data"):
    """An explicit numpy Generator from `generator` (a Generator or an int seed) or `seed`;
    None when neither is given, meaning: draw from the loader's scope or glia's generator."""
    if generator is not None and seed is not None:
        raise ValueError(f"{op}: pass generator or seed, not both")
    if generator is None:
        generator = seed
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        if generator < 0:
            raise ValueError(f"{op}: seed must be >= 0, got {generator}")
        return np.random.default_rng(int(generator))
    raise TypeError(f"{op}: generator must be a numpy.random.Generator or an int seed, "
                    f"got {type(generator).__name__}")


def current():
    """The generator of the enclosing `scope`, or a fresh one seeded from glia's generator."""
    rng = getattr(_local, "rng", None)
    return rng if rng is not None else np.random.default_rng(glia_seed())


@contextlib.contextmanager
def scope(rng):
    """Makes `rng` the source of `current()` in this thread while the block runs."""
    previous = getattr(_local, "rng", None)
    _local.rng = rng
    try:
        yield rng
    finally:
        _local.rng = previous
