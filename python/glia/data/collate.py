"""default_collate: a list of samples -> one batch, as torch's default_collate."""
import collections.abc
import numbers

import numpy as np

import glia

# numpy dtypes glia has no twin for are widened to the nearest glia dtype.
_WIDEN = {"i": np.int64, "u": np.int64, "f": np.float32}


def _numpy_to_tensor(arr):
    if arr.dtype.str[1:] not in ("f4", "f8", "i8", "b1"):
        if arr.dtype.kind not in _WIDEN:
            raise TypeError(f"default_collate: cannot batch numpy arrays of dtype {arr.dtype}")
        arr = arr.astype(_WIDEN[arr.dtype.kind])
    return glia.from_numpy(np.ascontiguousarray(arr))


def _shapes(batch):
    return [tuple(getattr(b, "shape", ())) for b in batch]


def default_collate(batch):
    """Stacks a list of samples into a batch, recursing into their structure:

    glia Tensors -> glia.stack (a new leading batch dimension); numpy arrays and numpy
    scalars -> one stacked glia tensor; Python bools/ints/floats -> a bool/int64/float64
    tensor; strings stay a list; dicts -> a dict of batches; tuples and lists -> a list of
    batches (a namedtuple keeps its type).
    """
    if not batch:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, glia.Tensor):
        if len(set(_shapes(batch))) != 1:
            raise ValueError(f"default_collate: tensors in a batch must have equal shapes, got "
                             f"{sorted(set(_shapes(batch)))}")
        return glia.stack(list(batch))
    if isinstance(elem, (np.ndarray, np.generic)):
        if len(set(_shapes(batch))) != 1:
            raise ValueError(f"default_collate: arrays in a batch must have equal shapes, got "
                             f"{sorted(set(_shapes(batch)))}")
        return _numpy_to_tensor(np.stack(batch))
    if isinstance(elem, bool):
        return glia.tensor(list(batch), dtype=glia.bool)
    if isinstance(elem, numbers.Integral):
        return glia.tensor(list(batch), dtype=glia.int64)
    if isinstance(elem, numbers.Real):
        return glia.tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len({len(b) for b in batch}) != 1:
            raise ValueError("default_collate: each sample in a batch must have the same "
                             f"number of fields, got lengths {sorted({len(b) for b in batch})}")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: cannot batch samples of type {type(elem).__name__}; "
                    "pass a collate_fn")
