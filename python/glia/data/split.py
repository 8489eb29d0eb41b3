"""Splitting a dataset into train/validation/test parts, reproducibly and, on request,
stratified by class."""
import math
import numbers

import numpy as np

import glia
from glia.data import _random
from glia.data.dataset import Subset
from glia.metrics._inputs import to_numpy


def split_sizes(n, lengths, op="random_split", rule="largest_remainder"):
    """Sizes for `n` items from `lengths`: ints summing to n, or fractions summing to 1.
    Fractions round by largest remainder (ties to the earlier part), so sizes sum to n and
    each is the floor or ceiling of n * fraction; with rule='torch', as
    torch.utils.data.random_split: floor(n * fraction), then the items left over go one
    each to the parts in order, from the first."""
    if rule not in ("largest_remainder", "torch"):
        raise ValueError(f"{op}: rule must be 'largest_remainder' or 'torch', got {rule!r}")
    lengths = list(lengths)
    if not lengths or any(not isinstance(v, numbers.Real) or v < 0 for v in lengths):
        raise ValueError(f"{op}: lengths must be non-negative numbers, got {lengths!r}")
    if all(isinstance(v, numbers.Integral) for v in lengths) and sum(lengths) == n:
        return [int(v) for v in lengths]
    if not np.isclose(sum(lengths), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"{op}: lengths must be ints summing to the dataset size {n} or "
                         f"fractions summing to 1, got {lengths!r} (sum {sum(lengths)})")
    if rule == "torch":
        sizes = [math.floor(n * v) for v in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        return sizes
    exact = np.asarray(lengths, dtype=np.float64) * n
    sizes = np.floor(exact + 1e-9).astype(np.int64)
    order = np.argsort(-(exact - sizes), kind="stable")
    sizes[order[: n - sizes.sum()]] += 1
    return sizes.tolist()


def random_split(dataset, lengths, generator=None, seed=None):
    """Splits `dataset` into non-overlapping random Subsets of the given `lengths` (ints, or
    fractions summing to 1, sized as torch sizes them: see split_sizes). Draws from
    `generator`/`seed`, else glia's global generator."""
    sizes = split_sizes(len(dataset), lengths, "random_split", rule="torch")
    rng = _random.resolve(generator, seed, "random_split") or _random.current()
    perm = rng.permutation(len(dataset))
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def _take(data, idx):
    if isinstance(data, glia.Tensor):
        return glia.index_select(data, 0, glia.from_numpy(idx.astype(np.int64)))
    return np.asarray(data)[idx]


def _length(data, op):
    if isinstance(data, (glia.Tensor, np.ndarray)):
        if data.ndim == 0:
            raise ValueError(f"{op}: arrays must have at least one dimension, got a scalar")
        return data.shape[0]
    return len(data)


def train_val_test_split(data, fractions=(0.7, 0.15, 0.15), stratify=None, generator=None,
                         seed=None):
    """Randomly splits data into parts of the given fractions (two or three, summing to 1).

    Args:
        data: a Dataset (parts are Subsets), an array or tensor (parts are arrays/tensors of
            the same kind), or a tuple/list of them sharing their first dimension (parts are
            tuples, e.g. ``(X, y)``).
        fractions: e.g. (0.7, 0.15, 0.15) for train, validation and test.
        stratify: labels, one per item: each class is split in these fractions on its own
            (largest-remainder rounding per class), so every part keeps the class balance.
        generator, seed: the random source; default glia's global generator.
    Returns:
        A tuple with one part per fraction; the items inside each part are shuffled.
    """
    op = "train_val_test_split"
    if len(fractions) not in (2, 3) or any(isinstance(f, numbers.Integral) for f in fractions):
        raise ValueError(f"{op}: fractions must be 2 or 3 fractions summing to 1, got "
                         f"{tuple(fractions)!r}")
    arrays = isinstance(data, (tuple, list))
    parts = list(data) if arrays else [data]
    if arrays and not parts:
        raise ValueError(f"{op}: got an empty tuple of arrays")
    sizes = {_length(p, op) for p in parts}
    if len(sizes) != 1:
        raise ValueError(f"{op}: arrays must share their first dimension, got shapes "
                         f"{[tuple(p.shape) if hasattr(p, 'shape') else len(p) for p in parts]}")
    n = sizes.pop()
    rng = _random.resolve(generator, seed, op) or _random.current()
    if stratify is None:
        groups = [rng.permutation(n)]
    else:
        labels = to_numpy(stratify, op, "stratify")
        if labels.shape != (n,):
            raise ValueError(f"{op}: stratify must hold one label per item, shape ({n},), got "
                             f"{labels.shape}")
        groups = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    chosen = [[] for _ in fractions]
    for group in groups:
        bounds = np.cumsum([0] + split_sizes(len(group), fractions, op))
        for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            chosen[k].append(group[a:b])
    out = []
    for pieces in chosen:
        idx = rng.permutation(np.concatenate(pieces)) if stratify is not None else pieces[0]
        if not arrays and not isinstance(data, (glia.Tensor, np.ndarray)):
            out.append(Subset(data, idx))
        elif arrays:
            out.append(tuple(_take(p, idx) for p in parts))
        else:
            out.append(_take(data, idx))
    return tuple(out)
