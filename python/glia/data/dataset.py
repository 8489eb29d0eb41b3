"""Datasets: indexable collections of samples, as torch.utils.data's."""
import numbers

import numpy as np

import glia
from glia.data.collate import default_collate
from glia.metrics._inputs import to_numpy


class Dataset:
    """A map-style dataset: subclasses define `__getitem__(i)` and `__len__()`."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def _check_index(index, n, op):
    if not isinstance(index, numbers.Integral) or isinstance(index, bool):
        raise TypeError(f"{op}: index must be an int, got {type(index).__name__}")
    if not -n <= index < n:
        raise IndexError(f"{op}: index {index} is out of range for a dataset of length {n}")
    return int(index) % n


def _index_array(indices, n, op):
    """indices (ints, numpy, or an int64 tensor) as a checked int64 numpy vector in [0, n)."""
    idx = to_numpy(indices, op, "indices")
    if idx.size and idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {idx.dtype}")
    idx = idx.astype(np.int64).reshape(-1)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{op}: indices must lie in [-{n}, {n}), got min {idx.min()} "
                         f"and max {idx.max()}")
    return idx % max(n, 1)


def _index_tensor(indices, n, op):
    """_index_array as an int64 glia tensor."""
    return glia.from_numpy(_index_array(indices, n, op))


class TensorDataset(Dataset):
    """Samples are tuples `(t0[i], t1[i], ...)` of tensors that share their first dimension.

    Args:
        *tensors: glia Tensors or numpy arrays (converted with glia.as_tensor), all with
            the same size in dimension 0.
        transform: optional callable applied to each sample's first tensor (e.g. an
            augmentation from glia.data.transforms).
    """

    def __init__(self, *tensors, transform=None):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        tensors = tuple(glia.as_tensor(t) for t in tensors)
        sizes = [t.shape[0] if t.dim() else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError("TensorDataset: all tensors must have the same size in dimension "
                             f"0, got shapes {[tuple(t.shape) for t in tensors]}")
        if transform is not None and not callable(transform):
            raise TypeError(f"TensorDataset: transform must be callable, got {transform!r}")
        self.tensors = tensors
        self.transform = transform

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        i = _check_index(index, len(self), "TensorDataset")
        sample = [t[i] for t in self.tensors]
        if self.transform is not None:
            sample[0] = self.transform(sample[0])
        return tuple(sample)

    def get_batch(self, indices):
        """The collated batch for `indices`: what default_collate makes of the samples, but
        untransformed tensors are gathered with one index_select each instead of stacking
        sample views. The transformed first tensor is default_collate of its samples (so a
        transform may return numpy arrays, as through __getitem__)."""
        idx = _index_tensor(indices, len(self), "TensorDataset")
        if self.transform is None:
            return [glia.index_select(t, 0, idx) for t in self.tensors]
        first = default_collate([self.transform(self.tensors[0][i]) for i in idx.tolist()])
        return [first] + [glia.index_select(t, 0, idx) for t in self.tensors[1:]]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order.

    Attributes:
        indices: the checked indices into `dataset` as an int64 numpy array (negative
            ones given count from the end and are stored as their positions)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = _index_array(indices, len(dataset), "Subset")

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[_check_index(index, len(self), "Subset")])]

    def get_batch(self, indices):
        """Batched fetching through the parent dataset's get_batch when it has one."""
        idx = self.indices[_index_array(indices, len(self), "Subset")]
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(idx)
        return default_collate([self.dataset[i] for i in idx.tolist()])
