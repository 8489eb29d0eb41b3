"""Variable-length sequences, as torch.nn.utils.rnn: PackedSequence, pack_padded_sequence,
pad_packed_sequence, pad_sequence, pack_sequence.

A PackedSequence stores the valid steps of a batch back to back in PyTorch's layout: step 0
of every sequence (longest first), then step 1 of those still running, and so on. Packing
and padding are index_select gathers, so gradients flow through both.
"""
from collections import namedtuple

import numpy as np

import glia
from glia._C import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence"]


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of sequences of different lengths with the padding left out.

    Attributes:
        data: (sum of lengths, *) the valid steps, time-major, longest sequence first.
        batch_sizes: int64 (max length,) how many sequences are still running at each step.
        sorted_indices: int64 (batch,) original index of each sorted sequence, or None when
            the input was already sorted by decreasing length.
        unsorted_indices: the inverse permutation, or None.
    Recurrent layers (nn.RNN, nn.LSTM, nn.GRU) take it as input and return one.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _inverse_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def lengths(self):
        """Lengths of the sequences in sorted (decreasing) order, as a numpy int64 array."""
        bs = self.batch_sizes.numpy()
        return (np.arange(int(bs[0]))[None, :] < bs[:, None]).sum(axis=0).astype(np.int64)


def _as_index_array(x):
    if isinstance(x, Tensor):
        x = x.numpy()
    elif hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.int64).reshape(-1)


def _inverse_permutation(perm):
    p = _as_index_array(perm)
    inv = np.empty_like(p)
    inv[p] = np.arange(len(p))
    return glia.tensor(inv)


def _packed_rows(lengths, B):
    """Row of the flattened (T * B) time-major padded batch for each packed step."""
    T = int(lengths.max()) if len(lengths) else 0
    t, b = np.nonzero(np.arange(T)[:, None] < lengths[None, :])  # row-major: time, then batch
    return t * B + b


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) ((B, T, *) with batch_first) of sequences with the
    given lengths. With enforce_sorted the lengths must be decreasing; otherwise the batch
    is sorted here and the permutation kept in the PackedSequence."""
    lengths = _as_index_array(lengths)
    x = input.transpose(0, 1) if batch_first else input
    if x.dim() < 2:
        raise ValueError(f"pack_padded_sequence: input must have at least 2 dims (T, B, *), got "
                         f"shape {tuple(input.shape)}")
    T, B = x.shape[0], x.shape[1]
    if len(lengths) != B:
        raise ValueError(f"pack_padded_sequence: expected {B} lengths (one per batch element), got "
                         f"{len(lengths)}")
    if B == 0 or lengths.min() <= 0 or lengths.max() > T:
        raise ValueError(f"pack_padded_sequence: lengths must be in [1, {T}] (the padded length), "
                         f"got {lengths.tolist()}")
    sorted_indices = None
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise ValueError(f"pack_padded_sequence: lengths must be sorted in decreasing order "
                             f"when enforce_sorted=True, got {lengths.tolist()}")
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = glia.tensor(order)
        x = glia.index_select(x, 1, sorted_indices)
        lengths = lengths[order]
    flat = x.reshape(T * B, *x.shape[2:])
    data = glia.index_select(flat, 0, glia.tensor(_packed_rows(lengths, B)))
    batch_sizes = (np.arange(int(lengths[0]))[:, None] < lengths[None, :]).sum(axis=1)
    return PackedSequence(data, glia.tensor(batch_sizes.astype(np.int64)), sorted_indices)


def _pad_sorted(sequence, padding_value=0.0, total_length=None):
    """The padded time-major batch (T, B, *) in sorted order, and the sorted lengths."""
    lengths = sequence.lengths()
    B, T = len(lengths), int(lengths[0])
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"pad_packed_sequence: total_length={total_length} is less than the "
                             f"longest sequence length {T}")
        T = total_length
    data = sequence.data
    n = data.shape[0]
    # padded positions gather from one extra row holding padding_value
    rows = np.full(T * B, n, dtype=np.int64)
    rows[_packed_rows(lengths, B)] = np.arange(n)
    fill = glia.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    padded = glia.index_select(glia.cat([data, fill], 0), 0, glia.tensor(rows))
    return padded.reshape(T, B, *data.shape[1:]), lengths


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of pack_padded_sequence: returns (padded, lengths) with padded (T, B, *)
    ((B, T, *) with batch_first) in the original batch order and lengths an int64 tensor."""
    padded, lengths = _pad_sorted(sequence, padding_value, total_length)
    if sequence.unsorted_indices is not None:
        padded = glia.index_select(padded, 1, sequence.unsorted_indices)
        lengths = lengths[_as_index_array(sequence.unsorted_indices)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, glia.tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks tensors (L_i, *) into (max L, B, *) ((B, max L, *) with batch_first), padding
    each on the right (or left) with padding_value."""
    if len(sequences) == 0:
        raise ValueError("pad_sequence: got an empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}")
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = max_len - s.shape[0]
        if extra:
            fill = glia.full((extra, *s.shape[1:]), padding_value, dtype=s.dtype)
            s = glia.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return glia.stack(padded, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of tensors (L_i, *) (decreasing L_i unless enforce_sorted=False)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
