"""Samplers: which dataset indices an epoch visits, and in what order."""

import numpy as np

from glia.data import _random
from glia.data._checks import count
from glia.metrics._inputs import to_numpy


class Sampler:
    """Yields dataset indices; subclasses define `__iter__` and `__len__`."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices each epoch (or `num_samples` draws with
    replacement). Draws from `generator`/`seed` when given, otherwise from the DataLoader's
    epoch generator or glia's global generator."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None,
                 seed=None):
        self.data_source = data_source
        self.replacement = bool(replacement)
        if num_samples is not None:
            count(num_samples, "num_samples", "RandomSampler")
            if not replacement:
                raise ValueError("RandomSampler: num_samples needs replacement=True")
        self._num_samples = num_samples
        self._rng = _random.resolve(generator, seed, "RandomSampler")

    def __len__(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        rng = self._rng or _random.current()
        n = len(self.data_source)
        if self.replacement:
            if n == 0:
                raise ValueError("RandomSampler: cannot draw with replacement from an empty "
                                 "dataset")
            return iter(rng.integers(0, n, len(self)).tolist())
        return iter(rng.permutation(n).tolist())


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices, generator=None, seed=None):
        self.indices = [int(i) for i in indices]
        self._rng = _random.resolve(generator, seed, "SubsetRandomSampler")

    def __len__(self):
        return len(self.indices)

    def __iter__(self):
        rng = self._rng or _random.current()
        return iter([self.indices[i] for i in rng.permutation(len(self.indices))])


class WeightedRandomSampler(Sampler):
    """Draws `num_samples` indices with probability proportional to `weights` (for
    imbalanced classes: weight each sample by its class weight).

    Args:
        weights: one non-negative weight per sample (sequence, numpy array or tensor).
        num_samples: how many indices one epoch yields.
        replacement: draw with replacement (default); without it, each index at most once.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None, seed=None):
        w = to_numpy(weights, "WeightedRandomSampler", "weights").astype(np.float64)
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"WeightedRandomSampler: weights must be a non-empty 1-D "
                             f"sequence, got shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, >= 0 and not all "
                             f"zero, got min {w.min()} and sum {w.sum()}")
        self.num_samples = count(num_samples, "num_samples", "WeightedRandomSampler")
        self.replacement = bool(replacement)
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                             f"replacement from {np.count_nonzero(w)} non-zero weights")
        self.weights = w
        self._rng = _random.resolve(generator, seed, "WeightedRandomSampler")

    def __len__(self):
        return self.num_samples

    def __iter__(self):
        rng = self._rng or _random.current()
        p = self.weights / self.weights.sum()
        picks = rng.choice(len(p), self.num_samples, replace=self.replacement, p=p)
        return iter(picks.tolist())


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size` (the last one shorter
    unless `drop_last`)."""

    def __init__(self, sampler, batch_size, drop_last=False):
        self.sampler = sampler
        self.batch_size = count(batch_size, "batch_size", "BatchSampler")
        self.drop_last = bool(drop_last)

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
