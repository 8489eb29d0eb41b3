"""glia.nn.functional: embedding lookup and one-hot encoding, as torch.nn.functional."""
import numpy as np

import glia
from glia import _C

__all__ = ["embedding", "one_hot"]


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
