"""glia.manual_seed: one seed for everything glia draws at random."""
import numbers

from glia import _C

__all__ = ["initial_seed", "manual_seed"]


def manual_seed(seed):
    """Seeds glia's global generator, which parameter initialisation, dropout, glia.rand*
    and glia.data (DataLoader shuffling, samplers and augmentation by default) draw from.

    The same seed then gives bit-identical training on the same machine and thread count.

    Args:
        seed: an int in [0, 2**64).
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise ValueError(f"manual_seed: seed must lie in [0, 2**64), got {seed}")
    _C.manual_seed(seed)


def initial_seed():
    """The seed of glia's global generator: the one last given to manual_seed, or 0x5eed
    (24301), the seed the generator starts from, if manual_seed was never called. It is
    read from the generator itself, so C++ code seeding it (glia::manual_seed) shows here."""
    return _C.initial_seed()
