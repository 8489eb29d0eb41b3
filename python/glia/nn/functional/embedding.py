"""glia.nn.functional: embedding lookup, bags of embeddings and one-hot encoding, as
torch.nn.functional.

embedding_bag looks the rows up with index_select and reduces each bag with index_add
('sum', 'mean') or scatter_reduce ('max'), so gradients reach weight (and
per_sample_weights) through glia's autograd."""
import numpy as np

import glia
from glia import _C

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _check_indices(op, input, num_rows):
    """The indices as a numpy array, range-checked (for max_norm, which needs them here)."""
    vals = input.detach().numpy()
    if vals.size and (vals.min() < 0 or vals.max() >= num_rows):
        bad = vals.min() if vals.min() < 0 else vals.max()
        raise IndexError(f"{op}: index {bad} is out of range for {num_rows} embeddings")
    return vals


def _renorm_(weight, indices, max_norm, norm_type):
    """Scales the rows of `weight` looked up by `indices` whose norm exceeds max_norm down to
    max_norm, in place and untracked (torch's embedding_renorm_)."""
    idx = glia.from_numpy(np.unique(indices).astype(np.int64))
    if idx.numel() == 0:
        return
    with glia.no_grad():
        rows = _C.index_select(weight, 0, idx)
        norms = _C.norm(rows, float(norm_type), [1], True)
        # the 1e-7 matches PyTorch, so renormed rows come out the same to the last bit
        scale = _C.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[idx] = rows * scale


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0):
    """Looks up rows of `weight` by index.

    Args:
        input: int64 indices of any shape.
        weight: (num_embeddings, embedding_dim).
        padding_idx: a row whose gradient stays zero (negative counts from the end).
        max_norm: if given, rows looked up whose `norm_type`-norm exceeds it are rescaled
            to max_norm in `weight` itself before the lookup (as PyTorch).
    Returns:
        (*input.shape, embedding_dim).
    """
    if weight.dim() != 2:
        raise ValueError(f"embedding: weight must be 2-D, got shape {tuple(weight.shape)}")
    num, dim = weight.shape
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx {padding_idx} is out of range for "
                             f"{num} embeddings")
        padding_idx %= num
    if input.dtype != glia.int64:
        raise TypeError(f"embedding: indices must be int64, got {input.dtype}")
    if max_norm is not None:
        _renorm_(weight, _check_indices("embedding", input, num), max_norm, norm_type)
    flat = input.reshape(-1)
    try:  # index_select checks the range itself: no copy of the indices on every lookup
        out = _C.index_select(weight, 0, flat)
    except IndexError as e:
        msg = str(e).removeprefix("index_select: ")
        raise IndexError(f"embedding: {msg} ({num} embeddings)") from None
    if padding_idx is not None:
        # same values, but rows at padding_idx pass no gradient back to weight
        keep = (flat != padding_idx).unsqueeze(-1)
        out = _C.where(keep, out, out.detach())
    return out.reshape(tuple(input.shape) + (dim,))


_BAG_MODES = ("sum", "mean", "max")


def _bag_layout(op, input, offsets, include_last_offset):
    """(flat int64 indices, bag of each index as numpy (-1: in no bag), number of bags)."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"{op}: offsets must be None for a 2-D input (each row is one bag), "
                             f"got offsets of shape {tuple(offsets.shape)}")
        rows, length = input.shape
        return input.reshape(-1), np.repeat(np.arange(rows), length), rows
    if input.dim() != 1:
        raise ValueError(f"{op}: input must be 1-D (with offsets) or 2-D, got shape "
                         f"{tuple(input.shape)}")
    if offsets is None:
        raise ValueError(f"{op}: a 1-D input needs offsets (the start of each bag), got None")
    if offsets.dim() != 1 or offsets.dtype != glia.int64:
        raise ValueError(f"{op}: offsets must be a 1-D int64 tensor, got shape "
                         f"{tuple(offsets.shape)} and dtype {offsets.dtype}")
    starts = offsets.detach().numpy()
    total = input.shape[0]
    if include_last_offset:
        if starts.size < 1:
            raise ValueError(f"{op}: with include_last_offset, offsets needs at least 1 entry")
        bags, end = starts.size - 1, starts[-1]
    else:
        bags, end = starts.size, total
    if starts.size and starts[0] != 0:
        raise ValueError(f"{op}: offsets[0] must be 0 (the first bag starts at the first index), "
                         f"got {starts[0]}")
    if starts.size and starts[-1] > total:
        raise ValueError(f"{op}: offsets[-1] ({starts[-1]}) must not exceed the input length "
                         f"({total})")
    if np.any(np.diff(starts) < 0):
        raise ValueError(f"{op}: offsets must be non-decreasing, got {starts.tolist()}")
    pos = np.arange(total)
    bag = np.searchsorted(starts[:bags], pos, side="right") - 1
    return input, np.where(pos < end, bag, -1), bags


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Sums, averages or takes the max of bags of embeddings without materializing the
    (bag, index, dim) lookups: out[b] = reduce over indices i in bag b of weight[i].

    Args:
        input: int64 indices; 1-D with `offsets`, or 2-D (B, L): B bags of L indices.
        weight: (num_embeddings, embedding_dim).
        offsets: 1-D int64 start of each bag in a 1-D input (offsets[0] = 0,
            non-decreasing); bag b runs to offsets[b + 1], the last one to the input's end.
        max_norm, norm_type: rows looked up whose norm exceeds max_norm are rescaled in
            `weight` itself first (as embedding).
        scale_grad_by_freq: divide each row's gradient by how often its index occurs in
            input (not with mode 'max').
        mode: 'sum', 'mean' (default) or 'max' (per dim; the gradient goes to the maximum).
        sparse: must be False (glia has no sparse gradients).
        per_sample_weights: float weights shaped as input, multiplying each row before the
            reduction (mode 'sum' only).
        include_last_offset: offsets has B + 1 entries, the last one ending the last bag.
        padding_idx: indices equal to it are left out of their bag (not counted by 'mean');
            negative counts from the end.
    Returns:
        (B, embedding_dim); an empty bag gives zeros.
    """
    op = "embedding_bag"
    if mode not in _BAG_MODES:
        raise ValueError(f"{op}: mode must be one of {_BAG_MODES}, got {mode!r}")
    if weight.dim() != 2:
        raise ValueError(f"{op}: weight must be 2-D, got shape {tuple(weight.shape)}")
    if input.dtype != glia.int64:
        raise TypeError(f"{op}: input must be int64 indices, got {input.dtype}")
    if sparse:
        raise ValueError(f"{op}: sparse=True is not supported (glia has no sparse gradients)")
    if scale_grad_by_freq and mode == "max":
        raise ValueError(f"{op}: mode 'max' does not support scale_grad_by_freq")
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"{op}: per_sample_weights is only supported by mode 'sum', got "
                             f"mode {mode!r}")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"{op}: per_sample_weights of shape "
                             f"{tuple(per_sample_weights.shape)} must match the input shape "
                             f"{tuple(input.shape)}")
        if per_sample_weights.dtype != weight.dtype:
            raise TypeError(f"{op}: per_sample_weights dtype {per_sample_weights.dtype} must "
                            f"match the weight dtype {weight.dtype}")
    num, dim = weight.shape
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"{op}: padding_idx {padding_idx} is out of range for {num} "
                             f"embeddings")
        padding_idx %= num
    flat, bag, bags = _bag_layout(op, input, offsets, include_last_offset)
    indices = _check_indices(op, flat, num)
    if max_norm is not None:
        _renorm_(weight, indices, max_norm, norm_type)
    keep = bag >= 0
    if padding_idx is not None:
        keep &= indices != padding_idx
    sel = glia.from_numpy(np.flatnonzero(keep).astype(np.int64))
    bag = bag[keep]
    idx = _C.index_select(flat, 0, sel)
    rows = _C.index_select(weight, 0, idx)  # (S, dim)
    if scale_grad_by_freq and rows.shape[0]:
        counts = np.bincount(indices.reshape(-1), minlength=num)
        scale = glia.tensor(1.0 / counts[indices.reshape(-1)[keep]]).to(weight.dtype).unsqueeze(1)
        # same values; the gradient reaching weight is divided by the index's frequency
        rows = rows.detach() + (rows * scale - (rows * scale).detach())
    if per_sample_weights is not None:
        psw = _C.index_select(per_sample_weights.reshape(-1), 0, sel)
        rows = rows * psw.unsqueeze(1)
    bag_t = glia.from_numpy(bag.astype(np.int64))
    zeros = glia.zeros(bags, dim, dtype=weight.dtype)
    if mode == "max":
        return glia.scatter_reduce(zeros, 0, bag_t.unsqueeze(1).expand(bag.size, dim), rows,
                                   "amax", include_self=False)
    out = glia.index_add(zeros, 0, bag_t, rows)
    if mode == "mean":
        sizes = np.maximum(np.bincount(bag, minlength=bags), 1)
        out = out / glia.tensor(sizes.astype(np.float64)).to(weight.dtype).unsqueeze(1)
    return out


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding: out[..., c] = 1 where tensor == c.

    Args:
        tensor: int64 class indices of any shape.
        num_classes: number of classes; -1 infers max(tensor) + 1.
    Returns:
        (*tensor.shape, num_classes), int64.
    """
    if tensor.dtype != glia.int64:
        raise TypeError(f"one_hot: tensor must be int64, got {tensor.dtype}")
    vals = tensor.detach().numpy()
    if num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be -1 or >= 0, got {num_classes}")
    if num_classes == -1:
        if vals.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(vals.max()) + 1
    if vals.size and vals.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {vals.min()}")
    if vals.size and vals.max() >= num_classes:
        raise ValueError(f"one_hot: class value {vals.max()} is not smaller than "
                         f"num_classes={num_classes}")
    classes = glia.arange(num_classes, dtype=glia.int64)
    return _C.eq(tensor.detach().unsqueeze(-1), classes).long()
